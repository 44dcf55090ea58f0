package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ordercast/ordercast/forecast"
	forecastch "github.com/ordercast/ordercast/forecast/clickhouse"
)

// scoreConfig is the configuration of `ordercast score`.
type scoreConfig struct {
	ClickHouseDSN     string
	ClickHouseCluster string
	Month             string // YYYY-MM
	Against           string
	Dataset           string
	JSON              bool
	TimeZone          string // a month has finished when its last day has begun there
}

func runScore(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	var cfg scoreConfig
	fs.StringVar(&cfg.ClickHouseDSN, "ch-dsn", envOr(e.getenv, "ORDERCAST_CH_DSN", defaultClickHouseDSN),
		"ClickHouse DSN, native protocol, the history store (env ORDERCAST_CH_DSN)")
	registerCluster(fs, e.getenv, &cfg.ClickHouseCluster)
	fs.StringVar(&cfg.Month, "month", "", "YYYY-MM: the month to score (required)")
	fs.StringVar(&cfg.Against, "against", string(forecast.AgainstSales),
		"what forecasts are scored against: sales (delivered, cut by limits), requested (what retailers asked for:\n"+
			"the uncensored demand the orders keep), or truth (true_demand, seeded data only)")
	fs.StringVar(&cfg.Dataset, "dataset", forecast.LiveDataset, "the dataset: live or an imported one")
	fs.BoolVar(&cfg.JSON, "json", false, "print one JSON object with every score instead of a table")
	registerTimeZone(fs, e.getenv, &cfg.TimeZone, "whose calendar day is today")
	summary := "Scores the forecast of a month made by the latest forecast run that covers all of it (as of its first\n" +
		"Monday or earlier, for enough weeks: forecast run -horizon 6) against what happened, per outlet, brand,\n" +
		"account manager, area and the company, and stores the scores in accuracy_scores, replacing any\n" +
		"earlier scoring of the month. accuracy is the company formula on each key's total,\n" +
		"max(0, 1 − |ΣA − ΣF| / ΣA); item accuracy 1 − Σ|A − F| / ΣA over its outlet × brand items, where an\n" +
		"item forecast but not sold (A = 0) counts its whole forecast as error; a key without any actual\n" +
		"scores 1 if nothing was forecast either, else 0, and has no WAPE or bias. Only a finished month is\n" +
		"scored: one whose last day is today or earlier and within the history."
	if err := parseFlags(fs, e, summary, args); err != nil {
		return err
	}
	var errs []error
	if !strings.HasPrefix(cfg.ClickHouseDSN, "clickhouse://") {
		errs = append(errs, errors.New("-ch-dsn: want clickhouse://host:port/database (native protocol)"))
	}
	if err := clusterError(cfg.ClickHouseCluster); err != nil {
		errs = append(errs, err)
	}
	month, err := time.Parse("2006-01", cfg.Month)
	if err != nil {
		errs = append(errs, fmt.Errorf("-month %q: want YYYY-MM", cfg.Month))
	}
	against, err := forecast.ParseAgainst(cfg.Against)
	if err != nil {
		errs = append(errs, fmt.Errorf("-against %q: want sales, requested or truth", cfg.Against))
	}
	loc, err := loadZone(cfg.TimeZone)
	errs = append(errs, err)
	now := time.Now().In(loc)
	if !month.IsZero() {
		errs = append(errs, unfinishedMonth(forecast.MonthFinished(month, now, time.Time{})))
	}
	if strings.TrimSpace(cfg.Dataset) == "" {
		errs = append(errs, errors.New("-dataset: empty"))
	}
	if err := usageError(e, fs, errs...); err != nil {
		return err
	}
	history, err := openHistory(ctx, cfg.ClickHouseDSN, cfg.ClickHouseCluster)
	if err != nil {
		return err
	}
	defer history.Close()
	store := forecastch.NewOnCluster(history)
	info, err := store.Dataset(ctx, cfg.Dataset)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	scorer := forecast.Scorer{Source: store, Outlets: store, Scores: store, Progress: barProgress{e.stderr}}
	rep, err := scorer.Score(ctx, forecast.ScoreRequest{Month: month, Dataset: cfg.Dataset, Against: against,
		Now: now, LastDay: info.LastDay})
	if errors.Is(err, forecast.ErrUnfinishedMonth) {
		return usageError(e, fs, unfinishedMonth(err))
	}
	if errors.Is(err, forecast.ErrNoRun) {
		dataset := ""
		if cfg.Dataset != forecast.LiveDataset {
			dataset = " -dataset " + cfg.Dataset
		}
		return hint(err, "score: no forecast run of dataset %s covers all of %s; make one first with "+
			"`ordercast forecast run%s -as-of %s -horizon 6`", cfg.Dataset, month.Format("2006-01"), dataset,
			month.Format(time.DateOnly))
	}
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	if cfg.JSON {
		return printScoresJSON(e.stdout, rep)
	}
	printScores(e.stdout, rep)
	return nil
}

// unfinishedMonth rewords an error of forecast.MonthFinished as the problem of -month; nil stays nil.
func unfinishedMonth(err error) error {
	var u *forecast.UnfinishedMonthError
	if !errors.As(err, &u) {
		return err
	}
	bound := "today"
	if u.History {
		bound = "the last day of history"
	}
	return hint(err, "-month %s: the month has not finished: it ends on %s, after %s (%s)", u.Month.Format("2006-01"),
		u.Ends.Format(time.DateOnly), bound, u.Bound.Format(time.DateOnly))
}

// scoreJSON is one score in the output of `score --json`.
type scoreJSON struct {
	Level        string    `json:"level"`
	Key          string    `json:"key"`
	Actual       jsonFloat `json:"actual"`
	Forecast     jsonFloat `json:"forecast"`
	AbsError     jsonFloat `json:"abs_error"`
	Accuracy     jsonFloat `json:"accuracy"`
	ItemAccuracy jsonFloat `json:"item_accuracy"`
	WAPE         jsonFloat `json:"wape"` // null without actuals
	Bias         jsonFloat `json:"bias"`
}

// scoresJSON is the output of `score --json`.
type scoresJSON struct {
	Month    string      `json:"month"`
	Dataset  string      `json:"dataset"`
	Against  string      `json:"against"`
	RunID    string      `json:"run_id"`
	AsOf     string      `json:"as_of"`
	Horizon  int         `json:"horizon"`
	Items    int         `json:"items"`
	ScoredAt time.Time   `json:"scored_at"`
	Seconds  jsonFloat   `json:"seconds"`
	Scores   []scoreJSON `json:"scores"`
}

func printScoresJSON(w io.Writer, rep forecast.ScoreReport) error {
	out := scoresJSON{Month: rep.Month.Format("2006-01"), Dataset: rep.Dataset, Against: string(rep.Against),
		RunID: rep.RunID, AsOf: rep.Run.AsOf.Format(time.DateOnly), Horizon: rep.Run.Horizon, Items: rep.Items,
		ScoredAt: rep.ScoredAt, Seconds: jsonFloat(rep.Elapsed.Seconds()), Scores: make([]scoreJSON, len(rep.Scores))}
	for i, s := range rep.Scores {
		out.Scores[i] = scoreJSON{Level: string(s.Level), Key: s.Key, Actual: jsonFloat(s.Actual),
			Forecast: jsonFloat(s.Forecast), AbsError: jsonFloat(s.AbsError), Accuracy: jsonFloat(s.Accuracy),
			ItemAccuracy: jsonFloat(s.ItemAccuracy()), WAPE: jsonFloat(s.WAPE), Bias: jsonFloat(s.Bias)}
	}
	if err := json.NewEncoder(w).Encode(out); err != nil {
		return fmt.Errorf("score: %w", err)
	}
	return nil
}

// mostBrands is how many brands the table of `score` shows, the largest by actual.
const mostBrands = 10

func printScores(w io.Writer, rep forecast.ScoreReport) {
	var b strings.Builder
	fmt.Fprintf(&b, "accuracy of %s, dataset %s, against %s: run %s (as of %s, %d weeks)\n", rep.Month.Format("2006-01"),
		rep.Dataset, rep.Against, rep.RunID, rep.Run.AsOf.Format(time.DateOnly), rep.Run.Horizon)
	fmt.Fprintf(&b, "items:    %d outlet × brand (%d forecast, %d with an actual)\n\n", rep.Items, rep.Forecast, rep.Sold)
	by := make(map[forecast.ScoreLevel][]forecast.Score)
	for _, s := range rep.Scores {
		by[s.Level] = append(by[s.Level], s)
	}
	fmt.Fprintf(&b, "%-8s %-16s %12s %12s %9s %9s %8s %8s\n", "level", "key", "A: "+string(rep.Against), "forecast", "accuracy",
		"item acc", "wape", "bias")
	row := func(s forecast.Score) {
		key := s.Key
		if key == "" && s.Level != forecast.ScoreCompany {
			key = "(none)"
		}
		fmt.Fprintf(&b, "%-8s %-16s %12.1f %12.1f %9.4f %9.4f %8s %8s\n", s.Level, key, s.Actual, s.Forecast,
			s.Accuracy, s.ItemAccuracy(), ratioText(s.WAPE, false), ratioText(s.Bias, true))
	}
	for _, l := range []forecast.ScoreLevel{forecast.ScoreCompany, forecast.ScoreArea, forecast.ScoreManager} {
		for _, s := range by[l] {
			row(s)
		}
	}
	brands := slices.Clone(by[forecast.ScoreBrand])
	slices.SortStableFunc(brands, func(x, y forecast.Score) int { return cmp.Compare(y.Actual, x.Actual) })
	for i, s := range brands {
		if i == mostBrands {
			fmt.Fprintf(&b, "%-8s … %d more brands (all are stored; --json prints them)\n", "brand", len(brands)-mostBrands)
			break
		}
		row(s)
	}
	if outlets := by[forecast.ScoreOutlet]; len(outlets) > 0 {
		acc := make([]float64, len(outlets))
		for i, s := range outlets {
			acc[i] = s.Accuracy
		}
		slices.Sort(acc)
		q := func(p float64) float64 { return acc[int(math.Round(p*float64(len(acc)-1)))] }
		fmt.Fprintf(&b, "%-8s %d outlets: accuracy of their totals, quartiles %.4f / %.4f / %.4f (min %.4f)\n", "outlet",
			len(outlets), q(0.25), q(0.5), q(0.75), acc[0])
	}
	fmt.Fprintf(&b, "\nA: %s; every figure is against it.\n", againstText[rep.Against])
	fmt.Fprintf(&b, "accuracy: max(0, 1 − |ΣA − ΣF| / ΣA) of the key's total; item acc: 1 − Σ|A − F| / ΣA over its outlet × brand\n"+
		"items, an item forecast and not sold counting its whole forecast as error; wape Σ|A − F| / Σ|A|; bias Σ(F − A) / Σ|A|.\n")
	fmt.Fprintf(&b, "stored:   %d scores in accuracy_scores (scored at %s); time %.1f s\n", len(rep.Scores),
		rep.ScoredAt.Format(time.DateTime), rep.Elapsed.Seconds())
	io.WriteString(w, b.String())
}

// againstText says what the actuals A of a scoring are.
var againstText = map[forecast.Against]string{
	forecast.AgainstSales:     "sales, the quantities delivered (limits and failed orders cut them)",
	forecast.AgainstRequested: "requested, the quantities retailers asked for before limits cut them",
	forecast.AgainstTruth:     "truth, the true demand the seed generator kept",
}

// ratioText formats a ratio that may be undefined (NaN): "-" then.
func ratioText(v float64, signed bool) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case signed:
		return fmt.Sprintf("%+.4f", v)
	}
	return fmt.Sprintf("%.4f", v)
}
