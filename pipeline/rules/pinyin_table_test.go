package rules

import (
	"strings"
	"testing"
	"unicode"

	"github.com/mozillazg/go-pinyin"
)

// TestPinyinTable checks the embedded table against go-pinyin, the library
// it was generated from: for every Han code point, the table gives what
// callqa used to take from pinyin.SinglePinyin (Style Normal, no
// heteronyms, no fallback), and no reading where go-pinyin has none.
// internal/pinyingen's test checks that the file is what the generator
// writes today.
func TestPinyinTable(t *testing.T) {
	t.Parallel()
	tab := pinyinTable()
	args := pinyin.Args{Style: pinyin.Normal, Fallback: func(rune, pinyin.Args) []string { return nil }}
	checked, withReading := 0, 0
	for _, rg := range unicode.Han.R16 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			checked++
			withReading += checkReading(t, tab, args, r)
		}
	}
	for _, rg := range unicode.Han.R32 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			checked++
			withReading += checkReading(t, tab, args, r)
		}
	}
	// Every Han character of go-pinyin's dictionary was among them.
	for k := range pinyin.PinyinDict {
		if r := rune(k); !unicode.Is(unicode.Han, r) && tab.reading(r) != "" {
			t.Errorf("%U (not Han) has the reading %q", r, tab.reading(r))
		}
	}
	if withReading < 40000 {
		t.Errorf("%d of %d Han code points have a reading, want over 40,000", withReading, checked)
	}
}

func checkReading(t *testing.T, tab *pinyinTab, args pinyin.Args, r rune) int {
	t.Helper()
	want := ""
	if py := pinyin.SinglePinyin(r, args); len(py) > 0 {
		want = py[0]
	}
	if got := tab.reading(r); got != want {
		t.Errorf("%U %c: table %q, go-pinyin %q", r, r, got, want)
	}
	if want == "" {
		return 0
	}
	return 1
}

// FuzzParsePinyinTable checks that the table parser never panics and that
// a table it accepts answers for every code point without panicking.
func FuzzParsePinyinTable(f *testing.F) {
	// The head of the real table (all of it makes the fuzzer slow).
	lines := strings.SplitAfterN(pinyinTableText, "\n", 12)
	f.Add(strings.Join(lines[:11], ""))
	f.Add("syllables a b\n0 abba\n")
	f.Add("syllables zz\n40 ..aa\n")
	f.Fuzz(func(t *testing.T, text string) {
		tab, err := parsePinyinTable(text)
		if err != nil {
			return
		}
		for blk, codes := range tab.blocks {
			for i := range len(codes) / 2 {
				tab.reading(blk<<pinyinBlockBits + rune(i))
			}
		}
		tab.reading(-1)
		tab.reading(unicode.MaxRune + 1)
	})
}

// BenchmarkParsePinyinTable measures what the first fuzzy rule pays once
// per process: parsing the embedded table.
func BenchmarkParsePinyinTable(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parsePinyinTable(pinyinTableText); err != nil {
			b.Fatal(err)
		}
	}
}
