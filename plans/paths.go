package plans

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/warroom/warroom/bot/yamlnode"
)

// checkScriptPath is the load-time check of a script step's program. With
// no directory it checks only what the path says.
func checkScriptPath(dir, name string) error {
	if err := scriptName(name); err != nil {
		return err
	}
	if dir == "" {
		return nil
	}
	_, err := resolveScript(dir, name)
	return err
}

// scriptName checks what a script's path says on its own: the plan's
// directory is the boundary, and ".." is refused even when it would come
// back inside, so that a reader sees at a glance where a script lives.
func scriptName(name string) error {
	switch {
	case name == "":
		return errors.New("the script is empty; name a file in the plan's directory, e.g. scripts/restart.sh")
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("%q has a NUL byte", yamlnode.Clip(name))
	case slices.Contains(strings.Split(filepath.ToSlash(name), "/"), ".."):
		return fmt.Errorf("%q: a script path may not contain ..; scripts live in the plan's directory", yamlnode.Clip(name))
	}
	return nil
}

// resolveScript finds a script step's program: a regular, executable file
// that is inside dir once every symlink is followed. It is called at load
// and again before every run, since files change between the two; it
// returns the resolved path, which is what gets executed, so that a
// symlink swapped after the check is not followed.
func resolveScript(dir, name string) (string, error) {
	if err := scriptName(name); err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("the plan's directory: %v", err)
	}
	full := name
	if !filepath.IsAbs(full) {
		full = filepath.Join(dir, name)
	}
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%q does not exist in the plan's directory %s (a script step runs a file there, with no shell)", yamlnode.Clip(name), dir)
		}
		return "", fmt.Errorf("%q: %v", yamlnode.Clip(name), err)
	}
	if !inside(root, real) {
		return "", fmt.Errorf("%q resolves to %s, outside the plan's directory %s", yamlnode.Clip(name), real, dir)
	}
	fi, err := os.Stat(real)
	switch {
	case err != nil:
		return "", fmt.Errorf("%q: %v", yamlnode.Clip(name), err)
	case !fi.Mode().IsRegular():
		return "", fmt.Errorf("%q is not a regular file", yamlnode.Clip(name))
	case fi.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("%q is not executable (chmod +x %s)", yamlnode.Clip(name), name)
	}
	return real, nil
}

// inside reports whether path is root or below it; both are cleaned,
// symlink-free absolute paths.
func inside(root, path string) bool {
	rel, err := filepath.Rel(root, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
