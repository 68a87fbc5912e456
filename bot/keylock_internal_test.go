package bot

import (
	"sync"
	"testing"
)

// A key's lock excludes its other holders, leaves other keys free, and is
// dropped from the map once nobody holds or waits for it.
func TestKeyLocks(t *testing.T) {
	t.Parallel()
	var l keyLocks[int64]

	unlock1 := l.lock(1)
	// Another key is free while 1 is held: this would deadlock with stripes
	// that put 1 and 2 together, and with one lock for all.
	unlock2 := l.lock(2)
	unlock2()

	got := make(chan struct{})
	go func() {
		u := l.lock(1)
		close(got)
		u()
	}()
	select {
	case <-got:
		t.Fatal("key 1 was taken twice at once")
	default:
	}
	unlock1()
	<-got

	var wg sync.WaitGroup
	n := 0
	for range 100 {
		wg.Go(func() {
			u := l.lock(7)
			n++ // the race detector fails this if the lock does not exclude
			u()
		})
	}
	wg.Wait()
	if n != 100 {
		t.Fatalf("n = %d, want 100", n)
	}
	if h := l.held(); h != 0 {
		t.Fatalf("%d keys left in the map after every holder let go", h)
	}
}
