package pii

import (
	"testing"

	"github.com/callqa/callqa/models"
)

// BenchmarkMaskTranscript masks a 10-minute call: 150 utterances, a few
// of them with numbers.
func BenchmarkMaskTranscript(b *testing.B) {
	pool := []string{
		"您好，上海幺二三三三，工号1086，很高兴为您服务。",
		"我手机号是幺三九幺二三四五六七零，身份证310115198003074515。",
		"请您提供一下身份证号码，我帮您查询一下社保缴费记录。",
		"好的，手机号139-1234-5670，我记下了。",
		"您可以带上身份证原件到就近的社区事务受理服务中心办理挂失和补卡。",
		"补缴金额一共是12345.67元，2026年11月25日之前缴清。",
	}
	t := &models.Transcript{}
	for i := range 150 {
		t.Utterances = append(t.Utterances, models.Utterance{Speaker: "agent", Start: float64(i) * 4, End: float64(i)*4 + 3.6, Text: pool[i%len(pool)]})
	}
	b.ReportAllocs()
	for b.Loop() {
		MaskTranscript(t)
	}
}
