package matrix

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// sinceStore is the sync position: the next_batch to sync from and the
// newest event seen in each room (where a gap's reading stops), in a file
// when one is named, so that they survive a restart.
type sinceStore struct {
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

func (s *sinceStore) load() (string, error) {
	if s.path == "" {
		return s.get(), nil
	}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("matrix.sync_file: %v", err)
	}
	var p position
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("matrix.sync_file %s: %v; remove it to start from the server's present (events meanwhile are not handled)", s.path, err)
	}
	s.mu.Lock()
	s.pos = p
	s.mu.Unlock()
	return p.NextBatch, nil
}

// save records the position and the rooms' newest events, then writes
// them to a temporary file renamed into place, so that a crash leaves
// the old position or the new, whole.
func (s *sinceStore) save(next string, last map[string]string) error {
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
	if err != nil || s.path == "" {
		return err
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
