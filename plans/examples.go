package plans

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

//go:embed *.yaml scripts
var examples embed.FS

// Examples are the example plans (server breakdown, database data
// exception, network attack) and their demo scripts, which only say what
// they would do. WriteExamples puts them where they can run.
var Examples fs.FS = examples

// WriteExamples writes the example plans and their scripts into dir,
// creating it; scripts are made executable, since an embedded file keeps
// no mode. A file already there with the same content is left as it is;
// one with different content is not overwritten (someone may have edited
// it) and is an error.
func WriteExamples(dir string) error {
	return fs.WalkDir(examples, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		// Modes are set whatever the umask: Load refuses what others may
		// write.
		if d.IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			return os.Chmod(dst, 0o755)
		}
		data, err := examples.ReadFile(name)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(name, "scripts/") || path.Ext(name) == ".sh" {
			mode = 0o755
		}
		if old, err := os.ReadFile(dst); err == nil {
			if !bytes.Equal(old, data) {
				return fmt.Errorf("plans: %s exists and differs from the example; not overwriting it", dst)
			}
			return os.Chmod(dst, mode)
		}
		f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return fmt.Errorf("plans: %w", err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("plans: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("plans: %w", err)
		}
		return os.Chmod(dst, mode)
	})
}
