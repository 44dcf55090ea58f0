package historycsv_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/ordercast/ordercast/forecast/historycsv"
)

// BenchmarkReader measures parsing alone, on rows shaped like the Walmart export (daily and weekly)
// and the M5 one. It reports rows/s besides ns/op (one op is one whole input).
func BenchmarkReader(b *testing.B) {
	const rows = 200_000
	walmartCSV := func() []byte {
		var buf bytes.Buffer
		buf.WriteString("Store,Dept,Date,Weekly_Sales,IsHoliday\n")
		start := time.Date(2010, 2, 5, 0, 0, 0, 0, time.UTC)
		for i := range rows {
			fmt.Fprintf(&buf, "%d,%d,%s,%d.%02d,FALSE\n", 1+i%45, 1+(i/45)%99, start.AddDate(0, 0, 7*(i/4455%143)).Format(time.DateOnly), i%50000, i%100)
		}
		return buf.Bytes()
	}()
	m5CSV := func() []byte {
		var buf bytes.Buffer
		buf.WriteString("store_id,item_id,dept_id,cat_id,date,sales\n")
		start := time.Date(2011, 1, 29, 0, 0, 0, 0, time.UTC)
		for i := range rows {
			fmt.Fprintf(&buf, "CA_%d,FOODS_1_%03d,FOODS_1,FOODS,%s,%d\n", 1+i/1913%7, i/13391%28, start.AddDate(0, 0, i%1913).Format(time.DateOnly), i%5)
		}
		return buf.Bytes()
	}()
	walmart := historycsv.Options{Outlet: "Store", Brand: "Dept", Date: "Date", Qty: "Weekly_Sales"}
	weekly := walmart
	weekly.Period = historycsv.Weekly
	for _, bm := range []struct {
		name string
		data []byte
		opts historycsv.Options
	}{
		{"walmart/day", walmartCSV, walmart},
		{"walmart/week", walmartCSV, weekly},
		{"m5/day", m5CSV, historycsv.Options{Outlet: "store_id", Brand: "item_id", Date: "date", Qty: "sales"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := historycsv.NewReader(bytes.NewReader(bm.data), bm.opts)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					_, err := r.Read()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != rows {
					b.Fatalf("read %d rows; want %d", n, rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
