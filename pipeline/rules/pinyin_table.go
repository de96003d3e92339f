package rules

import (
	_ "embed" // pinyin_table.txt
	"fmt"
	"strconv"
	"strings"
	"sync"
)

//go:generate go run ./internal/pinyingen -o pinyin_table.txt

// pinyinTableText is the toneless pinyin of every Han character that
// github.com/mozillazg/go-pinyin knows, generated from it by
// internal/pinyingen (whose doc comment describes the format). callqa does
// not link go-pinyin: building its dictionary, a 42,000-entry map, took
// about 8 ms at every start of the binary, for every command; this table
// is parsed the first time a fuzzy rule needs it. TestPinyinTable checks it
// against go-pinyin for every Han code point.
//
//go:embed pinyin_table.txt
var pinyinTableText string

// pinyinTable is the parsed pinyinTableText, built on first use and never
// changed after, so it is safe for concurrent use.
var pinyinTable = sync.OnceValue(func() *pinyinTab {
	t, err := parsePinyinTable(pinyinTableText)
	if err != nil {
		panic("rules: embedded pinyin table: " + err.Error()) // a bug: the file is generated
	}
	return t
})

// pinyinBlockBits is log2 of the code points per line of the table.
const pinyinBlockBits = 6

// pinyinTab maps Han characters to their toneless pinyin.
type pinyinTab struct {
	syllables []string
	// blocks holds, by block number (code point >> pinyinBlockBits), the
	// block's two-letter syllable codes: substrings of the embedded text.
	blocks map[rune]string
}

// reading returns the toneless pinyin of r, or "" when the table has none.
func (t *pinyinTab) reading(r rune) string {
	codes := t.blocks[r>>pinyinBlockBits]
	i := int(r&(1<<pinyinBlockBits-1)) * 2
	if i+2 > len(codes) || codes[i] == '.' {
		return ""
	}
	return t.syllables[int(codes[i]-'a')*26+int(codes[i+1]-'a')]
}

// parsePinyinTable parses the table's text, checking every code.
func parsePinyinTable(text string) (*pinyinTab, error) {
	t := &pinyinTab{blocks: make(map[rune]string)}
	prev := rune(-1)
	for n := 1; text != ""; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		switch {
		case line == "" || line[0] == '#':
			continue
		case t.syllables == nil:
			name, syls, _ := strings.Cut(line, " ")
			if name != "syllables" || syls == "" {
				return nil, fmt.Errorf("line %d: want the syllables first", n)
			}
			t.syllables = strings.Split(syls, " ")
			continue
		}
		start, codes, ok := strings.Cut(line, " ")
		first, err := strconv.ParseUint(start, 16, 32)
		if !ok || err != nil || first%(1<<pinyinBlockBits) != 0 || rune(first) <= prev {
			return nil, fmt.Errorf("line %d: bad block start %q", n, start)
		}
		if len(codes)%2 != 0 || len(codes) > 2<<pinyinBlockBits {
			return nil, fmt.Errorf("line %d: %d characters of codes", n, len(codes))
		}
		for i := 0; i < len(codes); i += 2 {
			if codes[i:i+2] == ".." {
				continue
			}
			hi, lo := codes[i], codes[i+1]
			if hi < 'a' || hi > 'z' || lo < 'a' || lo > 'z' || int(hi-'a')*26+int(lo-'a') >= len(t.syllables) {
				return nil, fmt.Errorf("line %d: bad code %q", n, codes[i:i+2])
			}
		}
		prev = rune(first)
		t.blocks[prev>>pinyinBlockBits] = codes
	}
	if t.syllables == nil {
		return nil, fmt.Errorf("no syllables")
	}
	return t, nil
}
