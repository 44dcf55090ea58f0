package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/ordercast/ordercast/retailer"
)

// OverviewReader lists the outlets a principal may see, authorization being part of its query
// (retailer/postgres.Store).
type OverviewReader interface {
	Overviews(ctx context.Context, p retailer.Principal, q retailer.OverviewQuery) ([]retailer.Overview, error)
}

// UploadReader reads what outlets uploaded (retailer/clickhouse.Store).
type UploadReader interface {
	Uploads(ctx context.Context, outlets []string, since time.Time) (map[string]retailer.Upload, error)
	ScanBatches(ctx context.Context, outlet string, limit int) ([]retailer.ScanBatchSummary, error)
}

// MaxPageSize caps the outlets or scan batches one page lists.
const MaxPageSize = 200

// WithOverviews adds the outlet list (GET /outlets: an account manager's outlets with status, last
// order, upload status and balance) and an outlet's scan batches (GET /outlets/{id}/scans).
func (h *Handler) WithOverviews(outlets OverviewReader, uploads UploadReader) {
	h.overviews, h.uploads = outlets, uploads
}

type overviewJSON struct {
	*profileJSON
	LastOrder *lastOrderJSON `json:"last_order"`
	Upload    uploadJSON     `json:"upload"`
}

type lastOrderJSON struct {
	ID        int64     `json:"id"`
	Cycle     string    `json:"cycle"`
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updated_at"`
}

type uploadJSON struct {
	// Status is "known", or "unknown" when the history store could not be read: the figures are then
	// zero and uploading and last_batch_at null.
	Status string `json:"status"`
	// Uploading says whether a collection point uploaded a batch with valid rows in the period; it is
	// null for outlets that are not collection points.
	Uploading *bool      `json:"uploading"`
	Last      *time.Time `json:"last_batch_at"`
	Days      int        `json:"period_days"`
	Batches   int        `json:"batches"`
	Accepted  int        `json:"accepted_rows"`
	Rejected  int        `json:"rejected_rows"`
}

type overviewPage struct {
	Outlets []overviewJSON `json:"outlets"`
	Next    string         `json:"next,omitempty"` // the query of the next page
}

// pageParams reads limit and after (an id) from the query.
func pageParams(c echo.Context, def int) (limit int, after int64, fields map[string]string) {
	limit, fields = def, map[string]string{}
	var err error
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > MaxPageSize {
			fields["limit"] = fmt.Sprintf("want 1 to %d", MaxPageSize)
		}
	}
	if v := c.QueryParam("after"); v != "" {
		if after, err = strconv.ParseInt(v, 10, 64); err != nil || after < 0 {
			fields["after"] = "want an id"
		}
	}
	return limit, after, fields
}

func (h *Handler) listOutlets(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	switch p.Role {
	case retailer.RoleManager, retailer.RolePlanner, retailer.RoleAdmin:
	default:
		return retailer.Forbidden("the outlet list is for account managers and planners")
	}
	limit, after, fields := pageParams(c, 50)
	status := retailer.Status(c.QueryParam("status"))
	switch status {
	case "", retailer.Active, retailer.Suspended, retailer.Closed:
	default:
		fields["status"] = "want active, suspended or closed"
	}
	licence := c.QueryParam("licence")
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	ctx := c.Request().Context()
	list, err := h.overviews.Overviews(ctx, p, retailer.OverviewQuery{After: after, Limit: limit, Status: status, Licence: licence})
	if err != nil {
		return err
	}
	licences := make([]string, len(list))
	for i, o := range list {
		licences[i] = o.Licence
	}
	now := h.now()
	// The list is PostgreSQL's; only the upload figures come from ClickHouse, and without them the
	// list still serves.
	uploads, err := h.uploads.Uploads(ctx, licences, now.Add(-retailer.UploadWindow))
	uploadStatus := "known"
	if errors.Is(err, retailer.ErrUnavailable) {
		uploadStatus = "unknown"
	} else if err != nil {
		return err
	}
	page := overviewPage{Outlets: make([]overviewJSON, len(list))}
	for i, o := range list {
		v := overviewJSON{profileJSON: profileOf(o.Profile)}
		if o.LastOrder != nil {
			v.LastOrder = &lastOrderJSON{ID: o.LastOrder.ID, Cycle: o.LastOrder.Week.Format(time.DateOnly),
				Status: o.LastOrder.Status, UpdatedAt: o.LastOrder.UpdatedAt.UTC()}
		}
		u := uploads[o.Licence]
		v.Upload = uploadJSON{Status: uploadStatus, Days: int(retailer.UploadWindow / (24 * time.Hour)),
			Batches: u.Batches, Accepted: u.Accepted, Rejected: u.Rejected}
		if !u.Last.IsZero() {
			last := u.Last.UTC()
			v.Upload.Last = &last
		}
		if o.CollectionPoint && uploadStatus == "known" {
			ok := u.Accepted > 0
			v.Upload.Uploading = &ok
		}
		page.Outlets[i] = v
	}
	if len(list) == limit {
		page.Next = fmt.Sprintf("?status=%s&limit=%d&after=%d", status, limit, list[len(list)-1].ID)
		if licence != "" {
			page.Next += "&licence=" + url.QueryEscape(licence)
		}
	}
	return c.JSON(http.StatusOK, page)
}

type scanBatchJSON struct {
	BatchID    string    `json:"batch_id"`
	ReceivedAt time.Time `json:"received_at"`
	Accepted   int       `json:"accepted"`
	Rejected   int       `json:"rejected"`
}

func (h *Handler) listScanBatches(c echo.Context) error {
	p, _ := retailer.PrincipalFrom(c.Request().Context())
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%w: outlet %q", retailer.ErrNotFound, c.Param("id"))
	}
	limit, _, fields := pageParams(c, 20)
	if len(fields) > 0 {
		return &retailer.ValidationError{Fields: fields}
	}
	o, err := h.outlets.Outlet(c.Request().Context(), p, id)
	if err != nil {
		return err
	}
	batches, err := h.uploads.ScanBatches(c.Request().Context(), o.Licence, limit)
	if err != nil {
		return err
	}
	out := struct {
		Batches []scanBatchJSON `json:"batches"`
	}{Batches: make([]scanBatchJSON, len(batches))}
	for i, b := range batches {
		out.Batches[i] = scanBatchJSON{BatchID: b.BatchID, ReceivedAt: b.ReceivedAt.UTC(), Accepted: b.Accepted, Rejected: b.Rejected}
	}
	return c.JSON(http.StatusOK, out)
}
