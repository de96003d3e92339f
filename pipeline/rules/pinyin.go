package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// syllables is a normalised text as a sequence of pronunciation tokens: one
// per rune of the normalised text, so token i covers norm[start[i]:end[i]].
type syllables struct {
	tok   []string
	start []int
	end   []int
}

// digitReading is how an ASCII digit is read aloud, so that 4 and 四 (both
// normalised to 4) sound like 十 under the accent folding.
func digitReading(d rune) string {
	const readings = "ling yi er san si wu liu qi ba jiu"
	return strings.Fields(readings)[d-'0']
}

// speller turns Han characters into toneless pinyin (the most common
// reading, from pinyinTable), optionally folded for southern accents,
// memoising per rune. It is not safe for concurrent use: make one per
// goroutine (the Checker makes one per Check call).
type speller struct {
	accent bool
	memo   map[rune]string
}

func newSpeller(accent bool) *speller {
	return &speller{accent: accent, memo: make(map[rune]string)}
}

// spell tokenises a normalised text.
func (s *speller) spell(norm string) syllables {
	n := len(norm)
	out := syllables{tok: make([]string, 0, n/3+1), start: make([]int, 0, n/3+1), end: make([]int, 0, n/3+1)}
	for i, r := range norm {
		out.tok = append(out.tok, s.token(r))
		out.start = append(out.start, i)
		out.end = append(out.end, i+utf8.RuneLen(r))
	}
	return out
}

func (s *speller) token(r rune) string {
	if t, ok := s.memo[r]; ok {
		return t
	}
	var t string
	switch {
	case r >= '0' && r <= '9':
		t = digitReading(r)
	case unicode.Is(unicode.Han, r):
		// Characters without a reading are their own token.
		if t = pinyinTable().reading(r); t == "" {
			t = string(r)
		}
	default:
		t = string(r)
	}
	if s.accent && t != "" && t[0] >= 'a' && t[0] <= 'z' && len(t) > 1 {
		t = foldAccent(t)
	}
	s.memo[r] = t
	return t
}

// foldAccent merges the syllables southern speakers (and ASR trained on
// them) confuse: the retroflex initials zh ch sh with z c s, initial n with
// l, and the finals ing and eng with in and en.
func foldAccent(syl string) string {
	switch {
	case strings.HasPrefix(syl, "zh"), strings.HasPrefix(syl, "ch"), strings.HasPrefix(syl, "sh"):
		syl = syl[:1] + syl[2:]
	case syl[0] == 'n' && syl != "ng":
		syl = "l" + syl[1:]
	}
	switch {
	case strings.HasSuffix(syl, "ing"), strings.HasSuffix(syl, "eng"):
		syl = syl[:len(syl)-1]
	}
	return syl
}

// index returns the first token position where phrase occurs in s as a
// contiguous run, or -1.
func (s syllables) index(phrase []string) int {
	if len(phrase) == 0 {
		return -1
	}
outer:
	for i := 0; i+len(phrase) <= len(s.tok); i++ {
		for j, p := range phrase {
			if s.tok[i+j] != p {
				continue outer
			}
		}
		return i
	}
	return -1
}
