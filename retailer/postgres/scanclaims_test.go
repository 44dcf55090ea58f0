package postgres

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ordercast/ordercast/deploy/stores/storestest"
	"github.com/ordercast/ordercast/retailer"
)

func TestScanBatchClaims(t *testing.T) {
	ctx := context.Background()
	s := New(storestest.Postgres(t))
	const outlet, lease = "530121000001", time.Minute
	// claim claims and checks that first is reported for the first claim of a batch only.
	claimedBefore := map[string]bool{}
	claim := func(batch, token string, lease time.Duration) (bool, *retailer.ScanOutcome) {
		t.Helper()
		claimed, first, stored, err := s.ClaimScanBatch(ctx, outlet, batch, token, lease)
		if err != nil {
			t.Fatalf("ClaimScanBatch(%s, %s) = %v", batch, token, err)
		}
		if want := claimed && !claimedBefore[batch]; first != want {
			t.Errorf("ClaimScanBatch(%s, %s) = claimed %v, first %v; want first %v", batch, token, claimed, first, want)
		}
		claimedBefore[batch] = claimedBefore[batch] || claimed
		return claimed, stored
	}

	// Many attempts at once: one claim.
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := 0
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			claimed, first, _, err := s.ClaimScanBatch(ctx, outlet, "b1", fmt.Sprint("t", i), lease)
			if err != nil {
				t.Errorf("ClaimScanBatch: %v", err)
			}
			if first != claimed {
				t.Errorf("the winner of 16 first claims: claimed %v, first %v; want both or neither", claimed, first)
			}
			if claimed {
				mu.Lock()
				winners++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if winners != 1 {
		t.Fatalf("16 concurrent claims of one batch: %d won; want 1", winners)
	}

	if c, stored := claim("b2", "a", lease); !c || stored != nil {
		t.Errorf("first claim = %v, %v; want claimed", c, stored)
	}
	if c, stored := claim("b2", "b", lease); c || stored != nil {
		t.Errorf("claim held by another = %v, %v; want neither claimed nor stored", c, stored)
	}
	if c, _ := claim("b2", "a", lease); !c {
		t.Error("renewal by the holder = not claimed; want claimed")
	}
	if err := s.ReleaseScanBatch(ctx, outlet, "b2", "b"); err != nil {
		t.Fatal(err)
	}
	if c, _ := claim("b2", "b", lease); c {
		t.Error("a release by a non-holder freed the claim")
	}
	if err := s.ReleaseScanBatch(ctx, outlet, "b2", "a"); err != nil {
		t.Fatal(err)
	}
	if c, _ := claim("b2", "b", lease); !c {
		t.Error("claim after the holder released = not claimed; want claimed")
	}

	// A holder that crashed: its lease has passed, and the next attempt takes over.
	if c, _ := claim("b3", "crashed", -time.Second); !c {
		t.Fatal("first claim of b3 = not claimed")
	}
	if c, _ := claim("b3", "next", lease); !c {
		t.Error("claim after the lease passed = not claimed; want taken over")
	}

	out := retailer.ScanOutcome{BatchID: "b3", Accepted: 2,
		Rejects: []retailer.ScanReject{{Row: 2, Reason: retailer.RejectDuplicate, Detail: "a repeat of row 1"}}}
	if err := s.FinishScanBatch(ctx, outlet, out); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishScanBatch(ctx, outlet, retailer.ScanOutcome{BatchID: "b3", Accepted: 9}); err != nil {
		t.Fatal(err)
	}
	want := out
	want.Replay = true
	for _, token := range []string{"next", "other"} {
		c, stored := claim("b3", token, lease)
		if c || stored == nil || !reflect.DeepEqual(*stored, want) {
			t.Errorf("claim of a finished batch by %s = %v, %+v; want the first outcome %+v", token, c, stored, want)
		}
	}
	if err := s.ReleaseScanBatch(ctx, outlet, "b3", "next"); err != nil {
		t.Fatal(err)
	}
	if _, stored := claim("b3", "other", lease); stored == nil {
		t.Error("a release removed a finished batch's outcome")
	}
}
