package forecast

import "errors"

// Errors the forecast store's readers return (wrapped); the interfaces that consume them say which.
var (
	// ErrNoRun: no complete forecast run (of the dataset, or covering the week asked about).
	ErrNoRun = errors.New("forecast: no forecast run")
	// ErrNoScores: the month was never scored for the dataset and what it was scored against.
	ErrNoScores = errors.New("forecast: no accuracy scores")
)
