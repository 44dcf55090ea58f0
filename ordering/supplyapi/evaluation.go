package supplyapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/xuri/excelize/v2"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// Evaluator evaluates brands in a month (*ordering.Evaluator).
type Evaluator interface {
	Evaluate(ctx context.Context, month time.Time, brands []string) ([]ordering.Evaluation, error)
}

// WithEvaluations adds the brand evaluation route.
func (h *Handler) WithEvaluations(e Evaluator) { h.evaluator = e }

// Media types of the evaluation's exports.
const (
	CSVType  = "text/csv; charset=utf-8"
	XLSXType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

var evaluationHeader = []string{"rank", "brand", "name", "manufacturer", "stage", "sales", "growth", "listing_rate",
	"stock_to_sales", "sell_through", "forecast_accuracy", "score"}

type evaluationJSON struct {
	Rank         int      `json:"rank"`
	Brand        string   `json:"brand"`
	Name         string   `json:"name"`
	Manufacturer string   `json:"manufacturer"`
	Stage        string   `json:"stage"`
	Sales        float64  `json:"sales"`
	Growth       *float64 `json:"growth"`
	ListingRate  float64  `json:"listing_rate"`
	StockToSales *float64 `json:"stock_to_sales"`
	SellThrough  *float64 `json:"sell_through"`
	Accuracy     *float64 `json:"forecast_accuracy"`
	Score        float64  `json:"score"`
}

func evaluationOf(e ordering.Evaluation) evaluationJSON {
	sales := 0.0
	if n := len(e.Sales); n > 0 {
		sales = e.Sales[n-1]
	}
	return evaluationJSON{Rank: e.Rank, Brand: e.Brand, Name: e.Name, Manufacturer: e.Manufacturer, Stage: string(e.Stage),
		Sales: round(sales), Growth: roundp4(e.Growth), ListingRate: round4(e.ListingRate), StockToSales: roundp(e.StockToSales),
		SellThrough: roundp4(e.SellThrough), Accuracy: roundp4(e.Accuracy), Score: round4(e.Score)}
}

func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

func roundp4(f *float64) *float64 {
	if f == nil {
		return nil
	}
	r := round4(*f)
	return &r
}

func cell(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

func (e evaluationJSON) record() []string {
	return []string{strconv.Itoa(e.Rank), e.Brand, e.Name, e.Manufacturer, e.Stage, strconv.FormatFloat(e.Sales, 'f', -1, 64),
		cell(e.Growth), strconv.FormatFloat(e.ListingRate, 'f', -1, 64), cell(e.StockToSales), cell(e.SellThrough),
		cell(e.Accuracy), strconv.FormatFloat(e.Score, 'f', -1, 64)}
}

// evaluations is the brand evaluation of a month, ranked: JSON, or ?format=csv or xlsx to export it.
func (h *Handler) evaluations(c echo.Context) error {
	_, m, err := scopeOwn(c, retailer.RolePlanner, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	month, err := time.Parse("2006-01", c.QueryParam("month"))
	if err != nil {
		fields["month"] = "required: YYYY-MM"
	}
	format := c.QueryParam("format")
	switch format {
	case "", "json", "csv", "xlsx":
	default:
		fields["format"] = "want json, csv or xlsx"
	}
	if len(fields) > 0 {
		return problem.Invalid(fields)
	}
	ctx := c.Request().Context()
	levels, err := h.store.StockLevels(ctx, m, "") // the brands the caller may see
	if err != nil {
		return err
	}
	brands := make([]string, len(levels))
	for i, l := range levels {
		brands[i] = l.Brand
	}
	es, err := h.evaluator.Evaluate(ctx, month, brands)
	if err != nil {
		return err
	}
	rows := make([]evaluationJSON, len(es))
	for i, e := range es {
		rows[i] = evaluationOf(e)
	}
	name := "brand-evaluation-" + month.Format("2006-01")
	switch format {
	case "csv":
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write(evaluationHeader) //nolint:errcheck // a bytes.Buffer; w.Error is checked
		for _, r := range rows {
			w.Write(r.record()) //nolint:errcheck // as above
		}
		if w.Flush(); w.Error() != nil {
			return w.Error()
		}
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".csv"))
		return c.Blob(http.StatusOK, CSVType, b.Bytes())
	case "xlsx":
		b, err := workbook(rows)
		if err != nil {
			return err
		}
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".xlsx"))
		return c.Blob(http.StatusOK, XLSXType, b)
	}
	return c.JSON(http.StatusOK, struct {
		Month  string           `json:"month"`
		Brands []evaluationJSON `json:"brands"`
	}{month.Format("2006-01"), rows})
}

// workbook writes the ranking as an Excel workbook of one sheet, numbers as numbers.
func workbook(rows []evaluationJSON) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close() //nolint:errcheck // in memory
	const sheet = "Brands"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, err
	}
	header := make([]any, len(evaluationHeader))
	for i, h := range evaluationHeader {
		header[i] = h
	}
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return nil, err
	}
	opt := func(p *float64) any {
		if p == nil {
			return nil
		}
		return *p
	}
	for i, r := range rows {
		row := []any{r.Rank, r.Brand, r.Name, r.Manufacturer, r.Stage, r.Sales, opt(r.Growth), r.ListingRate,
			opt(r.StockToSales), opt(r.SellThrough), opt(r.Accuracy), r.Score}
		addr, err := excelize.CoordinatesToCellName(1, i+2)
		if err != nil {
			return nil, err
		}
		if err := f.SetSheetRow(sheet, addr, &row); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, fmt.Errorf("write the workbook: %w", err)
	}
	return b.Bytes(), nil
}
