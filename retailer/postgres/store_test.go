package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

func TestSeedMasterData(t *testing.T) {
	ctx := context.Background()
	pool := storestest.Postgres(t)
	s := New(pool)
	managers := []retailer.Manager{{Code: "AM1", Name: "Wang Fang", Area: "Hexi"}, {Code: "AM2", Name: "Li Wei", Area: "Chengguan"}}
	outlet := func(licence, manager string, balance int64) retailer.Outlet {
		return retailer.Outlet{Licence: licence, Name: "shop " + licence, Area: "Hexi", Format: retailer.Kiosk,
			Rural: true, Manager: manager, OrderDay: time.Sunday, Grade: 7, BalanceCents: balance, Status: retailer.Suspended}
	}

	tests := []struct {
		name         string
		outlets      []retailer.Outlet
		wantErr      error
		wantOutlets  int64
		wantDeposits int64
	}{
		{"unknown manager loads nothing", []retailer.Outlet{outlet("1", "AM1", 100), outlet("2", "AM9", 100)}, ErrUnknownManager, 0, 0},
		{"outlets with deposits", []retailer.Outlet{outlet("1", "AM1", 100), outlet("2", "AM2", 250), outlet("3", "", 0)}, nil, 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.DeleteMasterData(ctx); err != nil {
				t.Fatalf("DeleteMasterData: %v", err)
			}
			err := s.LoadMasterData(ctx, managers, tt.outlets)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("LoadMasterData = %v; want %v", err, tt.wantErr)
			}
			outlets, _, err := s.MasterDataCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var deposits, sum int64
			if err := pool.QueryRow(ctx, "SELECT count(*), coalesce(sum(amount_cents), 0)::bigint FROM balance_entries").Scan(&deposits, &sum); err != nil {
				t.Fatal(err)
			}
			if outlets != tt.wantOutlets || deposits != tt.wantDeposits {
				t.Errorf("%d outlets, %d deposits; want %d, %d", outlets, deposits, tt.wantOutlets, tt.wantDeposits)
			}
			if tt.wantErr != nil {
				return
			}
			var day int16
			var locality, status, manager string
			err = pool.QueryRow(ctx, `SELECT o.order_day, o.locality, o.status, m.code FROM outlets o
				JOIN account_managers m ON m.id = o.manager_id WHERE o.licence_no = '2'`).Scan(&day, &locality, &status, &manager)
			if err != nil {
				t.Fatal(err)
			}
			if day != 7 || locality != "rural" || status != "suspended" || manager != "AM2" || sum != 350 {
				t.Errorf("outlet 2: day %d, %s, %s, manager %s, deposits %d; want 7, rural, suspended, AM2, 350",
					day, locality, status, manager, sum)
			}
		})
	}
}
