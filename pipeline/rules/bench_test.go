package rules

import (
	"testing"

	"github.com/callqa/callqa/models"
)

// tenMinuteCall builds a 10-minute call: 150 utterances alternating between
// agent and customer, 4 s each, from a pool of typical sentences.
func tenMinuteCall() Call {
	pool := []string{
		"您好，上海幺二三三三，工号1086，很高兴为您服务。",
		"你好，我想问一下我的养老金什么时候能到账，上个月是十五号发的。",
		"请您提供一下身份证号码，我帮您查询一下社保缴费记录。",
		"我的社保卡丢了，补办需要带什么材料，去哪里办？",
		"您可以带上身份证原件到就近的社区事务受理服务中心办理挂失和补卡。",
		"失业保险金的申领条件是非因本人意愿中断就业并且已经办理失业登记。",
		"好的，我明白了，那网上能不能办，我白天要上班没时间。",
		"可以的，您在随申办APP上搜索社保卡补换，按提示操作就可以了。",
	}
	us := make([]models.Utterance, 0, 150)
	for i := range 150 {
		sp := models.SpeakerAgent
		if i%2 == 1 {
			sp = models.SpeakerCustomer
		}
		start := float64(i) * 4
		us = append(us, models.Utterance{Speaker: sp, Start: start, End: start + 3.6, Text: pool[i%len(pool)]})
	}
	m := &models.Metrics{
		Agent:     &models.SpeakerMetrics{TalkS: 270, RMSDBFS: -24},
		Customer:  &models.SpeakerMetrics{TalkS: 270, RMSDBFS: -27},
		Silences:  []models.Span{{100, 109}, {300, 312}},
		Overtalks: []models.Overtalk{{Start: 200, End: 201.5, By: models.SpeakerAgent}},
	}
	return Call{DurationS: 600, Transcript: &models.Transcript{Utterances: us}, Metrics: m}
}

func benchmarkCheck(b *testing.B, accent bool) {
	sc, err := LoadScorecard(defaultScorecard)
	if err != nil {
		b.Fatal(err)
	}
	sc.Accent = accent
	c, err := NewChecker(sc)
	if err != nil {
		b.Fatal(err)
	}
	call := tenMinuteCall()
	b.ReportAllocs()
	for b.Loop() {
		c.Check(call)
	}
}

// BenchmarkCheck checks the default scorecard on a 10-minute transcript.
func BenchmarkCheck(b *testing.B) { benchmarkCheck(b, false) }

// BenchmarkCheckAccent is BenchmarkCheck with the accent folding on.
func BenchmarkCheckAccent(b *testing.B) { benchmarkCheck(b, true) }
