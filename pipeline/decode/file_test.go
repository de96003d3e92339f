package decode

import (
	"io"
	"os"
	"testing"
)

func createFile(path string) (*os.File, error) { return os.Create(path) }

// openFile opens path for a test and returns it with its size.
func openFile(t testing.TB, path string) (io.Reader, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	return f, st.Size()
}
