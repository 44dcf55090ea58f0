package stores

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
)

// ConnectionLost reports whether err says, in the network's own terms, that a store could not be
// reached or that the connection to it broke: refused, reset, a broken pipe, EOF mid-answer, a closed
// connection, or a network timeout (a dial error, a read or write deadline). A cancelled context is
// not: the caller gave up. Adapters add their driver's own errors on both sides (a server's answer, a
// pool timeout).
func ConnectionLost(err error) bool {
	var netErr net.Error
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	}
	return errors.As(err, &netErr)
}
