package main

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A job made of several passes runs each of them, even after one failed, and returns every error.
func TestPassesRunsEachAndJoinsErrors(t *testing.T) {
	first, third := errors.New("first failed"), errors.New("third failed")
	var ran []int
	pass := func(i int, err error) func(context.Context, time.Time) error {
		return func(context.Context, time.Time) error { ran = append(ran, i); return err }
	}
	err := passes(pass(1, first), pass(2, nil), pass(3, third))(context.Background(), time.Now())
	if len(ran) != 3 || !errors.Is(err, first) || !errors.Is(err, third) {
		t.Errorf("passes ran %v and returned %v; want all three run and both errors", ran, err)
	}
	ran = nil
	if err := passes(pass(1, nil), pass(2, nil))(context.Background(), time.Now()); err != nil || len(ran) != 2 {
		t.Errorf("passes of two that succeed ran %v and returned %v; want both run, nil", ran, err)
	}
}
