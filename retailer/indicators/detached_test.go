package indicators

import (
	"context"
	"testing"
)

// A shared computation outlives the caller that started it, not the server's life.
func TestDetached(t *testing.T) {
	caller, cancelCaller := context.WithCancel(context.Background())
	life, endLife := context.WithCancel(context.Background())
	ctx, cancel := detached(caller, life)
	defer cancel()
	cancelCaller()
	if ctx.Err() != nil {
		t.Fatal("the computation ended with its caller")
	}
	endLife()
	<-ctx.Done() // ends with life; the test times out otherwise

	ctx, cancel = detached(context.Background(), nil)
	if cancel(); ctx.Err() == nil {
		t.Error("cancel did not end a computation without a life")
	}
}
