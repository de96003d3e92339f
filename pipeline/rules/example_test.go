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

// A keyword rule with context: conditions and negations before a taboo,
// longer phrases that contain one, and a proximity condition.
func ExampleChecker_Check_context() {
	sc, err := rules.ParseScorecard("context.yaml", []byte(`
id: context
version: 1
name: context
base_score: 100
pass_score: 85
rules:
  - id: taboo
    name: 服务禁语
    type: keyword
    speaker: agent
    any: [不知道, 没办法]
    not_after: [如果, 假如, 不是]
    not_after_within_chars: 3
    except: [知不知道]
    except_within_chars: 0
    expect: absent
    veto: true
  - id: media_threat
    name: 媒体曝光风险
    type: keyword
    speaker: customer
    any: [媒体, 12345]
    near: {phrases: [找, 向], within_chars: 3, for: [媒体]}
    expect: absent
    review: true
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
	say := func(speaker, text string) models.Utterance {
		return models.Utterance{Speaker: speaker, Start: 1, End: 2, Text: text}
	}
	for _, u := range []models.Utterance{
		say("agent", "假如您不知道自己的参保编号，可以先登录网上经办大厅。"),
		say("agent", "并不是没办法，我们可以先受理。"),
		say("agent", "您知不知道自己是哪个区参保的？"),
		say("agent", "如果您不知道，我也不知道。"),
		say("agent", "这个没办法"),
		say("customer", "我在媒体上看到说养老金涨了。"),
		say("customer", "再不解决我就找媒体。"),
		say("customer", "我的手机号是13912345670。"),
		say("customer", "我打了一二三四五。"),
	} {
		fs, _ := c.Check(rules.Call{DurationS: 60, Transcript: &models.Transcript{Utterances: []models.Utterance{u}}})
		var hits []string
		for _, f := range fs {
			hits = append(hits, f.Rule+": "+f.Evidence)
		}
		fmt.Printf("%s %v\n", u.Text, hits)
	}
	// Output:
	// 假如您不知道自己的参保编号，可以先登录网上经办大厅。 []
	// 并不是没办法，我们可以先受理。 []
	// 您知不知道自己是哪个区参保的？ []
	// 如果您不知道，我也不知道。 [taboo: 不知道]
	// 这个没办法 [taboo: 没办法]
	// 我在媒体上看到说养老金涨了。 []
	// 再不解决我就找媒体。 [media_threat: 媒体]
	// 我的手机号是13912345670。 []
	// 我打了一二三四五。 [media_threat: 一二三四五]
}
