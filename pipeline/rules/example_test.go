package rules_test

import (
	"fmt"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/rules"
)

func ExampleChecker_Check() {
	sc, err := rules.ParseScorecard("demo.yaml", []byte(`
id: demo
version: 1
name: demo
base_score: 100
pass_score: 85
rules:
  - {id: job_number, name: 报工号, type: keyword, speaker: agent, any: [工号], within: {first_seconds: 15}, fuzzy: pinyin, deduct: 10}
  - {id: complaint_risk, name: 投诉风险, type: keyword, speaker: customer, any: ["12345"], expect: absent, review: true}
  - {id: dead_air, name: 长时间静音, type: silence, min_seconds: 8, deduct: 5}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := rules.NewChecker(sc)
	if err != nil {
		fmt.Println(err)
		return
	}
	findings, notEvaluated := c.Check(rules.Call{
		DurationS: 60,
		Transcript: &models.Transcript{Utterances: []models.Utterance{
			{Speaker: "agent", Start: 1, End: 5, Text: "您好，公号1086。"},
			{Speaker: "customer", Start: 6, End: 9, Text: "我要打幺二三四五！"},
		}},
	})
	for _, f := range findings {
		fmt.Printf("%s %v-%v %s\n", f.Rule, f.Start, f.End, f.Evidence)
	}
	fmt.Println(notEvaluated)
	// Output:
	// complaint_risk 6-9 幺二三四五
	// [{dead_air no audio metrics}]
}

func ExampleNormalize() {
	fmt.Println(rules.Normalize("您好！上海 幺二三三三，ＡＰＰ"))
	// Output: 您好上海12333app
}
