// Package pii finds personal data in what callers and agents say, and masks
// it: Chinese resident ID card numbers, mobile and landline phone numbers,
// bank card numbers and e-mail addresses.
//
// Detection works on utterance text as ASR writes it. Digits count however
// they are written: ASCII, full-width, or read out as Chinese digit
// characters (幺三九幺二三四五六七零, with 零〇一二三四五六七八九 and 幺 and 两 as
// digits), and a number may be split into groups by up to three spaces,
// hyphens, commas (，,、), full stops, slashes or brackets (139-1234-5670,
// 139 1234 5670, 一三九，一二三四，五六七零, (021)12345678); where Chinese
// digit characters and Arabic digits meet, the group is split as well
// (幺三九12345670, 一13912345670). A group written without separators is
// judged on its own first; groups are joined only when they are not a
// number by themselves. What counts:
//
//   - ID card (身份证号): 18 characters, 17 digits and a digit or X, with a
//     plausible birth date (19xx/20xx, month 01-12, day 01-31); or the old
//     15-digit form with a plausible yymmdd birth date. The first digit
//     (the province) is 1-8. The ISO 7064 check character is not required:
//     ASR mishears digits, and a number with one digit wrong is still the
//     caller's ID number, to be kept out of what is stored.
//   - mobile (手机号): 11 digits, 1 then 3-9.
//   - landline (固定电话): with its area code, 0 + 10 or 2x + 8 digits
//     (Beijing, Shanghai, Guangzhou...), or 0 + a three-digit area code and
//     7 or 8 digits.
//   - bank card (银行卡号): 16 to 19 digits passing the Luhn check.
//   - e-mail (邮箱): local@domain.tld in ASCII (full-width and Chinese
//     digits folded).
//
// Numbers that are none of these stay: 12333, amounts, dates, job numbers,
// the last four digits of an ID card. Once a number is detected, every
// other occurrence of its digits in the text (also inside a longer or
// differently grouped number, and, with MaskTranscript, in other
// utterances) is masked too, so no detected number survives anywhere.
//
// Mask replaces each span with its label ([身份证号], [手机号], [固定电话],
// [银行卡号], [邮箱]) and returns a Mapping that moves character offsets of
// the original text to the masked one, so that offsets computed on the
// original (rule matches) can be re-based.
package pii

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/callqa/callqa/models"
)

// Kind is a kind of personal data.
type Kind string

// The kinds of personal data detected.
const (
	IDCard   Kind = "id_card"
	Mobile   Kind = "mobile"
	Landline Kind = "landline"
	BankCard Kind = "bank_card"
	Email    Kind = "email"
)

// Label is the text that replaces data of kind k when masked.
func (k Kind) Label() string {
	switch k {
	case IDCard:
		return "[身份证号]"
	case Mobile:
		return "[手机号]"
	case Landline:
		return "[固定电话]"
	case BankCard:
		return "[银行卡号]"
	case Email:
		return "[邮箱]"
	}
	return "[个人信息]"
}

// Span is one piece of personal data in a text: characters [Start, End)
// (Unicode code points; an invalid byte counts as one).
type Span struct {
	Kind  Kind
	Start int
	End   int
}

// Detect returns the personal data in text, in text order, without
// overlaps.
func Detect(text string) []Span {
	d := newDoc(text)
	d.detect()
	d.repeats(d.numbers())
	return d.sorted()
}

// Mask returns text with every span Detect finds replaced by its label,
// and the mapping of character offsets from text to the result.
func Mask(text string) (string, *Mapping) {
	return apply(text, Detect(text))
}

// MaskTranscript returns a copy of t with every utterance (and dropped
// segment) masked, and the mapping of each utterance (same index). A number
// detected in one utterance is masked wherever its digits occur in the
// others too. It returns nil, nil for a nil transcript.
func MaskTranscript(t *models.Transcript) (*models.Transcript, []*Mapping) {
	if t == nil {
		return nil, nil
	}
	n := len(t.Utterances)
	texts := make([]string, n, n+len(t.Dropped))
	for i, u := range t.Utterances {
		texts[i] = u.Text
	}
	for _, d := range t.Dropped {
		texts = append(texts, d.Text)
	}
	masked, maps := MaskAll(texts)
	out := &models.Transcript{Utterances: make([]models.Utterance, n)}
	for i, u := range t.Utterances {
		u.Text = masked[i]
		out.Utterances[i] = u
	}
	out.Dropped = maskedDropped(t.Dropped, masked[n:])
	return out, maps[:n]
}

// maskedDropped returns a copy of ds with the masked texts.
func maskedDropped(ds []models.DroppedSegment, masked []string) []models.DroppedSegment {
	if ds == nil {
		return nil
	}
	out := make([]models.DroppedSegment, len(ds))
	for i, d := range ds {
		d.Text = masked[i]
		out[i] = d
	}
	return out
}

// MaskAll masks texts that belong together (the utterances of a call and
// what quotes them): a number detected in one is masked wherever its digits
// occur in any of them. It returns the masked texts and their mappings, in
// the same order.
func MaskAll(texts []string) ([]string, []*Mapping) {
	docs := make([]*doc, len(texts))
	seen := map[string]Kind{}
	for i, text := range texts {
		docs[i] = newDoc(text)
		docs[i].detect()
		for d, k := range docs[i].numbers() {
			seen[d] = k
		}
	}
	out := make([]string, len(texts))
	maps := make([]*Mapping, len(texts))
	for i, text := range texts {
		docs[i].repeats(seen)
		out[i], maps[i] = apply(text, docs[i].sorted())
	}
	return out, maps
}

// Mapping converts character offsets of a text into offsets of its masked
// form. The nil Mapping is the identity.
type Mapping struct {
	spans  []Span // in the original text, sorted
	masked []int  // start of each span's label in the masked text
}

// Spans returns the masked spans, in the original text's offsets.
func (m *Mapping) Spans() []Span {
	if m == nil {
		return nil
	}
	return append([]Span(nil), m.spans...)
}

// Offset maps character offset i of the original text to the masked text.
// An offset inside a masked span maps to the start of its label.
func (m *Mapping) Offset(i int) int {
	s, _ := m.Range(i, i)
	return s
}

// Range maps the character range [start, end) of the original text to the
// masked text. A range that begins or ends inside a masked span grows to
// cover the span's whole label.
func (m *Mapping) Range(start, end int) (int, int) {
	if m == nil {
		return start, end
	}
	return m.move(start, false), max(m.move(start, false), m.move(end, true))
}

// move maps one offset; inside a span it goes to the label's start, or its
// end when toEnd.
func (m *Mapping) move(i int, toEnd bool) int {
	delta := 0
	for k, s := range m.spans {
		switch {
		case i <= s.Start:
			return i + delta
		case i < s.End:
			if toEnd {
				return m.masked[k] + utf8.RuneCountInString(s.Kind.Label())
			}
			return m.masked[k]
		}
		delta += utf8.RuneCountInString(s.Kind.Label()) - (s.End - s.Start)
	}
	return i + delta
}

// apply replaces spans (sorted, disjoint) of text by their labels.
func apply(text string, spans []Span) (string, *Mapping) {
	m := &Mapping{spans: spans}
	if len(spans) == 0 {
		return text, m
	}
	var b strings.Builder
	b.Grow(len(text))
	pos, byteOff, k := 0, 0, 0 // character and byte offset in text, next span
	written := 0               // characters written
	for byteOff < len(text) || k < len(spans) {
		if k < len(spans) && pos == spans[k].Start {
			m.masked = append(m.masked, written)
			label := spans[k].Kind.Label()
			b.WriteString(label)
			written += utf8.RuneCountInString(label)
			for pos < spans[k].End && byteOff < len(text) {
				_, size := utf8.DecodeRuneInString(text[byteOff:])
				byteOff += size
				pos++
			}
			k++
			continue
		}
		if byteOff >= len(text) {
			break
		}
		_, size := utf8.DecodeRuneInString(text[byteOff:])
		b.WriteString(text[byteOff : byteOff+size])
		byteOff += size
		pos++
		written++
	}
	return b.String(), m
}

// doc is a text being scanned: its characters folded (full-width to
// ASCII, Chinese digit characters to ASCII digits), and what was found.
type doc struct {
	fold   []rune
	han    []bool // the character is a Chinese digit character
	taken  []bool // characters already inside a span
	spans  []Span
	groups []group
	chains [][]int // indexes into groups
}

// group is a run of digits written together, possibly ending in X.
type group struct {
	start, end int    // characters
	digits     string // folded, X upper case
	span       int    // index into doc.spans when masked, else -1
}

func newDoc(text string) *doc {
	d := &doc{fold: make([]rune, 0, len(text)), han: make([]bool, 0, len(text))}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		f := fold(r)
		d.fold = append(d.fold, f)
		d.han = append(d.han, isDigit(f) && r > unicode.MaxLatin1 && (r < 0xFF10 || r > 0xFF19))
	}
	d.taken = make([]bool, len(d.fold))
	return d
}

// fold maps full-width ASCII to ASCII and Chinese digit characters to
// ASCII digits.
func fold(r rune) rune {
	if r >= 0xFF01 && r <= 0xFF5E {
		r -= 0xFEE0
	}
	switch r {
	case '零', '〇':
		return '0'
	case '一', '幺':
		return '1'
	case '二', '两':
		return '2'
	case '三':
		return '3'
	case '四':
		return '4'
	case '五':
		return '5'
	case '六':
		return '6'
	case '七':
		return '7'
	case '八':
		return '8'
	case '九':
		return '9'
	case '\u3000':
		return ' '
	case '，', '、', '。', '（', '）':
		return ','
	case '—', '–', '‐', '‑':
		return '-'
	}
	return r
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// separator reports whether r may stand between the digit groups of one
// number.
func separator(r rune) bool {
	switch r {
	case ' ', '\t', '-', ',', '.', '/', '(', ')', '·':
		return true
	}
	return false
}

// maxGap is the most separator characters between two groups of a number.
const maxGap = 3

// maxDigits is the longest number detected (a 19-digit bank card).
const maxDigits = 19

func (d *doc) add(k Kind, start, end int) int {
	for i := start; i < end; i++ {
		d.taken[i] = true
	}
	d.spans = append(d.spans, Span{Kind: k, Start: start, End: end})
	return len(d.spans) - 1
}

// detect finds e-mail addresses, then numbers.
func (d *doc) detect() {
	d.emails()
	d.scanGroups()
	// A group that is a number by itself.
	for gi := range d.groups {
		g := &d.groups[gi]
		if k, ok := classify(g.digits); ok {
			g.span = d.add(k, g.start, g.end)
		}
	}
	// Groups joined, longest first from each start.
	for _, ch := range d.chains {
		for a := 0; a < len(ch); a++ {
			if d.groups[ch[a]].span >= 0 {
				continue
			}
			n, b := 0, a
			for ; b < len(ch) && d.groups[ch[b]].span < 0 && n+len(d.groups[ch[b]].digits) <= maxDigits; b++ {
				n += len(d.groups[ch[b]].digits)
			}
			for e := b - 1; e > a; e-- {
				if k, ok := classify(d.joined(ch[a : e+1])); ok {
					d.take(k, ch[a:e+1])
					a = e
					break
				}
			}
		}
	}
}

func (d *doc) joined(gs []int) string {
	var b strings.Builder
	for _, gi := range gs {
		b.WriteString(d.groups[gi].digits)
	}
	return b.String()
}

func (d *doc) take(k Kind, gs []int) {
	s := d.add(k, d.groups[gs[0]].start, d.groups[gs[len(gs)-1]].end)
	for i := d.groups[gs[0]].start; i < d.groups[gs[len(gs)-1]].end; i++ {
		d.taken[i] = true
	}
	for _, gi := range gs {
		d.groups[gi].span = s
	}
}

// numbers returns the digits of the numbers detected, by kind.
func (d *doc) numbers() map[string]Kind {
	out := map[string]Kind{}
	for _, g := range d.groups {
		if g.span < 0 {
			continue
		}
		s := d.spans[g.span]
		var b strings.Builder
		for _, gi := range d.groupsOf(g.span) {
			b.WriteString(d.groups[gi].digits)
		}
		out[b.String()] = s.Kind
	}
	return out
}

func (d *doc) groupsOf(span int) []int {
	var out []int
	for gi, g := range d.groups {
		if g.span == span {
			out = append(out, gi)
		}
	}
	return out
}

// repeats masks every stretch of unmasked groups whose digits contain a
// number already detected (here or elsewhere), with that number's kind.
func (d *doc) repeats(known map[string]Kind) {
	if len(known) == 0 {
		return
	}
	// Longest numbers first, for a stable choice of kind.
	nums := make([]string, 0, len(known))
	for n := range known {
		nums = append(nums, n)
	}
	sort.Slice(nums, func(i, j int) bool {
		if len(nums[i]) != len(nums[j]) {
			return len(nums[i]) > len(nums[j])
		}
		return nums[i] < nums[j]
	})
	for _, ch := range d.chains {
		for a := 0; a < len(ch); {
			if d.groups[ch[a]].span >= 0 {
				a++
				continue
			}
			b := a
			for b < len(ch) && d.groups[ch[b]].span < 0 {
				b++
			}
			d.repeatsIn(ch[a:b], nums, known)
			a = b
		}
	}
}

// repeatsIn masks the groups of one stretch that hold a known number.
func (d *doc) repeatsIn(stretch []int, nums []string, known map[string]Kind) {
	var all strings.Builder
	owner := []int{} // digit index -> position in stretch
	for p, gi := range stretch {
		all.WriteString(d.groups[gi].digits)
		for range len(d.groups[gi].digits) {
			owner = append(owner, p)
		}
	}
	s := all.String()
	kindAt := make([]Kind, len(stretch))
	for _, n := range nums {
		for off := 0; ; {
			i := strings.Index(s[off:], n)
			if i < 0 {
				break
			}
			for p := owner[off+i]; p <= owner[off+i+len(n)-1]; p++ {
				if kindAt[p] == "" {
					kindAt[p] = known[n]
				}
			}
			off += i + 1
		}
	}
	for p := 0; p < len(stretch); {
		if kindAt[p] == "" {
			p++
			continue
		}
		q := p
		for q+1 < len(stretch) && kindAt[q+1] != "" {
			q++
		}
		d.take(kindAt[p], stretch[p:q+1])
		p = q + 1
	}
}

func (d *doc) sorted() []Span {
	out := append([]Span(nil), d.spans...)
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// scanGroups finds the digit groups outside e-mail addresses and chains
// those separated by at most maxGap separator characters.
func (d *doc) scanGroups() {
	f := d.fold
	var chain []int
	lastEnd := -1
	for i := 0; i < len(f); {
		if d.taken[i] || !isDigit(f[i]) {
			i++
			continue
		}
		// A change between Chinese digit characters and Arabic digits
		// starts a new group glued to this one (一13912345670: a stray 一
		// before a number), which the chain may join back.
		j := i
		for j < len(f) && !d.taken[j] && isDigit(f[j]) && d.han[j] == d.han[i] {
			j++
		}
		// A trailing X (ID card check character), not followed by a letter
		// or digit.
		if j < len(f) && !d.taken[j] && (f[j] == 'X' || f[j] == 'x') && (j+1 >= len(f) || !isAlnum(f[j+1])) {
			j++
		}
		digits := strings.ToUpper(string(f[i:j]))
		if lastEnd >= 0 && d.joinable(lastEnd, i) {
			chain = append(chain, len(d.groups))
		} else {
			if len(chain) > 0 {
				d.chains = append(d.chains, chain)
			}
			chain = []int{len(d.groups)}
		}
		d.groups = append(d.groups, group{start: i, end: j, digits: digits, span: -1})
		lastEnd = j
		i = j
	}
	if len(chain) > 0 {
		d.chains = append(d.chains, chain)
	}
}

// joinable reports whether nothing (a change of script) or only a few
// separators lie in f[from:to], and the group before does not end in X.
func (d *doc) joinable(from, to int) bool {
	if to-from > maxGap || d.fold[from-1] == 'X' || d.fold[from-1] == 'x' {
		return false
	}
	for _, r := range d.fold[from:to] {
		if !separator(r) {
			return false
		}
	}
	return true
}
