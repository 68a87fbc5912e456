package bot

import "sync"

// keyLocks is a mutex per key, made when first wanted and dropped when its
// last holder or waiter lets go: unrelated faults (or alert keys) never wait
// for each other, as they did with shared stripes, and the map holds only
// the keys in use.
type keyLocks[K comparable] struct {
	mu sync.Mutex
	m  map[K]*keyLock
}

type keyLock struct {
	sync.Mutex
	refs int // holders and waiters; guarded by keyLocks.mu
}

// lock takes k's lock and returns its unlock.
func (l *keyLocks[K]) lock(k K) func() {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[K]*keyLock)
	}
	e := l.m[k]
	if e == nil {
		e = &keyLock{}
		l.m[k] = e
	}
	e.refs++
	l.mu.Unlock()

	e.Lock()
	return func() {
		e.Unlock()
		l.mu.Lock()
		if e.refs--; e.refs == 0 {
			delete(l.m, k)
		}
		l.mu.Unlock()
	}
}

// held is how many keys have a holder or a waiter (for tests).
func (l *keyLocks[K]) held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}
