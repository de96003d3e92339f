package rules

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/callqa/callqa/models"
)

// phrase is a keyword phrase or a context phrase of a rule, compiled.
type phrase struct {
	text   string   // as written in the scorecard
	norm   string   // Normalize(text)
	digits string   // the digit characters of text as written (一二三 or 123)
	syl    []string // pinyin tokens, for fuzzy rules (accent-folded with accent: true)
	plain  []string // pinyin tokens without the accent folding, when accent: true
	re     *regexp.Regexp
}

// isPattern reports whether a context entry is a /pattern/.
func isPattern(s string) bool {
	return len(s) >= 2 && s[0] == '/' && s[len(s)-1] == '/'
}

// match is one phrase found in an utterance, as a range of its normalised
// text.
type match struct {
	start, end int
	phrase     *phrase
	how        string // models.Match*
}

// writtenDigits returns the characters of s that normalise to digits, as
// written.
func writtenDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if n, ok := normRune(r); ok && n >= '0' && n <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// compilePhrase compiles one phrase; text has been validated.
func (c *Checker) compilePhrase(text string, sp, plainSp *speller) phrase {
	if isPattern(text) {
		return phrase{text: text, re: regexp.MustCompile(text[1 : len(text)-1])}
	}
	p := phrase{text: text, norm: Normalize(text), digits: writtenDigits(text)}
	if sp != nil {
		p.syl = sp.spell(p.norm).tok
		if plainSp != nil {
			p.plain = plainSp.spell(p.norm).tok
		}
	}
	return p
}

// findAll returns every occurrence of p in utterance i, in text order:
// literal ones, then (for fuzzy phrases) homophones that do not overlap a
// literal one. Occurrences of one phrase do not overlap each other. A
// phrase beginning or ending with a digit matches a whole number only,
// unless the scorecard says number_match: substring.
func (st *callState) findAll(i int, p *phrase) []match {
	key := findKey{i, p}
	if ms, ok := st.found[key]; ok {
		return ms
	}
	nt := &st.norm[i]
	var out []match
	switch {
	case p.re != nil:
		for _, loc := range p.re.FindAllStringIndex(nt.norm, -1) {
			if loc[0] < loc[1] {
				out = append(out, match{start: loc[0], end: loc[1], phrase: p, how: models.MatchPattern})
			}
		}
	default:
		for off := 0; off < len(nt.norm); {
			k := strings.Index(nt.norm[off:], p.norm)
			if k < 0 {
				break
			}
			s, e := off+k, off+k+len(p.norm)
			if !st.c.substring && !nt.wholeNumber(s, e) {
				_, size := utf8.DecodeRuneInString(nt.norm[s:])
				off = s + size
				continue
			}
			how := models.MatchExact
			if writtenDigits(nt.quote(s, e)) != p.digits {
				how = models.MatchDigits
			}
			out = append(out, match{start: s, end: e, phrase: p, how: how})
			off = e
		}
		if p.syl != nil {
			out = st.findPinyin(i, p, out)
		}
	}
	st.found[key] = out
	return out
}

type findKey struct {
	utt    int
	phrase *phrase
}

// findPinyin adds to exact the homophones of p in utterance i that overlap
// no exact match, keeping text order.
func (st *callState) findPinyin(i int, p *phrase, exact []match) []match {
	s := st.syllablesOf(i)
	nt := &st.norm[i]
	out := exact
	n := len(p.syl)
	for k := 0; k+n <= len(s.tok); {
		if !slices.Equal(s.tok[k:k+n], p.syl) {
			k++
			continue
		}
		m := match{start: s.start[k], end: s.end[k+n-1], phrase: p, how: models.MatchPinyin}
		if overlapsAny(m, exact) || (!st.c.substring && !nt.wholeNumber(m.start, m.end)) {
			k++
			continue
		}
		if p.plain != nil && !st.plainEqual(nt.norm[m.start:m.end], p.plain) {
			m.how = models.MatchAccent
		}
		out = append(out, m)
		k += n
	}
	slices.SortStableFunc(out, func(a, b match) int { return a.start - b.start })
	return out
}

// plainEqual reports whether text spells as tokens without the accent
// folding.
func (st *callState) plainEqual(text string, tokens []string) bool {
	if st.plainSp == nil {
		st.plainSp = newSpeller(false)
	}
	k := 0
	for _, r := range text {
		if k >= len(tokens) || st.plainSp.token(r) != tokens[k] {
			return false
		}
		k++
	}
	return k == len(tokens)
}

func overlapsAny(m match, ms []match) bool {
	for _, o := range ms {
		if m.start < o.end && o.start < m.end {
			return true
		}
	}
	return false
}

// gap is the number of characters between a and b in utterance i (0 when
// they touch or overlap).
func (st *callState) gap(i int, a, b match) int {
	nt := &st.norm[i]
	switch {
	case a.end <= b.start:
		return nt.runes(a.end, b.start)
	case b.end <= a.start:
		return nt.runes(b.end, a.start)
	}
	return 0
}

// sameClause reports whether spans a and b of utterance i share a clause.
func (st *callState) sameClause(i int, a, b match) bool {
	cl := st.norm[i].clause
	return cl[a.start] <= cl[b.end-1] && cl[b.start] <= cl[a.end-1]
}

// counts applies the rule's context to a hit m of utterance i: near must
// find one of its phrases close by, and no except or not_after phrase may
// cancel it.
func (st *callState) counts(i int, r *compiledRule, m match) bool {
	if r.near != nil && (r.nearFor == nil || r.nearFor[m.phrase.text]) {
		ok := false
		for j := range r.near {
			for _, n := range st.findAll(i, &r.near[j]) {
				if n.start >= m.start && n.end <= m.end {
					continue // part of the hit itself
				}
				if st.gap(i, m, n) <= r.nearWithin {
					ok = true
					break
				}
			}
		}
		if !ok {
			return false
		}
	}
	for j := range r.except {
		for _, e := range st.findAll(i, &r.except[j]) {
			if r.exceptWithin >= 0 && st.gap(i, m, e) <= r.exceptWithin ||
				r.exceptWithin < 0 && st.sameClause(i, m, e) {
				return false
			}
		}
	}
	for j := range r.notAfter {
		for _, a := range st.findAll(i, &r.notAfter[j]) {
			if a.start >= m.start || a.end > m.end {
				continue // not before the hit
			}
			if st.norm[i].clause[min(a.end-1, m.start)] != st.norm[i].clause[m.start] {
				continue // a clause ends in between
			}
			if r.notAfterWithin < 0 || st.gap(i, a, m) <= r.notAfterWithin {
				return false
			}
		}
	}
	return true
}

// structured turns the matches of utterance i into models.Match values,
// sorted by position.
func (st *callState) structured(i int, ms []match) []models.Match {
	slices.SortStableFunc(ms, func(a, b match) int { return a.start - b.start })
	out := make([]models.Match, 0, len(ms))
	nt := &st.norm[i]
	for _, m := range ms {
		os, oe, ns, ne := nt.runeSpan(m.start, m.end)
		out = append(out, models.Match{Phrase: m.phrase.text, How: m.how, Start: os, End: oe, NormStart: ns, NormEnd: ne})
	}
	return out
}

// Evidence is the evidence text of a keyword or regex hit: the text of
// each match (character offsets Start:End of text) in order, each distinct
// quote once, joined by " / "; a homophone names the phrase it stands for
// ("公号 (拼音匹配: 工号)"). The engine calls it again after masking
// personal data in text.
func Evidence(text string, ms []models.Match) string {
	var parts []string
	for _, m := range ms {
		q := runeSlice(text, m.Start, m.End)
		if m.How == models.MatchPinyin || m.How == models.MatchAccent {
			q += " (拼音匹配: " + m.Phrase + ")"
		}
		if !slices.Contains(parts, q) {
			parts = append(parts, q)
		}
	}
	return strings.Join(parts, " / ")
}

// runeSlice returns the characters [start, end) of s, as written (invalid
// bytes count as one character each and are kept).
func runeSlice(s string, start, end int) string {
	from, to := len(s), len(s)
	pos := 0
	for i := 0; i <= len(s); {
		if pos == start && from == len(s) {
			from = i
		}
		if pos == end {
			to = i
			break
		}
		if i == len(s) {
			break
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		pos++
	}
	if from > to {
		return ""
	}
	return s[from:to]
}
