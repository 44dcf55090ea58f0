package httpapi

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordercast/ordercast/ordering"
)

// orderMetrics counts order placements by result and their lines by outcome.
type orderMetrics struct {
	orders *prometheus.CounterVec // result
	lines  *prometheus.CounterVec // outcome
}

// WithMetrics registers the ordering metrics on reg and counts every order placed from then on:
// ordercast_orders_total{result} and ordercast_order_lines_total{outcome}.
func (h *Handler) WithMetrics(reg prometheus.Registerer) error {
	m := &orderMetrics{
		orders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ordercast_orders_total",
			Help: "Order placements and edits by result: created, updated, or why they were refused.",
		}, []string{"result"}),
		lines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ordercast_order_lines_total",
			Help: "Lines of placed orders by outcome: granted in full, limited (granted the remaining limit), supply (granted what was left of the brand's supply), " +
				"refused (all-or-nothing order over a limit), not_on_sale.",
		}, []string{"outcome"}),
	}
	for _, c := range []prometheus.Collector{m.orders, m.lines} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	// Every series from the start, so that a rate over them is 0, not missing, before the first order.
	for _, r := range []string{"created", "updated", "refused_limit", "window_closed", "not_on_sale",
		"outlet_inactive", "conflict", "invalid", "error"} {
		m.orders.WithLabelValues(r)
	}
	for _, o := range []string{"granted", "limited", "supply", "refused", "not_on_sale"} {
		m.lines.WithLabelValues(o)
	}
	h.metrics = m
	return nil
}

// observe counts one placement: its result and, when it was placed, its lines; an all-or-nothing
// refusal counts every requested line as refused.
func (m *orderMetrics) observe(o ordering.Order, created bool, requested int, err error) {
	if m == nil || errors.Is(err, ordering.ErrIdempotencyKeyHeld) || errors.Is(err, ordering.ErrIdempotencyInFlight) {
		return // not a placement: the request is answered from its Idempotency-Key
	}
	result := "updated"
	switch {
	case err == nil && created:
		result = "created"
	case err == nil:
	case errors.Is(err, ordering.ErrLimitExceeded):
		result = "refused_limit"
		m.lines.WithLabelValues("refused").Add(float64(requested))
	case errors.Is(err, ordering.ErrWindowClosed):
		result = "window_closed"
	case errors.Is(err, ordering.ErrNotOnSale):
		result = "not_on_sale"
		m.lines.WithLabelValues("not_on_sale").Inc()
	case errors.Is(err, ordering.ErrOutletInactive):
		result = "outlet_inactive"
	case errors.Is(err, ordering.ErrConflict):
		result = "conflict"
	default:
		var invalid *ordering.ValidationError
		if errors.As(err, &invalid) {
			result = "invalid"
		} else {
			result = "error"
		}
	}
	m.orders.WithLabelValues(result).Inc()
	if err != nil {
		return
	}
	for _, l := range o.Lines {
		switch {
		case l.Reason == ordering.ByLimit:
			m.lines.WithLabelValues("limited").Inc()
		case l.Reason != "":
			m.lines.WithLabelValues(string(l.Reason)).Inc()
		default:
			m.lines.WithLabelValues("granted").Inc()
		}
	}
}
