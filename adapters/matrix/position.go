package matrix

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/warroom/warroom/bot"
)

// sinceStore is the sync position: the next_batch to sync from and the
// newest event seen in each room (where a gap's reading stops), kept in
// warroom's database (kv) so that they survive a restart and a failover
// (the next leader goes on from there), or in a file when one is named.
type sinceStore struct {
	kv   bot.AdapterState
	path string
	mu   sync.Mutex
	pos  position
}

type position struct {
	NextBatch string            `json:"next_batch"`
	Last      map[string]string `json:"last,omitempty"` // room → event id
}

func (s *sinceStore) get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos.NextBatch
}

func (s *sinceStore) last(room string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pos.Last[room]
}

// stateKey is the sync position's key in the database.
const stateKey = "matrix.sync"

func (s *sinceStore) load(ctx context.Context) (string, error) {
	b, err := s.read(ctx)
	if err != nil || b == nil {
		return s.get(), err
	}
	var p position
	if err := json.Unmarshal(b, &p); err != nil {
		if s.kv != nil {
			return "", fmt.Errorf("matrix: the sync position in the database cannot be read: %v", err)
		}
		return "", fmt.Errorf("matrix.sync_file %s: %v; remove it to start from the server's present (events meanwhile are not handled)", s.path, err)
	}
	s.mu.Lock()
	s.pos = p
	s.mu.Unlock()
	return p.NextBatch, nil
}

// read returns the kept position; nil when there is none.
func (s *sinceStore) read(ctx context.Context) ([]byte, error) {
	if s.kv != nil {
		b, err := s.kv.State(ctx, stateKey)
		if err != nil {
			return nil, fmt.Errorf("matrix: reading the sync position: %v", err)
		}
		return b, nil
	}
	if s.path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("matrix.sync_file: %v", err)
	}
	return b, nil
}

// save records the position and the rooms' newest events, in the database
// or in a temporary file renamed into place, so that a crash leaves the
// old position or the new, whole.
func (s *sinceStore) save(ctx context.Context, next string, last map[string]string) error {
	s.mu.Lock()
	s.pos.NextBatch = next
	if s.pos.Last == nil {
		s.pos.Last = map[string]string{}
	}
	for room, ev := range last {
		s.pos.Last[room] = ev
	}
	b, err := json.Marshal(s.pos)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.kv != nil {
		if err := s.kv.SetState(ctx, stateKey, b); err != nil {
			return fmt.Errorf("matrix: saving the sync position: %v", err)
		}
		return nil
	}
	if s.path == "" {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), filepath.Base(s.path)+".*")
	if err != nil {
		return fmt.Errorf("matrix.sync_file: %v", err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("matrix.sync_file: %v", err)
	}
	return nil
}
