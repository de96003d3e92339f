package pii

import (
	"bufio"
	"os"
	"testing"
	"unicode/utf8"
)

// FuzzMask checks that Mask never panics, keeps valid UTF-8 valid, replaces
// exactly the spans it reports, leaves no detected number's digits and no
// e-mail address behind, and finds nothing more in its own output. Seeds:
// testdata/seeds.txt, one text a line.
func FuzzMask(f *testing.F) {
	file, err := os.Open("testdata/seeds.txt")
	if err != nil {
		f.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		f.Add(sc.Text())
	}
	if err := sc.Err(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > 4096 {
			return // an utterance, not a book
		}
		masked, m := Mask(text)
		if utf8.ValidString(text) && !utf8.ValidString(masked) {
			t.Fatalf("Mask(%q) = %q: invalid UTF-8", text, masked)
		}
		checkMasked(t, text, masked, m)
	})
}
