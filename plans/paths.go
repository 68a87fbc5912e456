package plans

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/warroom/warroom/bot/yamlnode"
)

// checkScriptPath is the load-time check of a script step's program: its
// path, and with a directory the file itself (scriptFile), whose hash it
// returns. With no directory it checks only what the path says.
func checkScriptPath(dir, name string) (hash string, err error) {
	if err := scriptName(name); err != nil {
		return "", err
	}
	if dir == "" {
		return "", nil
	}
	return scriptFile(dir, name)
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

// othersMayWrite reports the mode of a file or directory that someone
// other than its owner may write (group- or world-writable), or "".
func othersMayWrite(fi os.FileInfo) string {
	if fi.Mode().Perm()&0o022 == 0 {
		return ""
	}
	who := "its group"
	switch m := fi.Mode().Perm(); {
	case m&0o022 == 0o022:
		who = "its group and everyone"
	case m&0o002 != 0:
		who = "everyone"
	}
	return fmt.Sprintf("mode %04o (writable by %s)", fi.Mode().Perm(), who)
}

// writable checks paths for othersMayWrite: nil when none is, else the
// refusal naming each such path, its mode and the fix. what, if not "",
// says what the paths are for (the script as the plan names it).
func writable(what string, paths ...string) error {
	var bad, fix []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return fmt.Errorf("%s: %v", what, err)
		}
		if m := othersMayWrite(fi); m != "" {
			bad = append(bad, p+" has "+m)
			fix = append(fix, p)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	// Whoever can write a plan, a script or a directory above one can
	// change what an approved run does.
	if what != "" {
		what += ": "
	}
	return fmt.Errorf("%s%s: someone other than the owner could change what an approved run does, so it is refused (fix: chmod go-w %s)",
		what, strings.Join(bad, "; "), strings.Join(fix, " "))
}

// scriptFile is the load-time check of a script step's program beyond its
// path: the file (once every symlink is followed) and every directory
// between it and the plan's directory must be writable by their owner
// only, and its content hash is what the plan's version covers and what a
// run checks before it runs it.
func scriptFile(dir, name string) (hash string, err error) {
	real, err := resolveScript(dir, name)
	if err != nil {
		return "", err
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("the plan's directory: %v", err)
	}
	var chain []string // the script, then each directory up to root
	for p := real; p != root && inside(root, p); p = filepath.Dir(p) {
		chain = append(chain, p)
	}
	if err := writable(fmt.Sprintf("%q", yamlnode.Clip(name)), chain...); err != nil {
		return "", err
	}
	return hashFile(real)
}

// hashFile is a file's content hash, as Plan.Scripts records it.
func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
