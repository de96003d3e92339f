package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// normText is a text normalised for matching, with the way back to the
// original: for every byte b of norm, the original runes that produced it
// span orig[from[b]:to[b]].
type normText struct {
	orig string
	norm string
	from []int
	to   []int
}

// Normalize returns text as the rules match it: full-width ASCII folded to
// half-width, Latin letters lower-cased, Chinese digit characters
// (零〇一二三四五六七八九, and 幺 for 1 as read in phone numbers) turned into
// ASCII digits, and everything but letters, digits and combining marks
// (punctuation, symbols, spaces) removed. Phrases and utterances go through
// the same function, so 一二三三三 matches 12333.
func Normalize(text string) string {
	return normalize(text).norm
}

func normalize(text string) normText {
	var b strings.Builder
	b.Grow(len(text))
	from := make([]int, 0, len(text)+1)
	to := make([]int, 0, len(text)+1)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		start := i
		i += size
		n, ok := normRune(r) // RuneError (invalid byte) is dropped
		if !ok {
			continue
		}
		before := b.Len()
		b.WriteRune(n)
		for range b.Len() - before {
			from = append(from, start)
			to = append(to, i)
		}
	}
	return normText{orig: text, norm: b.String(), from: from, to: to}
}

// normRune maps one rune; ok is false for runes that are dropped.
func normRune(r rune) (rune, bool) {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		r -= 0xFEE0
	case r == 0x3000: // ideographic space
		return 0, false
	}
	if d, ok := chineseDigit(r); ok {
		return d, true
	}
	if r < utf8.RuneSelf {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A'), true
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r, true
		}
		return 0, false
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) {
		return unicode.ToLower(r), true
	}
	return 0, false
}

func chineseDigit(r rune) (rune, bool) {
	switch r {
	case '零', '〇':
		return '0', true
	case '一', '幺':
		return '1', true
	case '二':
		return '2', true
	case '三':
		return '3', true
	case '四':
		return '4', true
	case '五':
		return '5', true
	case '六':
		return '6', true
	case '七':
		return '7', true
	case '八':
		return '8', true
	case '九':
		return '9', true
	}
	return 0, false
}

// quote returns the original text behind norm[start:end].
func (t *normText) quote(start, end int) string {
	if start >= end || end > len(t.norm) {
		return ""
	}
	return t.orig[t.from[start]:t.to[end-1]]
}
