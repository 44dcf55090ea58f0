package storestest

import "testing"

// A second Start of a running server keeps the one process, and Stop then leaves nothing answering
// on the port: before, the second Start replaced the process Stop knew about, and the first server
// outlived the test.
func TestZooKeeperStartTwiceLeavesOneServer(t *testing.T) {
	z := StartZooKeeper(t)
	first := z.cmd.Process.Pid
	z.Start()
	if pid := z.cmd.Process.Pid; pid != first {
		t.Errorf("Start of a running server started process %d beside %d", pid, first)
	}
	z.Stop()
	if z.answers() {
		t.Error("a ZooKeeper still answers on the port after Stop")
	}
	z.Start()
	if !z.answers() {
		t.Error("no ZooKeeper answers after Start of a stopped server")
	}
}
