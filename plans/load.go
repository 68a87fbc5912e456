package plans

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/warroom/warroom/bot"
)

// Set is the plans read from a directory.
type Set struct {
	Dir   string      // the directory, absolute
	Plans []*bot.Plan // sorted by name

	byName map[string]*bot.Plan
}

// Get returns the plan with that name.
func (s *Set) Get(name string) (*bot.Plan, bool) {
	p, ok := s.byName[name]
	return p, ok
}

// Names lists the plans' names, sorted.
func (s *Set) Names() []string {
	names := make([]string, len(s.Plans))
	for i, p := range s.Plans {
		names[i] = p.Name
	}
	return names
}

// Fitting returns the plans that fit a fault, best first (bot.Plan.Fits),
// then by name.
func (s *Set) Fitting(f *bot.Fault) []*bot.Plan {
	var out []*bot.Plan
	for _, p := range bot.ByFit(s.Plans, f) {
		if p.Fits(f) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// Load reads every plan file (*.yaml, *.yml) directly in dir. It returns
// the plans that are wholly valid and every problem, sorted by file and
// line; a broken file is left out and never stops the others. The Set is
// never nil.
func Load(dir string) (*Set, []Problem) {
	set := &Set{Dir: dir, byName: map[string]*bot.Plan{}}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return set, []Problem{{File: dir, Message: fmt.Sprintf("cannot read the plans directory: %v", err)}}
	}
	set.Dir = abs
	entries, err := os.ReadDir(dir)
	if err != nil {
		return set, []Problem{{File: dir, Message: fmt.Sprintf("cannot read the plans directory: %v", err)}}
	}
	// Whoever may write the directory may replace any plan in it.
	if err := writable("", abs); err != nil {
		return set, []Problem{{File: dir, Message: err.Error() + "; no plan is loaded from it"}}
	}
	var probs []Problem
	where := map[string]string{} // plan name -> file:line that defined it
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if (ext != ".yaml" && ext != ".yml") || strings.HasPrefix(name, ".") {
			continue
		}
		file := filepath.Join(dir, name)
		fi, err := os.Stat(file) // follows a symlinked plan file
		if err != nil {
			probs = append(probs, Problem{File: file, Message: err.Error()})
			continue
		}
		if fi.IsDir() {
			continue
		}
		if err := writable("", file); err != nil {
			probs = append(probs, Problem{File: file, Message: err.Error()})
			continue
		}
		if fi.Size() > MaxFileSize {
			probs = append(probs, Problem{File: file, Message: fmt.Sprintf("%d bytes is too large for a plan file (at most %d)", fi.Size(), MaxFileSize)})
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			probs = append(probs, Problem{File: file, Message: err.Error()})
			continue
		}
		plan, line, ps := parse(data, file, abs)
		if len(ps) > 0 {
			probs = append(probs, ps...)
			continue
		}
		if first, dup := where[plan.Name]; dup {
			probs = append(probs, Problem{File: file, Line: line, Field: "name",
				Message: fmt.Sprintf("%q is already the name of the plan in %s; plan names are unique", plan.Name, first)})
			continue
		}
		where[plan.Name] = fmt.Sprintf("%s:%d", file, line)
		plan.File = filepath.Join(abs, name)
		set.Plans = append(set.Plans, plan)
		set.byName[plan.Name] = plan
	}
	sort.Slice(set.Plans, func(i, j int) bool { return set.Plans[i].Name < set.Plans[j].Name })
	sortProblems(probs)
	return set, probs
}

// Check is `warroom plans check`: it loads dir and writes each problem on
// a line, then a summary. The error is non-nil when there was a problem.
func Check(w io.Writer, dir string) error {
	set, probs := Load(dir)
	for _, p := range probs {
		fmt.Fprintln(w, p.String())
	}
	files := map[string]bool{}
	for _, p := range probs {
		files[p.File] = true
	}
	switch n := len(set.Plans); {
	case n == 0:
		fmt.Fprintf(w, "%s: no valid plans\n", dir)
	default:
		fmt.Fprintf(w, "%s: %d %s ok: %s\n", dir, n, plural(n, "plan", "plans"), strings.Join(set.Names(), ", "))
	}
	if len(probs) > 0 {
		return fmt.Errorf("%d %s in %d %s", len(probs), plural(len(probs), "problem", "problems"), len(files), plural(len(files), "file", "files"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
