package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGenerated checks that pipeline/rules/pinyin_table.txt is what this
// program writes: run go generate ./pipeline/rules after changing either.
func TestGenerated(t *testing.T) {
	t.Parallel()
	committed, err := os.ReadFile("../../pinyin_table.txt")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), committed) {
		t.Fatalf("pinyin_table.txt (%d bytes) is not what the generator writes (%d bytes): run go generate ./pipeline/rules",
			len(committed), buf.Len())
	}
}
