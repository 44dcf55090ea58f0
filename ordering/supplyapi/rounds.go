package supplyapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/cmd/ordercast/problem"
	"github.com/ordercast/ordercast/ordering"
	"github.com/ordercast/ordercast/retailer"
)

// RoundStore keeps the delivery round (ordering/postgres.Store). Errors wrap ordering.ErrNotFound (no
// such order, or not of the outlet), ordering.ErrConflict (the order is not delivered, or its receipt
// is recorded already), ordering.ErrInvalid (a *ordering.ValidationError naming the lines), or are
// 500s.
type RoundStore interface {
	PickList(ctx context.Context, day time.Time) (ordering.PickList, error)
	Return(ctx context.Context, orderID int64, lines []ordering.ReturnLine, userID int64, now time.Time) (ordering.ReturnOutcome, error)
	Receipt(ctx context.Context, outletID, orderID int64, lines []ordering.ReceivedLine, note string, now time.Time) (string, error)
}

type pickLineJSON struct {
	Brand   string `json:"brand"`
	Name    string `json:"name"`
	Cartons int    `json:"cartons"`
}

type stopJSON struct {
	Order   int64          `json:"order"`
	Outlet  int64          `json:"outlet"`
	Licence string         `json:"licence"`
	Name    string         `json:"name"`
	Address string         `json:"address"`
	Lines   []pickLineJSON `json:"lines"`
}

type routeJSON struct {
	Route string     `json:"route"`
	Stops []stopJSON `json:"stops"`
}

type routeDeliveredJSON struct {
	Route  string `json:"route"`
	Orders int    `json:"orders"`
}

func pickLines(ls []ordering.PickLine) []pickLineJSON {
	out := make([]pickLineJSON, len(ls))
	for i, l := range ls {
		out[i] = pickLineJSON(l)
	}
	return out
}

// round is logistics' pick list of a day: the paid orders to deliver, by route, and how many of the
// day's orders each route has delivered.
func (h *Handler) round(c echo.Context) error {
	if _, _, err := scope(c, retailer.RoleLogistics, retailer.RoleAdmin, retailer.RolePlanner); err != nil {
		return err
	}
	day, err := time.Parse(time.DateOnly, c.Param("day"))
	if err != nil {
		return problem.Invalid(map[string]string{"day": "want a day as YYYY-MM-DD"})
	}
	pl, err := h.rounds.PickList(c.Request().Context(), day)
	if err != nil {
		return err
	}
	out := struct {
		Day       string               `json:"day"`
		Routes    []routeJSON          `json:"routes"`
		Totals    []pickLineJSON       `json:"totals"`
		Delivered []routeDeliveredJSON `json:"delivered"`
	}{Day: pl.Day.Format(time.DateOnly), Routes: make([]routeJSON, len(pl.Routes)), Totals: pickLines(pl.Totals),
		Delivered: make([]routeDeliveredJSON, len(pl.Delivered))}
	for i, d := range pl.Delivered {
		out.Delivered[i] = routeDeliveredJSON(d)
	}
	for i, r := range pl.Routes {
		out.Routes[i] = routeJSON{Route: r.Route, Stops: make([]stopJSON, len(r.Stops))}
		for j, s := range r.Stops {
			out.Routes[i].Stops[j] = stopJSON{Order: s.OrderID, Outlet: s.Outlet, Licence: s.Licence, Name: s.Name, Address: s.Address, Lines: pickLines(s.Lines)}
		}
	}
	return c.JSON(http.StatusOK, out)
}

func orderParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("order"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("%w: order %q", ordering.ErrNotFound, c.Param("order"))
	}
	return id, nil
}

type returnRequest struct {
	Lines []struct {
		Brand   string `json:"brand"`
		Cartons int    `json:"cartons"`
		Reason  string `json:"reason"`
	} `json:"lines"`
}

// recordReturn records damaged goods an outlet gave back from a delivered order (logistics): refunded
// to the outlet's balance and put back into stock.
func (h *Handler) recordReturn(c echo.Context) error {
	p, _, err := scope(c, retailer.RoleLogistics, retailer.RoleAdmin)
	if err != nil {
		return err
	}
	id, err := orderParam(c)
	if err != nil {
		return err
	}
	var req returnRequest
	if err := c.Bind(&req); err != nil {
		return err
	}
	lines := make([]ordering.ReturnLine, len(req.Lines))
	for i, l := range req.Lines {
		lines[i] = ordering.ReturnLine{Brand: strings.TrimSpace(l.Brand), Cartons: l.Cartons, Reason: l.Reason}
	}
	res, err := h.rounds.Return(c.Request().Context(), id, lines, p.UserID, h.now())
	if err != nil {
		return err
	}
	type lineJSON struct {
		Brand   string `json:"brand"`
		Cartons int    `json:"cartons"`
		Reason  string `json:"reason"`
	}
	out := struct {
		Order       int64      `json:"order"`
		RefundCents int64      `json:"refund_cents"`
		Lines       []lineJSON `json:"lines"`
	}{Order: res.OrderID, RefundCents: res.RefundCents, Lines: make([]lineJSON, len(res.Lines))}
	for i, l := range res.Lines {
		out.Lines[i] = lineJSON{Brand: l.Brand, Cartons: l.Cartons, Reason: strings.TrimSpace(l.Reason)}
	}
	return c.JSON(http.StatusCreated, out)
}

type receiptRequest struct {
	Lines []struct {
		Brand    string `json:"brand"`
		Received int    `json:"received"`
	} `json:"lines"`
	Note string `json:"note"`
}

// receipt is the retailer confirming what arrived of its delivered order, or reporting a shortfall.
func (h *Handler) receipt(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	outlet, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || outlet <= 0 {
		return fmt.Errorf("%w: outlet %q", ordering.ErrNotFound, c.Param("id"))
	}
	if p.Role != retailer.RoleRetailer {
		return fmt.Errorf("%w: %s", errRole, p.Role)
	}
	if p.OutletID != outlet {
		return fmt.Errorf("%w: outlet %d", ordering.ErrNotFound, outlet) // another outlet's: as if none
	}
	id, err := orderParam(c)
	if err != nil {
		return err
	}
	var req receiptRequest
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) > 0 { // no body: everything arrived
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		if err := c.Bind(&req); err != nil {
			return err
		}
	}
	if len(req.Note) > ordering.MaxReason {
		return problem.Invalid(map[string]string{"note": fmt.Sprintf("at most %d bytes", ordering.MaxReason)})
	}
	lines := make([]ordering.ReceivedLine, len(req.Lines))
	for i, l := range req.Lines {
		lines[i] = ordering.ReceivedLine{Brand: strings.TrimSpace(l.Brand), Received: l.Received}
	}
	state, err := h.rounds.Receipt(c.Request().Context(), outlet, id, lines, req.Note, h.now())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, struct {
		Order   int64  `json:"order"`
		Receipt string `json:"receipt"`
	}{id, state})
}
