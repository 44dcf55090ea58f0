package httpapi

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"
)

// xlsxType is the media type of an Excel workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// table is a header row and data rows of cells.
type table [][]any

type sheet struct {
	name string
	rows table
}

func num(x *float64) any {
	if x == nil {
		return nil
	}
	return *x
}

// figuresTable lays rows out one line per row and indicator.
func figuresTable(rows []rowJSON) table {
	t := table{{"level", "key", "name", "indicator", "unit", "period", "start", "value", "no_data", "numerator", "denominator",
		"target", "gap", "previous", "change", "rank", "peers"}}
	for _, r := range rows {
		for _, v := range r.Values {
			var noData, rank, peers any
			if v.NoData != nil {
				noData = *v.NoData
			}
			if v.Rank != nil {
				rank, peers = *v.Rank, *v.Peers
			}
			t = append(t, []any{r.Level, r.Key, r.Name, v.Indicator, v.Unit, v.Period.Kind, v.Period.Start, num(v.Value), noData,
				v.Numerator, v.Denominator, num(v.Target), num(v.Gap), num(v.Previous), num(v.Change), rank, peers})
		}
	}
	return t
}

func stockTable(stock []stockJSON) table {
	t := table{{"brand", "stock_cartons", "weekly_sales_cartons", "ratio_weeks", "lower_weeks", "upper_weeks", "warning"}}
	for _, b := range stock {
		t = append(t, []any{b.Brand, b.Stock, b.WeeklySales, num(b.Ratio), num(b.LowerWeeks), num(b.UpperWeeks), b.Warning})
	}
	return t
}

func listTable(filter string, l *listJSON) table {
	cols := listColumns[filter]
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = c
	}
	t := table{header}
	for _, it := range l.Items {
		row := make([]any, len(cols))
		for i, c := range cols {
			row[i] = it[c]
		}
		t = append(t, row)
	}
	return t
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func attachment(c echo.Context, name, ext string) {
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name+"."+ext))
}

// writeCSV answers with t as CSV.
func writeCSV(c echo.Context, name string, t table) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	for _, row := range t {
		rec := make([]string, len(row))
		for i, v := range row {
			rec[i] = cell(v)
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	attachment(c, name, "csv")
	return c.Blob(http.StatusOK, "text/csv", buf.Bytes())
}

// writeXLSX answers with an Excel workbook of one sheet per table.
func writeXLSX(c echo.Context, name string, sheets []sheet) error {
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			return err
		}
		for r, row := range s.rows {
			addr, err := excelize.CoordinatesToCellName(1, r+1)
			if err != nil {
				return err
			}
			if err := f.SetSheetRow(s.name, addr, &row); err != nil {
				return err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	attachment(c, name, "xlsx")
	return c.Blob(http.StatusOK, xlsxType, buf.Bytes())
}
