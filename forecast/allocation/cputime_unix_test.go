//go:build unix

package allocation

import "syscall"

// cpuTime returns the CPU time the process has used, in nanoseconds.
func cpuTime() (int64, bool) {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0, false
	}
	return u.Utime.Nano() + u.Stime.Nano(), true
}
