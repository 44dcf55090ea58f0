package retailer

import "time"

// Overview is an outlet as its account manager watches it: its profile, its last order and how its
// terminal has been uploading.
type Overview struct {
	Profile
	LastOrder *LastOrder // nil when the outlet never ordered
	Upload    Upload
}

// LastOrder is the newest order of an outlet, in short.
type LastOrder struct {
	ID        int64
	Week      time.Time // the cycle's Monday
	Status    string
	UpdatedAt time.Time
}

// Upload sums up an outlet's scan uploads over a period.
type Upload struct {
	Last     time.Time // the last batch received; zero when none
	Batches  int
	Accepted int // rows
	Rejected int // rows
}

// UploadWindow is the period the overview's upload figures cover: the terminal upload rate is daily,
// and a collection point that has not uploaded for a week is one to call.
const UploadWindow = 7 * 24 * time.Hour

// ScanBatchSummary is one scan batch an outlet uploaded.
type ScanBatchSummary struct {
	BatchID    string
	ReceivedAt time.Time
	Accepted   int
	Rejected   int
}

// OverviewQuery selects a page of the outlets a principal may see, in id order.
type OverviewQuery struct {
	After   int64  // only outlets with a larger id
	Limit   int    // at most this many
	Status  Status // only outlets in this status; "" for any
	Licence string // only the outlet with this licence number; "" for any
}
