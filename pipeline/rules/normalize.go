package rules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// normText is a text normalised for matching, with the way back to the
// original: for every byte b of norm, the original runes that produced it
// span orig[from[b]:to[b]]. It also remembers, per byte of norm, the clause
// it belongs to and whether a number boundary lies before it.
type normText struct {
	orig string
	norm string
	from []int
	to   []int
	// clause numbers the clauses: punctuation that ends a clause (，。！？；：、…)
	// was dropped between norm[b-1] and norm[b] when clause[b] > clause[b-1].
	clause []int32
	// numBreak[b] is true when norm[b-1] and norm[b] are digits of two
	// different numbers in the original: something other than a space, a
	// hyphen, a decimal point or an ASCII comma stood between them (12345，12333),
	// or one was written as a Chinese digit character and the other not
	// (统一12345).
	numBreak []bool
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

// Break classes of a dropped rune.
const (
	gapNone   = iota
	gapSoft   // . , : — a clause break, except between two digits (1.5, 12,345, 10:30)
	gapClause // ，。！？ and the like: always a clause break
)

func normalize(text string) normText {
	var b strings.Builder
	b.Grow(len(text))
	n := len(text) + 1
	nt := normText{orig: text, from: make([]int, 0, n), to: make([]int, 0, n),
		clause: make([]int32, 0, n), numBreak: make([]bool, 0, n)}
	var (
		clause     int32
		prevDigit  bool // the last rune written is a digit
		prevHan    bool // ... written as a Chinese digit character
		gapJoins   = true
		gapDropped bool
		gapBreak   = gapNone
	)
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		start := i
		i += size
		out, ok := normRune(r) // RuneError (invalid byte) is dropped
		if !ok {
			gapDropped = true
			if !numberJoiner(r) {
				gapJoins = false
			}
			gapBreak = max(gapBreak, breakClass(r))
			continue
		}
		digit := out >= '0' && out <= '9'
		_, han := chineseDigit(r)
		if gapBreak == gapClause || gapBreak == gapSoft && !(digit && prevDigit) {
			clause++
		}
		brk := !(digit && prevDigit) || (gapDropped && !gapJoins) || han != prevHan
		before := b.Len()
		b.WriteRune(out)
		for k := range b.Len() - before {
			nt.from = append(nt.from, start)
			nt.to = append(nt.to, i)
			nt.clause = append(nt.clause, clause)
			nt.numBreak = append(nt.numBreak, brk && k == 0)
		}
		prevDigit, prevHan = digit, han
		gapJoins, gapDropped, gapBreak = true, false, gapNone
	}
	nt.norm = b.String()
	return nt
}

// numberJoiner reports whether r, between two digits, keeps them one number:
// spaces and hyphens group a number's digits (139 1234 5670, 021-12345678), a
// decimal point or an ASCII comma belongs to an amount (12,345.67).
func numberJoiner(r rune) bool {
	switch r {
	case ' ', '\t', '\u00a0', '\u3000', '-', '\uff0d', '\u2010', '\u2011', '\u2013', '.', '\uff0e', ',':
		return true
	}
	return false
}

// breakClass says whether a dropped rune ends a clause.
func breakClass(r rune) int {
	switch r {
	case '.', ',', ':', '\uff0e':
		return gapSoft
	case '，', '。', '！', '？', '；', '：', '、', '…', '｡', '!', '?', ';', '\n', '\r', '—':
		return gapClause
	}
	return gapNone
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

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// wholeNumber reports whether norm[start:end] neither begins nor ends in
// the middle of a number: a digit at either edge must not continue a digit
// of the same number just outside.
func (t *normText) wholeNumber(start, end int) bool {
	if isDigit(t.norm[start]) && start > 0 && isDigit(t.norm[start-1]) && !t.numBreak[start] {
		return false
	}
	if isDigit(t.norm[end-1]) && end < len(t.norm) && isDigit(t.norm[end]) && !t.numBreak[end] {
		return false
	}
	return true
}

// quote returns the original text behind norm[start:end].
func (t *normText) quote(start, end int) string {
	if start >= end || end > len(t.norm) {
		return ""
	}
	return t.orig[t.from[start]:t.to[end-1]]
}

// runeSpan returns the character offsets of norm[start:end] in the
// original text and in the normalised text.
func (t *normText) runeSpan(start, end int) (origStart, origEnd, normStart, normEnd int) {
	origStart = utf8.RuneCountInString(t.orig[:t.from[start]])
	origEnd = origStart + utf8.RuneCountInString(t.orig[t.from[start]:t.to[end-1]])
	normStart = utf8.RuneCountInString(t.norm[:start])
	normEnd = normStart + utf8.RuneCountInString(t.norm[start:end])
	return
}

// runes counts the characters of norm[start:end] (0 when end <= start).
func (t *normText) runes(start, end int) int {
	if end <= start {
		return 0
	}
	return utf8.RuneCountInString(t.norm[start:end])
}

// NormSpan converts a character span [start, end) of text into the
// character span of the normalised text (Normalize(text)) that its
// characters produce. A span of only dropped characters (punctuation)
// becomes empty, at the position where it would be.
func NormSpan(text string, start, end int) (normStart, normEnd int) {
	pos := 0 // character offset in text
	n := 0   // characters written to the normalised text
	normStart, normEnd = -1, -1
	for i := 0; i < len(text); {
		if pos == start && normStart < 0 {
			normStart = n
		}
		if pos == end {
			normEnd = n
			break
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		pos++
		if _, ok := normRune(r); ok {
			n++
		}
	}
	if normStart < 0 {
		normStart = n
	}
	if normEnd < 0 {
		normEnd = n
	}
	return normStart, max(normStart, normEnd)
}
