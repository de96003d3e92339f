package rules

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
)

func utt(speaker string, start, end float64, text string) models.Utterance {
	return models.Utterance{Speaker: speaker, Start: start, End: end, Text: text}
}

func transcript(us ...models.Utterance) *models.Transcript {
	if us == nil {
		us = []models.Utterance{}
	}
	return &models.Transcript{Utterances: us}
}

func ptr(f float64) *float64 { return &f }

const (
	A = models.SpeakerAgent
	C = models.SpeakerCustomer
)

// stereo returns metrics of a two-channel call where both speakers talk.
func stereo() *models.Metrics {
	return &models.Metrics{
		Agent:    &models.SpeakerMetrics{TalkS: 30, RMSDBFS: -24, SpeechRMSDBFS: -24},
		Customer: &models.SpeakerMetrics{TalkS: 20, RMSDBFS: -28, SpeechRMSDBFS: -28},
	}
}

// silentStereo returns metrics of a two-channel call where nobody talks.
func silentStereo() *models.Metrics {
	return &models.Metrics{
		Agent:    &models.SpeakerMetrics{RMSDBFS: -90, SpeechRMSDBFS: -100},
		Customer: &models.SpeakerMetrics{RMSDBFS: -90, SpeechRMSDBFS: -100},
	}
}

// brief renders findings compactly: "start-end speaker evidence".
func brief(fs []models.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, fmt.Sprintf("%v-%v %s %s", f.Start, f.End, f.Speaker, f.Evidence))
	}
	return out
}

type ruleCase struct {
	name   string
	rule   models.Rule
	accent bool
	call   Call
	want   []string // brief(findings)
	wantNE string   // the single not-evaluated reason, if any
}

func runRuleCases(t *testing.T, tests []ruleCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := tc.rule
			r.ID, r.Name = "r", "R"
			sc := &models.Scorecard{ID: "t", Version: 1, BaseScore: 100, Accent: tc.accent, Rules: []models.Rule{r}}
			c, err := NewChecker(sc)
			if err != nil {
				t.Fatal(err)
			}
			fs, ne := c.Check(tc.call)
			if got := brief(fs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("findings =\n  %q\nwant\n  %q", got, tc.want)
			}
			var wantNE []models.NotEvaluated
			if tc.wantNE != "" {
				wantNE = []models.NotEvaluated{{Rule: "r", Reason: tc.wantNE}}
			}
			if !reflect.DeepEqual(ne, wantNE) {
				t.Errorf("not evaluated = %+v, want %+v", ne, wantNE)
			}
		})
	}
}

func TestKeyword(t *testing.T) {
	t.Parallel()
	greeting := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"您好", "你好"},
		Within: &models.Within{FirstSeconds: 10}, Deduct: 10}
	closing := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"再见"},
		Within: &models.Within{LastSeconds: 20}, Deduct: 5}
	taboo := models.Rule{Type: models.RuleKeyword, Speaker: A, Any: []string{"不知道", "没办法"}, Expect: ExpectAbsent}
	allDocs := models.Rule{Type: models.RuleKeyword, All: []string{"身份证", "社保卡"}}
	allAbsent := models.Rule{Type: models.RuleKeyword, All: []string{"投诉", "媒体"}, Expect: ExpectAbsent}
	anyone := models.Rule{Type: models.RuleKeyword, Any: []string{"您好"}}
	hello := utt(A, 1, 4, "您好，上海12333。")

	runRuleCases(t, []ruleCase{
		{name: "present found", rule: greeting, call: Call{DurationS: 60, Transcript: transcript(hello)}},
		{name: "nil transcript", rule: greeting, call: Call{DurationS: 60}, wantNE: ReasonNoTranscript},
		{name: "empty transcript, no metrics: nothing is known of the agent", rule: greeting,
			call: Call{DurationS: 60, Transcript: transcript()}, wantNE: ReasonAgentNotTranscribed},
		{name: "empty transcript, silent channels: nothing was said", rule: greeting,
			call: Call{DurationS: 60, Transcript: transcript(), Metrics: silentStereo()},
			want: []string{"0-10 agent 未找到: 您好 / 你好"}},
		{name: "first_seconds: start at the boundary is outside", rule: greeting,
			call: Call{DurationS: 60, Transcript: transcript(utt(A, 10, 12, "您好"))},
			want: []string{"0-10 agent 未找到: 您好 / 你好"}},
		{name: "first_seconds: start just inside", rule: greeting,
			call: Call{DurationS: 60, Transcript: transcript(utt(A, 9.99, 12, "您好"))}},
		{name: "first_seconds window clipped to a short call", rule: greeting,
			call: Call{DurationS: 6.5, Transcript: transcript(utt(C, 1, 2, "喂"), utt(A, 6, 6.4, "喂"))},
			want: []string{"0-6.5 agent 未找到: 您好 / 你好"}},
		{name: "last_seconds: end at the boundary is outside", rule: closing,
			call: Call{DurationS: 100, Transcript: transcript(utt(A, 75, 80, "再见"))},
			want: []string{"80-100 agent 未找到: 再见"}},
		{name: "last_seconds: end just inside", rule: closing,
			call: Call{DurationS: 100, Transcript: transcript(utt(A, 75, 80.01, "再见"))}},
		{name: "last_seconds without audio duration uses the transcript end", rule: closing,
			call: Call{Transcript: transcript(utt(A, 1, 5, "您好"), utt(A, 90, 93, "好的"))},
			want: []string{"73-93 agent 未找到: 再见"}},
		{name: "other speaker does not count", rule: greeting,
			call: Call{DurationS: 60, Transcript: transcript(utt(C, 1, 2, "你好"), utt(A, 3, 4, "喂"))},
			want: []string{"0-10 agent 未找到: 您好 / 你好"}},
		{name: "one-sided call, the agent's channel is silent", rule: greeting,
			call: Call{DurationS: 30, Transcript: transcript(utt(C, 1, 2, "喂？"), utt(C, 5, 8, "有人吗")), Metrics: silentStereo()},
			want: []string{"0-10 agent 未找到: 您好 / 你好"}},
		{name: "one-sided transcript, the agent talks on the audio", rule: greeting,
			call:   Call{DurationS: 30, Transcript: transcript(utt(C, 1, 2, "喂？"), utt(C, 5, 8, "有人吗")), Metrics: stereo()},
			wantNE: ReasonAgentNotTranscribed},
		{name: "empty speaker means anyone", rule: anyone,
			call: Call{DurationS: 30, Transcript: transcript(utt(C, 1, 2, "您好"))}},
		{name: "empty speaker, not found spans the whole call", rule: anyone,
			call: Call{DurationS: 30, Transcript: transcript(utt(C, 1, 2, "喂"))},
			want: []string{"0-30  未找到: 您好"}},
		{name: "all: phrases in different utterances", rule: allDocs,
			call: Call{DurationS: 60, Transcript: transcript(utt(A, 1, 5, "请带上身份证"), utt(A, 6, 9, "还有社保卡"))}},
		{name: "all: one missing", rule: allDocs,
			call: Call{DurationS: 60, Transcript: transcript(utt(A, 1, 5, "请带上身份证"))},
			want: []string{"0-60  未找到: 社保卡"}},
		{name: "absent: one finding per utterance, matches quoted in order", rule: taboo,
			call: Call{DurationS: 60, Transcript: transcript(
				utt(A, 3, 6, "这个没办法，我也不知道。"),
				utt(C, 7, 8, "你不知道？"),
				utt(A, 9, 12.345, "真的没办法"))},
			want: []string{"3-6 agent 没办法 / 不知道", "9-12.35 agent 没办法"}},
		{name: "absent: nothing said", rule: taboo, call: Call{DurationS: 60, Transcript: transcript(hello)}},
		{name: "absent: empty transcript", rule: taboo, call: Call{DurationS: 60, Transcript: transcript()},
			wantNE: ReasonAgentNotTranscribed},
		{name: "absent: empty transcript of a silent call", rule: taboo,
			call: Call{DurationS: 60, Transcript: transcript(), Metrics: silentStereo()}},
		{name: "absent: nil transcript", rule: taboo, call: Call{DurationS: 60}, wantNE: ReasonNoTranscript},
		{name: "absent all: only one phrase said", rule: allAbsent,
			call: Call{DurationS: 60, Transcript: transcript(utt(C, 1, 3, "我要投诉"))}},
		{name: "absent all: every phrase said", rule: allAbsent,
			call: Call{DurationS: 60, Transcript: transcript(utt(C, 1, 3, "我要投诉"), utt(A, 4, 5, "好的"), utt(C, 6, 9, "我还要找媒体"))},
			want: []string{"1-3 customer 投诉", "6-9 customer 媒体"}},
		{name: "absent within first_seconds", rule: models.Rule{Type: models.RuleKeyword, Any: []string{"喂"}, Expect: ExpectAbsent, Within: &models.Within{FirstSeconds: 5}},
			call: Call{DurationS: 60, Transcript: transcript(utt(C, 1, 2, "喂"), utt(C, 5, 6, "喂喂"))},
			want: []string{"1-2 customer 喂"}},
	})
}

func TestKeywordNormalisation(t *testing.T) {
	t.Parallel()
	absent := func(phrases ...string) models.Rule {
		return models.Rule{Type: models.RuleKeyword, Any: phrases, Expect: ExpectAbsent}
	}
	call := func(text string) Call {
		return Call{DurationS: 60, Transcript: transcript(utt(C, 1, 2, text))}
	}
	runRuleCases(t, []ruleCase{
		{name: "spoken digits match written", rule: absent("12345"), call: call("我要打一二三四五"),
			want: []string{"1-2 customer 一二三四五"}},
		{name: "written digits match spoken", rule: absent("一二三三三"), call: call("上海12333"),
			want: []string{"1-2 customer 12333"}},
		{name: "yao is one", rule: absent("12333"), call: call("打幺二三三三问过了"),
			want: []string{"1-2 customer 幺二三三三"}},
		{name: "zero characters, each way of writing quoted", rule: absent("1086"), call: call("工号一〇八六，一零八六，一〇八六"),
			want: []string{"1-2 customer 一〇八六 / 一零八六"}},
		{name: "zero", rule: absent("1086"), call: call("工号一零八六"),
			want: []string{"1-2 customer 一零八六"}},
		{name: "full-width digits, spaces and punctuation", rule: absent("12345"), call: call("打１２ ３-45！"),
			want: []string{"1-2 customer １２ ３-45"}},
		{name: "latin case and full width", rule: absent("app"), call: call("用ＡＰＰ查"),
			want: []string{"1-2 customer ＡＰＰ"}},
		{name: "punctuation inside a phrase is ignored", rule: absent("不归我们管！"), call: call("这不归我们，管"),
			want: []string{"1-2 customer 不归我们，管"}},
		{name: "no partial digits", rule: absent("12345"), call: call("1234")},
		{name: "homophone needs fuzzy", rule: absent("工号"), call: call("公号1086")},
	})
}

func TestKeywordPinyin(t *testing.T) {
	t.Parallel()
	fuzzy := func(expect string, phrases ...string) models.Rule {
		return models.Rule{Type: models.RuleKeyword, Any: phrases, Fuzzy: FuzzyPinyin, Expect: expect}
	}
	call := func(text string) Call {
		return Call{DurationS: 60, Transcript: transcript(utt(A, 1, 2, text))}
	}
	runRuleCases(t, []ruleCase{
		{name: "gonghao homophone found", rule: fuzzy(ExpectPresent, "工号"), call: call("您好，公号1086")},
		{name: "gonghao homophone evidence", rule: fuzzy(ExpectAbsent, "工号"), call: call("您好，公号1086"),
			want: []string{"1-2 agent 公号 (拼音匹配: 工号)"}},
		{name: "shenfenzheng homophone", rule: fuzzy(ExpectAbsent, "身份证"), call: call("带上身份正"),
			want: []string{"1-2 agent 身份正 (拼音匹配: 身份证)"}},
		{name: "exact match is not labelled pinyin", rule: fuzzy(ExpectAbsent, "身份证"), call: call("带上身份证"),
			want: []string{"1-2 agent 身份证"}},
		{name: "syllables must be contiguous", rule: fuzzy(ExpectAbsent, "身份证"), call: call("身份，那个证")},
		{name: "not a homophone", rule: fuzzy(ExpectAbsent, "身份证"), call: call("身份卡")},
		{name: "punctuation between syllables is skipped", rule: fuzzy(ExpectAbsent, "工号"), call: call("公，号"),
			want: []string{"1-2 agent 公，号 (拼音匹配: 工号)"}},
		{name: "digits are read aloud", rule: fuzzy(ExpectAbsent, "依旧"), call: call("19"),
			want: []string{"1-2 agent 19 (拼音匹配: 依旧)"}},
		{name: "accent off: si is not shi", rule: fuzzy(ExpectAbsent, "十"), call: call("四")},
		{name: "accent on: si matches shi", rule: fuzzy(ExpectAbsent, "十"), accent: true, call: call("四"),
			want: []string{"1-2 agent 四 (拼音匹配: 十)"}},
		{name: "accent off: zhen is not zheng", rule: fuzzy(ExpectAbsent, "身份证"), call: call("身份镇")},
		{name: "accent on: zhen matches zheng", rule: fuzzy(ExpectAbsent, "身份证"), accent: true, call: call("身份镇"),
			want: []string{"1-2 agent 身份镇 (拼音匹配: 身份证)"}},
		{name: "accent on: n and l", rule: fuzzy(ExpectAbsent, "农保"), accent: true, call: call("龙宝"),
			want: []string{"1-2 agent 龙宝 (拼音匹配: 农保)"}},
		{name: "accent on: ing and in", rule: fuzzy(ExpectAbsent, "明天"), accent: true, call: call("民田"),
			want: []string{"1-2 agent 民田 (拼音匹配: 明天)"}},
		{name: "accent on: ch and c", rule: fuzzy(ExpectAbsent, "查询"), accent: true, call: call("擦寻"),
			want: []string{"1-2 agent 擦寻 (拼音匹配: 查询)"}},
		{name: "accent off: n is not l", rule: fuzzy(ExpectAbsent, "农保"), call: call("龙宝")},
		{name: "spaces between letters are ignored", rule: fuzzy(ExpectAbsent, "app"), call: call("a p p"),
			want: []string{"1-2 agent a p p"}},
		{name: "latin letters are their own tokens", rule: fuzzy(ExpectAbsent, "ab"), call: call("a好b")},
	})
}

func TestRegex(t *testing.T) {
	t.Parallel()
	jobNo := models.Rule{Type: models.RuleRegex, Speaker: A, Pattern: `工号\d{4}`}
	present := models.Rule{Type: models.RuleRegex, Speaker: A, Pattern: `工号\d{4}`, Expect: ExpectPresent,
		Within: &models.Within{FirstSeconds: 15}}
	runRuleCases(t, []ruleCase{
		{name: "absent by default, matches normalised text", rule: jobNo,
			call: Call{DurationS: 60, Transcript: transcript(utt(A, 1, 5, "工号：一零八六。"), utt(C, 6, 7, "工号1234"), utt(A, 8, 9, "工号12"))},
			want: []string{"1-5 agent 工号：一零八六"}},
		{name: "every match of an utterance", rule: models.Rule{Type: models.RuleRegex, Pattern: `\d{5}`},
			call: Call{DurationS: 60, Transcript: transcript(utt(C, 1, 5, "打了12345，又打了一二三三三"))},
			want: []string{"1-5 customer 12345 / 一二三三三"}},
		{name: "present found", rule: present,
			call: Call{DurationS: 60, Transcript: transcript(utt(A, 1, 5, "工号1086"))}},
		{name: "present outside window", rule: present,
			call: Call{DurationS: 60, Transcript: transcript(utt(A, 15, 18, "工号1086"))},
			want: []string{`0-15 agent 未匹配: 工号\d{4}`}},
		{name: "lower-cased latin", rule: models.Rule{Type: models.RuleRegex, Pattern: `^app`},
			call: Call{DurationS: 60, Transcript: transcript(utt(C, 1, 2, "ＡＰＰ怎么下载"))},
			want: []string{"1-2 customer ＡＰＰ"}},
		{name: "nil transcript", rule: jobNo, call: Call{DurationS: 60}, wantNE: ReasonNoTranscript},
	})
}

func TestSilence(t *testing.T) {
	t.Parallel()
	rule := models.Rule{Type: models.RuleSilence, MinSeconds: 8, Deduct: 5, MaxDeduct: 15}
	runRuleCases(t, []ruleCase{
		{name: "long silences only", rule: rule, call: Call{DurationS: 120, Metrics: &models.Metrics{
			Silences: []models.Span{{10, 21}, {30, 37.99}, {40, 48}, {0.1, 8.1}}}},
			want: []string{"10-21  11.0 s", "40-48  8.0 s", "0.1-8.1  8.0 s"}},
		{name: "mono has silences too", rule: rule, call: Call{DurationS: 120, Metrics: &models.Metrics{
			Mixed: &models.SpeakerMetrics{TalkS: 50}, Silences: []models.Span{{50, 60.04}}}},
			want: []string{"50-60.04  10.0 s"}},
		{name: "no silences", rule: rule, call: Call{DurationS: 120, Metrics: stereo()}},
		{name: "nil metrics", rule: rule, call: Call{DurationS: 120, Transcript: transcript()}, wantNE: ReasonNoMetrics},
	})
}

func TestOvertalk(t *testing.T) {
	t.Parallel()
	m := stereo()
	m.Overtalks = []models.Overtalk{
		{Start: 5, End: 6.5, By: A}, {Start: 10, End: 12, By: C}, {Start: 20, End: 20.5, By: A}, {Start: 30, End: 31, By: A},
	}
	agent := models.Rule{Type: models.RuleOvertalk, Speaker: A, MinSeconds: 1}
	anyone := models.Rule{Type: models.RuleOvertalk, MinSeconds: 1}
	runRuleCases(t, []ruleCase{
		{name: "agent only, at least min_seconds", rule: agent, call: Call{DurationS: 60, Metrics: m},
			want: []string{"5-6.5 agent 1.5 s", "30-31 agent 1.0 s"}},
		{name: "anyone", rule: anyone, call: Call{DurationS: 60, Metrics: m},
			want: []string{"5-6.5 agent 1.5 s", "10-12 customer 2.0 s", "30-31 agent 1.0 s"}},
		{name: "mono", rule: agent, call: Call{DurationS: 60, Metrics: &models.Metrics{Mixed: &models.SpeakerMetrics{TalkS: 30}}},
			wantNE: ReasonMono},
		{name: "nil metrics", rule: agent, call: Call{DurationS: 60}, wantNE: ReasonNoMetrics},
	})
}

func TestSpeechRate(t *testing.T) {
	t.Parallel()
	fast := models.Rule{Type: models.RuleSpeechRate, Speaker: A, MaxCPM: 280}
	slow := models.Rule{Type: models.RuleSpeechRate, Speaker: A, MinCPM: 120}
	// 60 Han characters in 10 s of agent speech: 360 per minute. Digits and
	// punctuation do not count.
	rapid := transcript(
		utt(A, 1, 6, strings.Repeat("社保", 15)+"，12333！"),
		utt(C, 6, 20, "嗯"),
		utt(A, 20, 25, strings.Repeat("医保", 15)),
	)
	calm := transcript(utt(A, 1, 11, strings.Repeat("您好", 20))) // 240 per minute
	runRuleCases(t, []ruleCase{
		{name: "too fast", rule: fast, call: Call{DurationS: 30, Transcript: rapid}, want: []string{"1-25 agent 360 字/分"}},
		{name: "normal", rule: fast, call: Call{DurationS: 30, Transcript: calm}},
		{name: "too slow", rule: slow, call: Call{DurationS: 30, Transcript: transcript(utt(A, 0, 60, strings.Repeat("好", 100)))},
			want: []string{"0-60 agent 100 字/分"}},
		{name: "one-sided call", rule: fast, call: Call{DurationS: 30, Transcript: transcript(utt(C, 1, 3, "喂")), Metrics: silentStereo()},
			wantNE: "no speech by agent in the transcript"},
		{name: "one-sided transcript", rule: fast, call: Call{DurationS: 30, Transcript: transcript(utt(C, 1, 3, "喂")), Metrics: stereo()},
			wantNE: ReasonAgentNotTranscribed},
		{name: "empty transcript", rule: fast, call: Call{DurationS: 30, Transcript: transcript()},
			wantNE: ReasonAgentNotTranscribed},
		{name: "agent said nothing of positive duration", rule: fast, call: Call{DurationS: 30, Transcript: transcript(utt(A, 3, 3, "喂"))},
			wantNE: "no speech by agent in the transcript"},
		{name: "nil transcript", rule: fast, call: Call{DurationS: 30}, wantNE: ReasonNoTranscript},
	})
}

func TestSpeechRateCPM(t *testing.T) {
	t.Parallel()
	tr := transcript(utt(A, 0, 30, strings.Repeat("好", 100)), utt(C, 30, 40, "嗯嗯 OK 123"), utt(C, 40, 40, "零"))
	tests := []struct {
		speaker string
		cpm     float64
		ok      bool
	}{
		{A, 200, true},
		{C, 18, true}, // 嗯嗯 and 零: 3 characters in 10 s
		{"", 103 * 60.0 / 40, true},
		{models.SpeakerMixed, 0, false},
	}
	for _, tc := range tests {
		cpm, ok := SpeechRateCPM(tr, tc.speaker, nil)
		if ok != tc.ok || math.Abs(cpm-tc.cpm) > 1e-9 {
			t.Errorf("SpeechRateCPM(%q) = %v, %v; want %v, %v", tc.speaker, cpm, ok, tc.cpm, tc.ok)
		}
	}
	if _, ok := SpeechRateCPM(nil, A, nil); ok {
		t.Error("nil transcript: ok")
	}
	if _, ok := SpeechRateCPM(transcript(utt(A, 5, 5, "好")), A, nil); ok {
		t.Error("zero duration: ok")
	}
	// 10 s of hold music inside the agent's 30 s utterance, and key
	// presses on the customer's channel: 100 characters in 20 s.
	events := []models.Event{{Type: models.EventHoldMusic, Start: 10, End: 20, Speaker: A}, {Type: models.EventDTMF, Start: 0, End: 30, Speaker: C}}
	if cpm, ok := SpeechRateCPM(tr, A, events); !ok || math.Abs(cpm-300) > 1e-9 {
		t.Errorf("speech rate net of the hold = %v, %v; want 300", cpm, ok)
	}
}

// TestHold checks the hold rule: holds too long, too long in all, and not
// announced by the agent before them; merged across channels; not
// evaluated without metrics, and the announcement not without the
// agent's transcript.
func TestHold(t *testing.T) {
	t.Parallel()
	rule := models.Rule{Type: models.RuleHold, MaxSeconds: 60, MaxTotalSeconds: 90, Announce: []string{"请您稍等", "请稍候"}, AnnounceWithinSeconds: 15, Fuzzy: FuzzyPinyin}
	hold := func(a, b float64, sp string) models.Event {
		return models.Event{Type: models.EventHoldMusic, Start: a, End: b, Speaker: sp}
	}
	metrics := func(events ...models.Event) *models.Metrics {
		return &models.Metrics{Agent: &models.SpeakerMetrics{Segments: []models.Span{{0, 5}}}, Customer: &models.SpeakerMetrics{}, Events: events}
	}
	announced := transcript(utt(A, 20, 24, "好的，请您稍等，我帮您查一下"), utt(A, 150, 155, "让您久等了"))
	silent := transcript(utt(A, 0, 4, "您好"))
	runRuleCases(t, []ruleCase{
		{name: "short announced hold", rule: rule, call: Call{DurationS: 200, Transcript: announced, Metrics: metrics(hold(25, 70, A))}, want: nil},
		{name: "long hold", rule: rule, call: Call{DurationS: 200, Transcript: announced, Metrics: metrics(hold(25, 100, A))},
			want: []string{"25-100  保持 75.0 s"}},
		{name: "holds over the total, one not announced", rule: rule, call: Call{DurationS: 300, Transcript: announced,
			Metrics: metrics(hold(25, 75, A), hold(160, 210, C))},
			want: []string{"25-210  保持共 100.0 s", "160-162 agent 保持前未告知来电人"}},
		{name: "hold music on both channels is one hold", rule: rule, call: Call{DurationS: 200, Transcript: announced,
			Metrics: metrics(hold(25, 60, A), hold(40, 90, C))}, want: []string{"25-90  保持 65.0 s"}},
		{name: "announced by homophones", rule: rule, call: Call{DurationS: 200, Transcript: transcript(utt(A, 20, 24, "情您稍等")), Metrics: metrics(hold(25, 40, A))}, want: nil},
		{name: "not announced", rule: rule, call: Call{DurationS: 200, Transcript: silent, Metrics: metrics(hold(25, 40, A))},
			want: []string{"25-27 agent 保持前未告知来电人"}},
		{name: "no hold", rule: rule, call: Call{DurationS: 200, Transcript: silent, Metrics: metrics()}, want: nil},
		{name: "no metrics", rule: rule, call: Call{DurationS: 200, Transcript: silent}, wantNE: ReasonNoMetrics},
		{name: "no transcript: lengths only", rule: rule, call: Call{DurationS: 200, Metrics: metrics(hold(25, 100, A))},
			want: []string{"25-100  保持 75.0 s"}, wantNE: ReasonNoTranscript},
	})
}

func TestDuration(t *testing.T) {
	t.Parallel()
	short := models.Rule{Type: models.RuleDuration, ShorterThan: 10}
	long := models.Rule{Type: models.RuleDuration, LongerThan: 1800}
	runRuleCases(t, []ruleCase{
		{name: "short", rule: short, call: Call{DurationS: 8.24}, want: []string{"0-8.24  8.2 s"}},
		{name: "exactly the limit", rule: short, call: Call{DurationS: 10}},
		{name: "long", rule: long, call: Call{DurationS: 1900}, want: []string{"0-1900  1900.0 s"}},
		{name: "not long", rule: long, call: Call{DurationS: 1800}},
		{name: "unknown", rule: short, call: Call{Transcript: transcript(utt(A, 0, 3, "喂"))}, wantNE: ReasonUnknownDuration},
	})
}

func TestLevel(t *testing.T) {
	t.Parallel()
	quiet := stereo()
	quiet.Agent.SpeechRMSDBFS = -42.34
	quiet.Agent.SpeechClippingRatio = 0.012
	// An agent who mostly listens: the whole channel is quiet, the voice is
	// not. Not a level fault.
	listener := stereo()
	listener.Agent.TalkS, listener.Agent.RMSDBFS, listener.Agent.ClippingRatio = 2, -45, 0.002
	loud := stereo()
	loud.Customer.SpeechRMSDBFS = -2.5
	silentAgent := stereo()
	silentAgent.Agent = &models.SpeakerMetrics{RMSDBFS: -100, SpeechRMSDBFS: -100}
	mono := &models.Metrics{Mixed: &models.SpeakerMetrics{TalkS: 40, RMSDBFS: -50, SpeechRMSDBFS: -45}}

	agent := models.Rule{Type: models.RuleLevel, Speaker: A, MinRMSDBFS: ptr(-40), MaxClipping: ptr(0.01)}
	both := models.Rule{Type: models.RuleLevel, MaxRMSDBFS: ptr(-6)}
	runRuleCases(t, []ruleCase{
		{name: "quiet and clipping", rule: agent, call: Call{DurationS: 60, Metrics: quiet},
			want: []string{"0-60 agent 语音电平 -42.3 dBFS", "0-60 agent 削波 1.20%"}},
		{name: "fine", rule: agent, call: Call{DurationS: 60, Metrics: stereo()}},
		{name: "talks little, normal voice", rule: agent, call: Call{DurationS: 60, Metrics: listener}},
		{name: "exactly the limit", rule: models.Rule{Type: models.RuleLevel, Speaker: A, MinRMSDBFS: ptr(-24)},
			call: Call{DurationS: 60, Metrics: stereo()}},
		{name: "other channel not checked", rule: agent, call: Call{DurationS: 60, Metrics: loud}},
		{name: "empty speaker checks both channels", rule: both, call: Call{DurationS: 60, Metrics: loud},
			want: []string{"0-60 customer 语音电平 -2.5 dBFS"}},
		{name: "mono uses the mixed channel", rule: agent, call: Call{DurationS: 60, Metrics: mono},
			want: []string{"0-60 mixed 语音电平 -45.0 dBFS (单声道混合)"}},
		{name: "agent never spoke", rule: agent, call: Call{DurationS: 60, Metrics: silentAgent},
			wantNE: "no speech on the agent channel"},
		{name: "nil metrics", rule: agent, call: Call{DurationS: 60}, wantNE: ReasonNoMetrics},
	})
}

// TestFindingFields checks what every finding carries besides its span and
// evidence.
func TestFindingFields(t *testing.T) {
	t.Parallel()
	sc := &models.Scorecard{ID: "t", Version: 1, BaseScore: 100, Rules: []models.Rule{
		{ID: "taboo", Name: "服务禁语", Type: models.RuleKeyword, Speaker: A, Any: []string{"不知道"},
			Expect: ExpectAbsent, Deduct: 30, MaxDeduct: 30, Veto: true},
		{ID: "risk", Name: "投诉风险", Type: models.RuleKeyword, Speaker: C, Any: []string{"投诉"},
			Expect: ExpectAbsent, Review: true},
	}}
	c, err := NewChecker(sc)
	if err != nil {
		t.Fatal(err)
	}
	fs, ne := c.Check(Call{DurationS: 30, Transcript: transcript(
		utt(A, 1.004, 2.996, "不知道"), utt(C, 3, 4, "投诉"), utt(A, 5, 6, "不知道"))})
	idx := func(i int) *int { return &i }
	want := []models.Finding{
		{Rule: "taboo", Name: "服务禁语", Start: 1, End: 3, Speaker: A, Evidence: "不知道", Deduct: 30, Veto: true,
			Utterance: idx(0), Matches: []models.Match{{Phrase: "不知道", How: models.MatchExact, Start: 0, End: 3, NormStart: 0, NormEnd: 3}}},
		{Rule: "taboo", Name: "服务禁语", Start: 5, End: 6, Speaker: A, Evidence: "不知道", Deduct: 30, Veto: true,
			Utterance: idx(2), Matches: []models.Match{{Phrase: "不知道", How: models.MatchExact, Start: 0, End: 3, NormStart: 0, NormEnd: 3}}},
		{Rule: "risk", Name: "投诉风险", Start: 3, End: 4, Speaker: C, Evidence: "投诉", Review: true,
			Utterance: idx(1), Matches: []models.Match{{Phrase: "投诉", How: models.MatchExact, Start: 0, End: 2, NormStart: 0, NormEnd: 2}}},
	}
	if !reflect.DeepEqual(fs, want) || ne != nil {
		t.Errorf("findings = %+v, not evaluated = %+v\nwant %+v", fs, ne, want)
	}
}

// TestCheckConcurrent runs one Checker from several goroutines (run with
// -race): Check keeps its per-call caches to itself.
func TestCheckConcurrent(t *testing.T) {
	t.Parallel()
	sc, err := LoadScorecard(defaultScorecard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChecker(sc)
	if err != nil {
		t.Fatal(err)
	}
	call := tenMinuteCall()
	want, _ := c.Check(call)
	if len(want) == 0 {
		t.Fatal("the 10-minute call has no findings to compare")
	}
	done := make(chan []models.Finding)
	for range 4 {
		go func() {
			fs, _ := c.Check(call)
			done <- fs
		}()
	}
	for range 4 {
		if got := <-done; !reflect.DeepEqual(got, want) {
			t.Errorf("concurrent Check differs: %d findings, want %d", len(got), len(want))
		}
	}
}
