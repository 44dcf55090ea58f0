package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	retailerch "github.com/ordercast/ordercast/retailer/clickhouse"
	"github.com/ordercast/ordercast/retailer/grading"
	retailerapi "github.com/ordercast/ordercast/retailer/httpapi"
	retailerpg "github.com/ordercast/ordercast/retailer/postgres"
)

const gradeSummary = "Recomputes every outlet's grade (1–30) from the last -weeks full weeks' purchases by the published\n" +
	"rule (retailer/grading): percentile ranks of purchase amount and quantity among active outlets, a\n" +
	"score that earns a grade per thirtieth, at most -max-step grades of movement. Prints every outlet's\n" +
	"old and new grade with its reason, then publishes them (outlets.grade, and grade_changes with the\n" +
	"rule and reason, effective today): allocations use them at once. -dry-run writes nothing."

type gradeFlags struct {
	storeConfig
	weeks, maxStep       int
	amountWeight         float64
	dryRun, json, change bool
	timeZone             string
}

func runGrade(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("grade", flag.ContinueOnError)
	var f gradeFlags
	f.storeConfig.register(fs, e.getenv)
	def := grading.DefaultRule()
	fs.IntVar(&f.weeks, "weeks", def.Weeks, fmt.Sprintf("purchases of the last N full weeks (%d to %d)", grading.MinWeeks, grading.MaxWeeks))
	fs.Float64Var(&f.amountWeight, "amount-weight", def.AmountWeight, "weight 0 … 1 of the amount's percentile; the quantity's is the rest")
	fs.IntVar(&f.maxStep, "max-step", def.MaxStep, "at most this many grades of movement per recomputation")
	fs.BoolVar(&f.dryRun, "dry-run", false, "preview: print the new grades, write nothing")
	fs.BoolVar(&f.json, "json", false, "print one JSON object with every outlet's result")
	fs.BoolVar(&f.change, "changed", false, "list only the outlets whose grade changes")
	registerTimeZone(fs, e.getenv, &f.timeZone, "whose today's week ends the -weeks read")
	if err := parseFlags(fs, e, gradeSummary, args); err != nil {
		return err
	}
	rule := grading.Rule{Weeks: f.weeks, AmountWeight: f.amountWeight, MaxStep: f.maxStep}
	loc, zoneErr := loadZone(f.timeZone)
	if err := usageError(e, fs, ruleProblem(rule.Validate()), f.storeConfig.validate(), zoneErr); err != nil {
		return err
	}
	opened, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer opened.Close()
	outlets := retailerpg.New(opened.pg)
	g := &grading.Grader{Outlets: outlets, Purchases: retailerch.NewOnCluster(opened.cluster), Store: outlets}
	now := time.Now().In(loc)
	var rc grading.Recomputation
	changed := 0
	if f.dryRun {
		rc, err = g.Preview(ctx, rule, now)
	} else {
		rc, changed, err = g.Publish(ctx, rule, now)
	}
	if err != nil {
		return err
	}
	if f.json {
		v := retailerapi.GradesViewOf(rc, true)
		if !f.dryRun {
			v.EffectiveFrom, v.Changed = now.UTC().Format(time.DateOnly), &changed
		}
		return json.NewEncoder(e.stdout).Encode(v)
	}
	printGrades(e.stdout, rc, f.change)
	if f.dryRun {
		fmt.Fprintln(e.stdout, "\ndry run: nothing written")
	} else {
		fmt.Fprintf(e.stdout, "\npublished: %d grades changed, effective %s; allocations use them now\n",
			changed, now.UTC().Format(time.DateOnly))
	}
	return nil
}

// ruleProblem names the flag of a rule's invalid parameter.
func ruleProblem(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.TrimPrefix(err.Error(), grading.ErrInvalidRule.Error()+": ")
	for param, flagName := range map[string]string{"weeks": "-weeks", "amount weight": "-amount-weight", "max step": "-max-step"} {
		if rest, ok := strings.CutPrefix(msg, param+" "); ok {
			return errors.New(flagName + " " + rest)
		}
	}
	return err
}

func printGrades(w io.Writer, rc grading.Recomputation, changedOnly bool) {
	s := rc.Summary
	fmt.Fprintf(w, "rule %s, purchases %s … %s\n%s\n\n", rc.Rule.Version(), rc.From.Format(time.DateOnly),
		rc.To.AddDate(0, 0, -1).Format(time.DateOnly), rc.Rule.Text())
	fmt.Fprintf(w, "%d outlets, %d ranked: %d up, %d down, %d unchanged; %d held back by the step limit\n\n",
		s.Outlets, s.Ranked, s.Up, s.Down, s.Same, s.Capped)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "licence\told\tnew\treason")
	for _, r := range rc.Results {
		if changedOnly && r.New == r.Grade {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", r.Licence, r.Grade, r.New, r.Reason)
	}
	tw.Flush()
}
