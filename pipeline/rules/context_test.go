package rules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
)

func chars(n int) *int { return &n }

// TestKeywordContext checks except, not_after and near on single
// utterances, with and without punctuation.
func TestKeywordContext(t *testing.T) {
	t.Parallel()
	agent := func(text string) Call {
		return Call{DurationS: 60, Transcript: transcript(utt(A, 1, 2, text))}
	}
	exceptClause := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"不知道"}, Expect: ExpectAbsent,
		Except: []string{"如果您"}}
	exceptNear := exceptClause
	exceptNear.ExceptWithinChars = chars(1)
	exceptTouch := exceptClause
	exceptTouch.Except, exceptTouch.ExceptWithinChars = []string{"知不知道", "不知道也没关系"}, chars(0)
	exceptPattern := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"不知道"}, Expect: ExpectAbsent,
		Except: []string{"/不知道您(现在|方便|那边)/"}}
	notAfter := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"没办法"}, Expect: ExpectAbsent,
		NotAfter: []string{"不是"}}
	notAfterNear := notAfter
	notAfterNear.NotAfterWithinChars = chars(2)
	near := models.Rule{Type: models.RuleKeyword, Speaker: C, Any: []string{"媒体", "投诉"}, Expect: ExpectAbsent,
		Near: &models.Near{Phrases: []string{"找", "向"}, WithinChars: chars(3), For: []string{"媒体"}}}
	nearPresent := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"工号"},
		Near: &models.Near{Phrases: []string{`/\d{4}/`}, WithinChars: chars(1)}}
	fuzzyExcept := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"工号"}, Expect: ExpectAbsent, Fuzzy: FuzzyPinyin,
		Except: []string{"我的工号"}}
	customer := func(text string) Call {
		return Call{DurationS: 60, Transcript: transcript(utt(C, 1, 2, text))}
	}

	runRuleCases(t, []ruleCase{
		{name: "except in the same clause cancels", rule: exceptClause, call: agent("如果您不知道密码，可以点忘记密码")},
		{name: "except in another clause does not", rule: exceptClause, call: agent("如果您要查，我不知道"),
			want: []string{"1-2 agent 不知道"}},
		{name: "unpunctuated: the utterance is the clause", rule: exceptClause, call: agent("如果您要查我不知道"),
			want: nil},
		{name: "except after the hit, same clause", rule: exceptClause, call: agent("不知道如果您方便的话"),
			want: nil},
		{name: "every hit of the clause is cancelled, one outside is not", rule: exceptClause,
			call: agent("如果您不知道，我也不知道"), want: []string{"1-2 agent 不知道"}},
		{name: "within 1 char: adjacent cancels", rule: exceptNear, call: agent("如果您不知道我也不知道"),
			want: []string{"1-2 agent 不知道"}},
		{name: "within 1 char: one char between cancels", rule: exceptNear, call: agent("如果您还不知道")},
		{name: "within 1 char: two chars between do not", rule: exceptNear, call: agent("如果您自己不知道"),
			want: []string{"1-2 agent 不知道"}},
		{name: "within counts normalised characters, not punctuation", rule: exceptNear, call: agent("如果您，“还”不知道")},
		{name: "within chars crosses clauses", rule: exceptNear, call: agent("如果您，不知道")},
		{name: "within 0: overlapping cancels", rule: exceptTouch, call: agent("您知不知道自己的参保编号？")},
		{name: "within 0: touching cancels", rule: exceptTouch, call: agent("不知道也没关系，我帮您查")},
		{name: "within 0: elsewhere does not", rule: exceptTouch, call: agent("我不知道，您知不知道？"),
			want: []string{"1-2 agent 不知道"}},
		{name: "pattern except", rule: exceptPattern, call: agent("不知道您现在方便记一下吗")},
		{name: "pattern except, other words", rule: exceptPattern, call: agent("我不知道您说的是哪个"),
			want: []string{"1-2 agent 不知道"}},
		{name: "not_after: negation right before", rule: notAfter, call: agent("并不是没办法，我们可以先受理")},
		{name: "not_after: in the same clause", rule: notAfter, call: agent("也不是说完全没办法")},
		{name: "not_after: after the hit does not count", rule: notAfter, call: agent("没办法，不是我不帮你"),
			want: []string{"1-2 agent 没办法"}},
		{name: "not_after: another clause does not count", rule: notAfter, call: agent("不是，没办法"),
			want: []string{"1-2 agent 没办法"}},
		{name: "not_after within 2: far does not count", rule: notAfterNear, call: agent("这个不是我们管的没办法"),
			want: []string{"1-2 agent 没办法"}},
		{name: "not_after within 2: two chars between count", rule: notAfterNear, call: agent("不是完全没办法")},
		{name: "near: close enough", rule: near, call: customer("我要找媒体曝光"), want: []string{"1-2 customer 媒体"}},
		{name: "near: before or after, within 3", rule: near, call: customer("媒体那边我找"), want: []string{"1-2 customer 媒体"}},
		{name: "near: too far", rule: near, call: customer("我在媒体上看到新闻，想找人问问")},
		{name: "near: other phrases are not limited (for)", rule: near, call: customer("我要投诉"),
			want: []string{"1-2 customer 投诉"}},
		{name: "near on expect present: found with digits", rule: nearPresent, call: agent("您好，工号1086")},
		{name: "near on expect present: no digits", rule: nearPresent, call: agent("您好，我的工号是多少来着"),
			want: []string{"0-60 agent 未找到: 工号"}},
		{name: "fuzzy rule: context phrases match homophones too", rule: fuzzyExcept, call: agent("我的公号是1086")},
	})
}

// TestNumbers checks that digit phrases match whole numbers only, and the
// number_match: substring option.
func TestNumbers(t *testing.T) {
	t.Parallel()
	risk := models.Rule{Type: models.RuleKeyword, Speaker: C, Any: []string{"12345"}, Expect: ExpectAbsent}
	hotline := models.Rule{Type: models.RuleKeyword, Speaker: C, Any: []string{"12333"}, Expect: ExpectAbsent}
	jobNo := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"工号1086"}, Expect: ExpectAbsent}
	jobNoFuzzy := jobNo
	jobNoFuzzy.Fuzzy = FuzzyPinyin
	call := func(speaker, text string) Call {
		return Call{DurationS: 60, Transcript: transcript(utt(speaker, 1, 2, text))}
	}
	hit := func(quote string) []string { return []string{"1-2 customer " + quote} }
	tests := []ruleCase{
		{name: "written", rule: risk, call: call(C, "我要打12345投诉你们"), want: hit("12345")},
		{name: "spoken", rule: risk, call: call(C, "我要打一二三四五投诉你们"), want: hit("一二三四五")},
		{name: "yao", rule: risk, call: call(C, "我打了幺二三四五"), want: hit("幺二三四五")},
		{name: "at the end, punctuated", rule: risk, call: call(C, "再不解决我就打12345。"), want: hit("12345")},
		{name: "alone", rule: risk, call: call(C, "12345"), want: hit("12345")},
		{name: "listed with another number", rule: risk, call: call(C, "我打了12345、12333都没用"), want: hit("12345")},
		{name: "listed, Chinese comma", rule: risk, call: call(C, "一二三四五，一二三三三都打过"), want: hit("一二三四五")},
		{name: "after a word ending in 一", rule: risk, call: call(C, "全国统一12345热线"), want: hit("12345")},
		{name: "full width", rule: risk, call: call(C, "打１２３４５"), want: hit("１２３４５")},
		{name: "inside a mobile number", rule: risk, call: call(C, "我手机号13912345670")},
		{name: "inside a mobile number read out", rule: risk, call: call(C, "我手机是幺三九幺二三四五六七零")},
		{name: "inside a mobile number with spaces", rule: risk, call: call(C, "电话 139 12345 670")},
		{name: "inside a mobile number with hyphens", rule: risk, call: call(C, "电话139-12345-670")},
		{name: "at the start of a longer number", rule: risk, call: call(C, "卡号123456789012")},
		{name: "at the end of a longer number", rule: risk, call: call(C, "编号0012345")},
		{name: "inside an ID card number", rule: risk, call: call(C, "身份证号110101199012345678")},
		{name: "inside a bank card number", rule: risk, call: call(C, "卡号6222 0212 3456 7890")},
		{name: "amount with decimals", rule: risk, call: call(C, "一共12345.67元")},
		{name: "amount with a thousands comma", rule: risk, call: call(C, "欠了112,345元")},
		{name: "a longer amount", rule: risk, call: call(C, "补缴了123456元")},
		{name: "hotline in the greeting", rule: hotline, call: call(C, "上海12333吗"), want: hit("12333")},
		{name: "hotline inside a phone number", rule: hotline, call: call(C, "我的电话是021-51233368")},
		{name: "hotline read out inside a number", rule: hotline, call: call(C, "一三九一二三三三四五六七")},
		{name: "job number phrase, whole", rule: jobNo, call: call(A, "您好，工号1086，请讲"),
			want: []string{"1-2 agent 工号1086"}},
		{name: "job number phrase, longer number", rule: jobNo, call: call(A, "您好，工号10861")},
		{name: "job number phrase, longer number, by pinyin", rule: jobNoFuzzy, call: call(A, "您好，公号10861")},
		{name: "job number phrase, by pinyin", rule: jobNoFuzzy, call: call(A, "您好，公号1086"),
			want: []string{"1-2 agent 公号1086 (拼音匹配: 工号1086)"}},
	}
	runRuleCases(t, tests)

	// number_match: substring brings back the old behaviour.
	for _, tc := range tests {
		t.Run("substring/"+tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.rule
			r.ID, r.Name = "r", "R"
			sc := &models.Scorecard{ID: "t", Version: 1, BaseScore: 100, NumberMatch: models.NumberSubstring, Rules: []models.Rule{r}}
			c, err := NewChecker(sc)
			if err != nil {
				t.Fatal(err)
			}
			fs, _ := c.Check(tc.call)
			found := false
			for _, u := range tc.call.Transcript.Utterances {
				text := u.Text
				if r.Fuzzy == FuzzyPinyin {
					text = strings.ReplaceAll(text, "公号", "工号") // the one homophone of the table
				}
				found = found || strings.Contains(Normalize(text), Normalize(r.Any[0]))
			}
			if len(fs) > 0 != found {
				t.Errorf("substring: %d findings, phrase in text %v", len(fs), found)
			}
		})
	}
}

// TestCoverage checks that rules about what the transcript does not cover
// are not evaluated, and that rules about what it covers still miss.
func TestCoverage(t *testing.T) {
	t.Parallel()
	greeting := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"您好"}, Within: &models.Within{FirstSeconds: 10}}
	closing := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"再见"}, Within: &models.Within{LastSeconds: 20}}
	risk := models.Rule{Type: models.RuleKeyword, Speaker: C, Any: []string{"投诉"}, Expect: ExpectAbsent}
	anyone := models.Rule{Type: models.RuleKeyword, Any: []string{"您好"}}
	regex := models.Rule{Type: models.RuleRegex, Speaker: A, Pattern: `工号\d{4}`, Expect: ExpectPresent}

	// A 60 s stereo call: the agent talks 1-8 and 40-58, the customer 9-39.
	audio := func() *models.Metrics {
		return &models.Metrics{
			Agent:    &models.SpeakerMetrics{TalkS: 25, Segments: []models.Span{{1, 8}, {40, 58}}},
			Customer: &models.SpeakerMetrics{TalkS: 30, Segments: []models.Span{{9, 39}}},
		}
	}
	full := transcript(utt(A, 1.2, 7.9, "上海12333，工号1086"), utt(C, 9, 39, "我想问一下养老金"), utt(A, 40, 58, "好的，感谢来电"))
	customerOnly := transcript(utt(C, 9, 39, "我想问一下养老金"))
	agentOnly := transcript(utt(A, 1.2, 7.9, "上海12333"), utt(A, 40, 58, "好的"))
	late := transcript(utt(C, 9, 39, "我想问一下养老金"), utt(A, 40, 58, "好的"))         // the agent's first words are missing
	early := transcript(utt(A, 1.2, 7.9, "上海12333"), utt(C, 9, 39, "我想问一下养老金")) // ends at 39 s
	mono := &models.Metrics{Mixed: &models.SpeakerMetrics{TalkS: 55, Segments: []models.Span{{1, 58}}}}
	silentStart := audio()
	silentStart.Agent.Segments = []models.Span{{12, 12.5}, {40, 58}} // the agent says nothing for 12 s
	cough := audio()
	cough.Agent.Segments = []models.Span{{3, 3.6}, {40, 58}} // a cough in the window, no words

	runRuleCases(t, []ruleCase{
		{name: "covered: greeting missing", rule: greeting, call: Call{DurationS: 60, Transcript: full, Metrics: audio()},
			want: []string{"0-10 agent 未找到: 您好"}},
		{name: "agent not transcribed: greeting", rule: greeting, call: Call{DurationS: 60, Transcript: customerOnly, Metrics: audio()},
			wantNE: ReasonAgentNotTranscribed},
		{name: "agent not transcribed: closing", rule: closing, call: Call{DurationS: 60, Transcript: customerOnly, Metrics: audio()},
			wantNE: ReasonAgentNotTranscribed},
		{name: "agent not transcribed: regex", rule: regex, call: Call{DurationS: 60, Transcript: customerOnly, Metrics: audio()},
			wantNE: ReasonAgentNotTranscribed},
		{name: "customer not transcribed: absent rule", rule: risk, call: Call{DurationS: 60, Transcript: agentOnly, Metrics: audio()},
			wantNE: ReasonCustomerNotTranscribed},
		{name: "customer silent on the audio: evaluated", rule: risk, call: Call{DurationS: 60, Transcript: agentOnly,
			Metrics: &models.Metrics{Agent: audio().Agent, Customer: &models.SpeakerMetrics{}}}},
		{name: "nobody transcribed, rule about anyone", rule: anyone, call: Call{DurationS: 60, Transcript: transcript(), Metrics: audio()},
			wantNE: ReasonNotTranscribed},
		{name: "rule about anyone, one side transcribed", rule: anyone, call: Call{DurationS: 60, Transcript: customerOnly, Metrics: audio()},
			want: []string{"0-60  未找到: 您好"}},
		{name: "window not covered: the agent's first words are missing", rule: greeting,
			call: Call{DurationS: 60, Transcript: late, Metrics: audio()}, wantNE: ReasonWindowNotTranscribed},
		{name: "window not covered: the transcript ends early", rule: closing,
			call: Call{DurationS: 60, Transcript: early, Metrics: audio()}, wantNE: ReasonWindowNotTranscribed},
		{name: "window silent on the audio: a real miss", rule: greeting,
			call: Call{DurationS: 60, Transcript: late, Metrics: silentStart}, want: []string{"0-10 agent 未找到: 您好"}},
		{name: "less than 1 s untranscribed in the window: a miss", rule: greeting,
			call: Call{DurationS: 60, Transcript: late, Metrics: cough}, want: []string{"0-10 agent 未找到: 您好"}},
		{name: "found whatever the coverage", rule: models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"好的"}, Within: &models.Within{LastSeconds: 20}},
			call: Call{DurationS: 60, Transcript: late, Metrics: audio()}},
		{name: "mono: a speaker without utterances is not covered", rule: greeting,
			call: Call{DurationS: 60, Transcript: customerOnly, Metrics: mono}, wantNE: ReasonAgentNotTranscribed},
		{name: "mono: window judged on the mixed channel", rule: greeting,
			call: Call{DurationS: 60, Transcript: late, Metrics: mono}, wantNE: ReasonWindowNotTranscribed},
		{name: "no metrics: window beyond the transcript", rule: closing,
			call: Call{DurationS: 60, Transcript: early}, wantNE: ReasonWindowNotTranscribed},
		{name: "no metrics: window within the transcript", rule: greeting,
			call: Call{DurationS: 60, Transcript: late}, want: []string{"0-10 agent 未找到: 您好"}},
		{name: "Speakers says both sides were transcribed", rule: greeting,
			call: Call{DurationS: 60, Transcript: customerOnly, Metrics: silentStart, Speakers: []string{A, C}},
			want: []string{"0-10 agent 未找到: 您好"}},
		{name: "Speakers says the agent was not", rule: greeting,
			call: Call{DurationS: 60, Transcript: full, Speakers: []string{C}}, wantNE: ReasonAgentNotTranscribed},
	})
}

func TestTranscriptCoverage(t *testing.T) {
	t.Parallel()
	m := &models.Metrics{
		Agent:    &models.SpeakerMetrics{TalkS: 20, Segments: []models.Span{{0, 10}, {20, 30}}},
		Customer: &models.SpeakerMetrics{TalkS: 10, Segments: []models.Span{{10, 20}}},
	}
	tests := []struct {
		name string
		t    *models.Transcript
		m    *models.Metrics
		want map[string]float64
	}{
		{"nil transcript", nil, m, nil},
		{"nil metrics", transcript(utt(A, 0, 10, "好")), nil, nil},
		{"one side", transcript(utt(A, 0.2, 9.8, "好"), utt(A, 20, 25, "好")),
			m, map[string]float64{A: 0.77, C: 0}}, // 15.3 of 20 s: padded by 0.3 s,
		{"both, padded edges", transcript(utt(A, 0.3, 9.7, "好"), utt(C, 10, 20, "好"), utt(A, 20.3, 29.8, "好")),
			m, map[string]float64{A: 1, C: 1}},
		{"the other speaker's words do not count", transcript(utt(C, 0, 30, "好")),
			m, map[string]float64{A: 0, C: 1}},
		{"silent channel not listed", transcript(utt(A, 0, 10, "好")),
			&models.Metrics{Agent: m.Agent, Customer: &models.SpeakerMetrics{}}, map[string]float64{A: 0.5}},
		{"mono", transcript(utt(A, 0, 5, "好"), utt(C, 4, 10, "好")),
			&models.Metrics{Mixed: &models.SpeakerMetrics{TalkS: 20, Segments: []models.Span{{0, 20}}}}, map[string]float64{models.SpeakerMixed: 0.52}},
		{"nobody spoke", transcript(), &models.Metrics{Agent: &models.SpeakerMetrics{}, Customer: &models.SpeakerMetrics{}}, nil},
	}
	for _, tc := range tests {
		if got := TranscriptCoverage(tc.t, tc.m); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestStructuredEvidence checks the offsets and the how of matches.
func TestStructuredEvidence(t *testing.T) {
	t.Parallel()
	sc := &models.Scorecard{ID: "t", Version: 1, BaseScore: 100, Accent: true, Rules: []models.Rule{
		{ID: "k", Name: "K", Type: models.RuleKeyword, Any: []string{"12333", "工号", "不归我们管", "十", "ＡＰＰ"}, Expect: ExpectAbsent, Fuzzy: FuzzyPinyin},
		{ID: "re", Name: "RE", Type: models.RuleRegex, Pattern: `\d{4}`},
		{ID: "gone", Name: "G", Type: models.RuleKeyword, Any: []string{"再见"}},
		{ID: "s", Name: "S", Type: models.RuleSilence, MinSeconds: 8},
		{ID: "lvl", Name: "L", Type: models.RuleLevel, Speaker: A, MinRMSDBFS: ptr(-40), MaxClipping: ptr(0.01)},
		{ID: "fast", Name: "F", Type: models.RuleSpeechRate, Speaker: A, MaxCPM: 100},
		{ID: "short", Name: "D", Type: models.RuleDuration, ShorterThan: 100},
	}}
	c, err := NewChecker(sc)
	if err != nil {
		t.Fatal(err)
	}
	m := stereo()
	m.Agent.SpeechRMSDBFS, m.Agent.SpeechClippingRatio = -42.34, 0.0123456
	m.Silences = []models.Span{{20, 31.005}}
	fs, _ := c.Check(Call{DurationS: 60, Metrics: m, Transcript: transcript(
		utt(A, 1, 5, "您好！上海 一二三三三，公号1086。"),
		utt(A, 6, 9, "这不归我们，管；用ＡＰＰ，四"),
	)})
	one, two := 0, 1
	f := func(v float64) *float64 { return &v }
	want := []models.Finding{
		{Rule: "k", Name: "K", Start: 1, End: 5, Speaker: A, Evidence: "一二三三三 / 公号 (拼音匹配: 工号)", Utterance: &one, Matches: []models.Match{
			{Phrase: "12333", How: models.MatchDigits, Start: 6, End: 11, NormStart: 4, NormEnd: 9},
			{Phrase: "工号", How: models.MatchPinyin, Start: 12, End: 14, NormStart: 9, NormEnd: 11},
		}},
		{Rule: "k", Name: "K", Start: 6, End: 9, Speaker: A, Evidence: "不归我们，管 / ＡＰＰ / 四 (拼音匹配: 十)", Utterance: &two, Matches: []models.Match{
			{Phrase: "不归我们管", How: models.MatchExact, Start: 1, End: 7, NormStart: 1, NormEnd: 6},
			{Phrase: "ＡＰＰ", How: models.MatchExact, Start: 9, End: 12, NormStart: 7, NormEnd: 10},
			{Phrase: "十", How: models.MatchAccent, Start: 13, End: 14, NormStart: 10, NormEnd: 11},
		}},
		// Regex rules are not limited to whole numbers.
		{Rule: "re", Name: "RE", Start: 1, End: 5, Speaker: A, Evidence: "一二三三 / 1086", Utterance: &one, Matches: []models.Match{
			{Phrase: `\d{4}`, How: models.MatchPattern, Start: 6, End: 10, NormStart: 4, NormEnd: 8},
			{Phrase: `\d{4}`, How: models.MatchPattern, Start: 14, End: 18, NormStart: 11, NormEnd: 15},
		}},
		{Rule: "gone", Name: "G", Start: 0, End: 60, Evidence: "未找到: 再见", Missing: []string{"再见"}},
		{Rule: "s", Name: "S", Start: 20, End: 31.01, Evidence: "11.0 s", Value: f(11.01), Unit: models.UnitSeconds, Limit: f(8)},
		{Rule: "lvl", Name: "L", Start: 0, End: 60, Speaker: A, Evidence: "语音电平 -42.3 dBFS", Value: f(-42.3), Unit: models.UnitDBFS, Limit: f(-40)},
		{Rule: "lvl", Name: "L", Start: 0, End: 60, Speaker: A, Evidence: "削波 1.23%", Value: f(0.012346), Unit: models.UnitRatio, Limit: f(0.01)},
		{Rule: "fast", Name: "F", Start: 1, End: 9, Speaker: A, Evidence: "163 字/分", Value: f(163), Unit: models.UnitCPM, Limit: f(100)},
		{Rule: "short", Name: "D", Start: 0, End: 60, Evidence: "60.0 s", Value: f(60), Unit: models.UnitSeconds, Limit: f(100)},
	}
	if !reflect.DeepEqual(fs, want) {
		for i := range max(len(fs), len(want)) {
			var g, w any
			if i < len(fs) {
				g = fs[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("finding %d:\n got %+v\nwant %+v", i, deref(g), deref(w))
			}
		}
	}
}

// deref prints the pointer fields of a finding.
func deref(v any) any {
	f, ok := v.(models.Finding)
	if !ok {
		return v
	}
	type shown struct {
		models.Finding
		Utt          any
		Val, Lim     any
		MatchesShown []models.Match
	}
	s := shown{Finding: f, MatchesShown: f.Matches}
	if f.Utterance != nil {
		s.Utt = *f.Utterance
	}
	if f.Value != nil {
		s.Val = *f.Value
	}
	if f.Limit != nil {
		s.Lim = *f.Limit
	}
	return s
}

func TestEvidence(t *testing.T) {
	t.Parallel()
	text := "公号1086，您好\xff！"
	got := Evidence(text, []models.Match{
		{Phrase: "工号", How: models.MatchPinyin, Start: 0, End: 2},
		{Phrase: "1086", How: models.MatchExact, Start: 2, End: 6},
		{Phrase: "您好", How: models.MatchExact, Start: 7, End: 10},
		{Phrase: "1086", How: models.MatchExact, Start: 2, End: 6},
	})
	if want := "公号 (拼音匹配: 工号) / 1086 / 您好\xff"; got != want {
		t.Errorf("Evidence = %q, want %q", got, want)
	}
}

func TestNormSpan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text       string
		start, end int
		ns, ne     int
	}{
		{"您好，上海12333", 3, 10, 2, 9},
		{"您好，上海12333", 2, 3, 2, 2},  // only punctuation
		{"您好，上海12333", 0, 10, 0, 9}, // everything
		{"[手机号]，好", 0, 5, 0, 3},     // a mask label
		{"a\xffb", 1, 3, 1, 2},      // an invalid byte is one dropped character
		{"您好", 2, 2, 2, 2},          // empty span at the end
	}
	for _, tc := range tests {
		ns, ne := NormSpan(tc.text, tc.start, tc.end)
		if ns != tc.ns || ne != tc.ne {
			t.Errorf("NormSpan(%q, %d, %d) = %d, %d; want %d, %d", tc.text, tc.start, tc.end, ns, ne, tc.ns, tc.ne)
		}
	}
}

func TestEffectiveExpect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule models.Rule
		want string
	}{
		{models.Rule{Type: models.RuleKeyword}, ExpectPresent},
		{models.Rule{Type: models.RuleKeyword, Expect: ExpectAbsent}, ExpectAbsent},
		{models.Rule{Type: models.RuleRegex}, ExpectAbsent},
		{models.Rule{Type: models.RuleRegex, Expect: ExpectPresent}, ExpectPresent},
		{models.Rule{Type: models.RuleSilence}, ""},
	}
	for _, tc := range tests {
		if got := EffectiveExpect(tc.rule); got != tc.want {
			t.Errorf("EffectiveExpect(%s %q) = %q, want %q", tc.rule.Type, tc.rule.Expect, got, tc.want)
		}
	}
}
