package httpapi_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/warroom/warroom/cmd/warroom/httpapi"
	"github.com/warroom/warroom/store/memstore"
)

// A client that sends its headers a byte at a time is cut off when the
// header timeout passes; it does not hold the connection for as long as it
// likes. (The test waits on the server closing the connection, not on a
// timer of its own; the generous deadline only guards a hang.)
func TestSlowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	srv := (&httpapi.Server{Store: memstore.New()}).HTTPServer(httpapi.Timeouts{ReadHeader: 150 * time.Millisecond})
	assert.Equal(t, httpapi.MaxHeaderBytes, srv.MaxHeaderBytes)
	assert.Equal(t, httpapi.DefaultTimeouts.Idle, srv.IdleTimeout)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n") // and then nothing more
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	_, err = bufio.NewReader(conn).ReadString('\n')
	require.Error(t, err)
	var ne net.Error
	timedOut := errors.As(err, &ne) && ne.Timeout()
	assert.False(t, timedOut, "the server closed the connection; the test's guard did not have to")
}
