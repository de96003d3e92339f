package pii

import (
	"reflect"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
)

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text, want string
	}{
		// ID cards.
		{"id card", "我的身份证号是310115198003074515。", "我的身份证号是[身份证号]。"},
		{"id card ending in X", "身份证11010519491231002X", "身份证[身份证号]"},
		{"id card ending in x", "身份证11010519491231002x，对", "身份证[身份证号]，对"},
		{"id card full width", "３１０１１５１９８００３０７４５１５", "[身份证号]"},
		{"id card read out", "三幺零幺幺五幺九八零零三零七四五幺五", "[身份证号]"},
		{"id card read out, grouped", "三一零一一五，一九八零零三零七，四五一五", "[身份证号]"},
		{"id card in groups", "310115 19800307 4515", "[身份证号]"},
		{"id card, old 15 digits", "老身份证310115800307451", "老身份证[身份证号]"},
		{"id card with a wrong check digit (a misheard digit)", "310115198003074510", "[身份证号]"},
		{"id card with an impossible birth date", "310115198013074515", "310115198013074515"},
		{"last four digits of an id card", "身份证后四位是2817", "身份证后四位是2817"},
		// Mobiles.
		{"mobile", "我手机号13912345670", "我手机号[手机号]"},
		{"mobile read out", "我手机是幺三九幺二三四五六七零", "我手机是[手机号]"},
		{"mobile with hyphens", "电话139-1234-5670好的", "电话[手机号]好的"},
		{"mobile with spaces", "139 1234 5670", "[手机号]"},
		{"mobile read out in groups", "一三九，一二三四，五六七零", "[手机号]"},
		{"mobile, two characters between groups", "一三九， 一二三四、 五六七零", "[手机号]"},
		{"mobile with 两", "幺三九两两三四五六七零", "[手机号]"},
		{"mobile full width", "１３９１２３４５６７０", "[手机号]"},
		{"mobile after a country code", "+86 139 1234 5670", "+86 [手机号]"},
		{"mobile, then the hotline", "13912345670，12333", "[手机号]，12333"},
		{"mobile after a stray 一", "号码是一13912345670", "号码是一[手机号]"},
		{"mobile half read out, half written", "幺三九12345670", "[手机号]"},
		{"id card half read out", "三一零一一五19800307四五一五", "[身份证号]"},
		{"mobile and id card", "手机13912345670，身份证310115198003074515。", "手机[手机号]，身份证[身份证号]。"},
		{"too many separators", "139，，，，1234 5670", "139，，，，1234 5670"},
		{"ten digits", "1391234567", "1391234567"},
		{"12 is not a mobile prefix", "12912345670", "12912345670"},
		{"a mobile repeated inside a longer number", "13912345670，对，139123456701", "[手机号]，对，[手机号]"},
		// Landlines.
		{"landline", "座机021-64701234", "座机[固定电话]"},
		{"landline in brackets", "（021）64701234", "（[固定电话]"},
		{"landline, Beijing", "010 6512 3456", "[固定电话]"},
		{"landline, three-digit area code, 8 digits", "0571-88886666", "[固定电话]"},
		{"landline, three-digit area code, 7 digits", "0631-5123456", "[固定电话]"},
		{"landline read out", "零二一 六四七零 一二三四", "[固定电话]"},
		{"landline without area code", "64701234", "64701234"},
		{"area code alone", "区号021", "区号021"},
		// Bank cards.
		{"bank card 19", "卡号6222021234567890128", "卡号[银行卡号]"},
		{"bank card in groups", "6222 0212 3456 7890 128", "[银行卡号]"},
		{"bank card 16", "6217001234567893", "[银行卡号]"},
		{"bank card read out", "六二一七零零一二三四五六七八九三", "[银行卡号]"},
		{"bank card failing luhn", "6217001234567890", "6217001234567890"},
		// E-mail.
		{"email", "邮箱zhangsan@qq.com谢谢", "邮箱[邮箱]谢谢"},
		{"email with dots", "发到 Zhang.San_01@example.com.cn，", "发到 [邮箱]，"},
		{"email full width", "ｚｈａｎｇ＠ｑｑ．ｃｏｍ", "[邮箱]"},
		{"email read out digits", "幺二三四五六七八九@qq.com", "[邮箱]"},
		{"email then a phone", "a@b.cn13912345670", "[邮箱][手机号]"},
		{"no local part", "@qq.com", "@qq.com"},
		{"no top-level domain", "zhang@qq", "zhang@qq"},
		{"one-letter top-level domain", "a@b.c", "a@b.c"},
		// Not personal data.
		{"hotline", "您好，上海12333，工号1086", "您好，上海12333，工号1086"},
		{"complaint hotline read out", "一二三四五", "一二三四五"},
		{"amount", "补缴了12345.67元", "补缴了12345.67元"},
		{"amount with a comma", "欠了112,345元", "欠了112,345元"},
		{"five-digit amount", "一共12345元", "一共12345元"},
		{"date", "2026年11月25日", "2026年11月25日"},
		{"date with hyphens", "2026-11-25", "2026-11-25"},
		{"time", "10:30", "10:30"},
		{"numbers in words", "一万二千三百元，我今年六十三岁", "一万二千三百元，我今年六十三岁"},
		{"ordinary text", "好的，我明白了，谢谢。", "好的，我明白了，谢谢。"},
		{"invalid bytes kept", "\xff13912345670\xfe", "\xff[手机号]\xfe"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, m := Mask(tc.text)
			if got != tc.want {
				t.Errorf("Mask(%q) = %q, want %q (spans %+v)", tc.text, got, tc.want, m.Spans())
			}
			checkMasked(t, tc.text, got, m)
		})
	}
}

// checkMasked checks what must hold for any text: each span became its
// label where the mapping says, the text between spans is kept, no
// detected number's digits and no e-mail address remain, and masking again
// finds nothing.
func checkMasked(t *testing.T, text, masked string, m *Mapping) {
	t.Helper()
	spans := m.Spans()
	runes := strings.Split(text, "") // per character, invalid bytes alone
	if len(spans) == 0 && masked != text {
		t.Fatalf("nothing detected, yet %q became %q", text, masked)
	}
	var kept strings.Builder
	prev := 0
	for _, s := range spans {
		ms, me := m.Range(s.Start, s.End)
		if label := runeSlice(masked, ms, me); label != s.Kind.Label() {
			t.Errorf("span %+v maps to %q, want %s", s, label, s.Kind.Label())
		}
		kept.WriteString(strings.Join(runes[prev:s.Start], ""))
		prev = s.End
	}
	kept.WriteString(strings.Join(runes[prev:], ""))
	var rest strings.Builder
	plain := masked
	for _, k := range []Kind{IDCard, Mobile, Landline, BankCard, Email} {
		plain = strings.ReplaceAll(plain, k.Label(), "")
	}
	rest.WriteString(plain)
	if kept.String() != rest.String() {
		t.Errorf("text outside the spans changed: %q, want %q", rest.String(), kept.String())
	}
	again := newDoc(masked)
	again.detect()
	if len(again.spans) > 0 {
		t.Errorf("masked text %q still holds %+v", masked, again.spans)
	}
	stretches := digitStretches(masked)
	for _, s := range spans {
		orig := strings.Join(runes[s.Start:s.End], "")
		if s.Kind == Email {
			if strings.Contains(masked, orig) {
				t.Errorf("e-mail %q left in %q", orig, masked)
			}
			continue
		}
		d := newDoc(orig)
		d.scanGroups()
		var digits strings.Builder
		for _, g := range d.groups {
			digits.WriteString(g.digits)
		}
		for _, st := range stretches {
			if strings.Contains(st, digits.String()) {
				t.Errorf("the digits %s of %q are left in %q", digits.String(), orig, masked)
			}
		}
	}
}

// digitStretches returns the digits of each chain of digit groups of text.
func digitStretches(text string) []string {
	d := newDoc(text)
	d.scanGroups()
	var out []string
	for _, ch := range d.chains {
		out = append(out, d.joined(ch))
	}
	return out
}

// runeSlice returns characters [start, end) of s.
func runeSlice(s string, start, end int) string {
	cs := strings.Split(s, "")
	if start < 0 || end > len(cs) || start > end {
		return "<out of range>"
	}
	return strings.Join(cs[start:end], "")
}

func TestDetectKinds(t *testing.T) {
	t.Parallel()
	got := Detect("手机13912345670，座机021-64701234，身份证310115198003074515，卡号6217001234567893，邮箱a@qq.com")
	want := []Span{{Mobile, 2, 13}, {Landline, 16, 28}, {IDCard, 32, 50}, {BankCard, 53, 69}, {Email, 72, 80}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Detect = %+v\nwant %+v", got, want)
	}
}

func TestMapping(t *testing.T) {
	t.Parallel()
	// 电话139-1234-5670好的: the number is characters 2-15, its label 2-7.
	_, m := Mask("电话139-1234-5670好的")
	tests := []struct{ start, end, ws, we int }{
		{0, 2, 0, 2},   // before
		{15, 17, 7, 9}, // after
		{2, 15, 2, 7},  // the span itself
		{5, 8, 2, 7},   // inside: the whole label
		{0, 17, 0, 9},  // everything
		{1, 4, 1, 7},   // overlapping the start
		{14, 16, 2, 8}, // overlapping the end
		{17, 17, 9, 9}, // empty, at the end
	}
	for _, tc := range tests {
		if s, e := m.Range(tc.start, tc.end); s != tc.ws || e != tc.we {
			t.Errorf("Range(%d, %d) = %d, %d; want %d, %d", tc.start, tc.end, s, e, tc.ws, tc.we)
		}
	}
	if got := m.Offset(16); got != 8 {
		t.Errorf("Offset(16) = %d, want 8", got)
	}
	var none *Mapping
	if s, e := none.Range(3, 5); s != 3 || e != 5 || none.Offset(4) != 4 || none.Spans() != nil {
		t.Error("the nil Mapping is not the identity")
	}
}

func TestMaskTranscript(t *testing.T) {
	t.Parallel()
	tr := &models.Transcript{Utterances: []models.Utterance{
		{Speaker: "agent", Start: 1, End: 3, Text: "请问您的手机号？"},
		{Speaker: "customer", Start: 3, End: 6, Text: "13912345670，身份证310115198003074515"},
		{Speaker: "agent", Start: 6, End: 9, Text: "手机号是139123456701吗？身份证310115198003074515对吧"},
		{Speaker: "customer", Start: 9, End: 10, Text: "尾号5670，对。"},
	}}
	got, maps := MaskTranscript(tr)
	want := []string{"请问您的手机号？", "[手机号]，身份证[身份证号]", "手机号是[手机号]吗？身份证[身份证号]对吧", "尾号5670，对。"}
	for i, u := range got.Utterances {
		if u.Text != want[i] {
			t.Errorf("utterance %d: %q, want %q", i, u.Text, want[i])
		}
		if u.Speaker != tr.Utterances[i].Speaker || u.Start != tr.Utterances[i].Start {
			t.Errorf("utterance %d: times or speaker changed", i)
		}
	}
	if len(maps) != 4 || len(maps[0].Spans()) != 0 || len(maps[2].Spans()) != 2 {
		t.Errorf("mappings: %+v", maps)
	}
	if tr.Utterances[1].Text != "13912345670，身份证310115198003074515" {
		t.Error("MaskTranscript changed its argument")
	}
	if got, maps := MaskTranscript(nil); got != nil || maps != nil {
		t.Error("nil transcript")
	}
}

// TestMaskDropped: the segments the ASR adapter dropped keep their place
// in the transcript and are masked like the utterances, in the sidecar
// (MaskTranscript) and in the result (MaskResult).
func TestMaskDropped(t *testing.T) {
	t.Parallel()
	tr := &models.Transcript{
		Utterances: []models.Utterance{{Speaker: "customer", Start: 3, End: 6, Text: "我的手机号13912345670"}},
		Dropped: []models.DroppedSegment{
			{Speaker: "agent", Start: 3, End: 6, Text: "手机号13912345670", Reason: models.DropOutsideSpeech},
			{Speaker: "agent", Start: 20, End: 22, Text: "谢谢观看", Reason: models.DropOutsideSpeech},
		},
	}
	check := func(what string, got *models.Transcript) {
		t.Helper()
		if len(got.Utterances) != 1 || got.Utterances[0].Text != "我的手机号[手机号]" {
			t.Errorf("%s: utterances %+v", what, got.Utterances)
		}
		want := []models.DroppedSegment{
			{Speaker: "agent", Start: 3, End: 6, Text: "手机号[手机号]", Reason: models.DropOutsideSpeech},
			{Speaker: "agent", Start: 20, End: 22, Text: "谢谢观看", Reason: models.DropOutsideSpeech},
		}
		if !reflect.DeepEqual(got.Dropped, want) {
			t.Errorf("%s: dropped %+v, want %+v", what, got.Dropped, want)
		}
	}
	got, maps := MaskTranscript(tr)
	check("MaskTranscript", got)
	if len(maps) != 1 {
		t.Errorf("%d mappings, want one per utterance", len(maps))
	}
	if tr.Dropped[0].Text != "手机号13912345670" {
		t.Error("MaskTranscript changed its argument")
	}
	res := &models.Result{Transcript: tr, Findings: []models.Finding{{Rule: "r", Evidence: "13912345670"}}}
	MaskResult(res)
	check("MaskResult", res.Transcript)
	if res.Findings[0].Evidence != "[手机号]" {
		t.Errorf("evidence %q", res.Findings[0].Evidence)
	}
}

func TestCheckCharacters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    string
		want bool
	}{
		// The check character is not required (a misheard digit); the
		// province digit and the birth date are.
		{"11010519491231002X", true}, {"110105194912310021", true}, {"310115198003074515", true},
		{"310115199013304515", false}, {"910115198003074515", false}, {"310115800307451", true}, {"310115801307451", false},
		{"310115180003074515", false}, {"31011519800307451Y", false},
	} {
		if got := idCard18(tc.s) || idCard15(tc.s); got != tc.want {
			t.Errorf("id card %s: %v, want %v", tc.s, got, tc.want)
		}
	}
	for _, tc := range []struct {
		s    string
		want bool
	}{{"6217001234567893", true}, {"6217001234567890", false}, {"4111111111111111", true}, {"0", true}, {"79927398713", true}} {
		if got := luhn(tc.s); got != tc.want {
			t.Errorf("luhn %s: %v, want %v", tc.s, got, tc.want)
		}
	}
}
