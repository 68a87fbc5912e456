package memstore

import (
	"context"
	"slices"

	"github.com/warroom/warroom/bot"
)

var _ bot.AdapterState = (*Store)(nil)

// State returns the adapter value under key; nil when none.
func (s *Store) State(ctx context.Context, key string) ([]byte, error) {
	if err := s.check(ctx, "adapter state"); err != nil {
		return nil, err
	}
	s.d.mu.RLock()
	defer s.d.mu.RUnlock()
	return slices.Clone(s.d.state[key]), nil
}

// SetState keeps value under key.
func (s *Store) SetState(ctx context.Context, key string, value []byte) error {
	if err := s.check(ctx, "saving adapter state"); err != nil {
		return err
	}
	if key == "" {
		return bot.Errorf(bot.EINVALID, "an adapter state needs a key")
	}
	s.d.mu.Lock()
	defer s.d.mu.Unlock()
	if s.d.state == nil {
		s.d.state = map[string][]byte{}
	}
	if value == nil {
		value = []byte{}
	}
	s.d.state[key] = slices.Clone(value)
	return nil
}
