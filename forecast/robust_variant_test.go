package forecast

// Experiments of docs/BENCHMARKS.md (branch fc-robust-cand): the variant of SeasonalRatioRobust and
// the engine's rules for it, from the environment.

import (
	"os"
	"strconv"
)

func init() {
	if v, err := strconv.Atoi(os.Getenv("FCR_VARIANT")); err == nil {
		robustVariant = v
	}
	if os.Getenv("FCR_GUARD") == "0" {
		robustGuardOff = true
	}
	if os.Getenv("FCR_TWIN") == "1" {
		twinExclusive = true
	}
	if os.Getenv("FCR_GUARD") == "1" {
		robustGuardOff = false
	}
}
