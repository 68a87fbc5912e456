package bot

// LockWaiters is how many hold or wait for fault id's lock, for tests that
// need to know a command is queued behind another.
func (b *Bot) LockWaiters(id int64) int {
	b.locks.mu.Lock()
	defer b.locks.mu.Unlock()
	if e := b.locks.m[id]; e != nil {
		return e.refs
	}
	return 0
}
