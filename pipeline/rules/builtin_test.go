package rules

import (
	"strings"
	"testing"
	"unicode"

	"github.com/callqa/callqa/models"
)

// sentence is one line of the built-in card's table: what a speaker says
// (one utterance per element) and whether the rule must hit.
type sentence struct {
	says []string
	hit  bool
	// punctuated: the outcome holds for the punctuated text only (the
	// punctuation separates the clauses that decide it).
	punctuated bool
}

// unpunctuated is text as an ASR engine without punctuation gives it.
func unpunctuated(text string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) {
			return -1
		}
		return r
	}, text)
}

// checkSentences runs the built-in scorecard on each sentence, said by
// speaker, punctuated and not, and checks whether rule hits.
func checkSentences(t *testing.T, rule, speaker string, table []sentence) {
	t.Helper()
	sc, err := LoadScorecard(defaultScorecard)
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewChecker(sc)
	if err != nil {
		t.Fatal(err)
	}
	other := models.SpeakerCustomer
	if speaker == other {
		other = models.SpeakerAgent
	}
	for _, tc := range table {
		for _, strip := range []bool{false, true} {
			if strip && tc.punctuated {
				continue
			}
			var us []models.Utterance
			// The other side speaks first, so that both are in the transcript.
			us = append(us, utt(other, 0, 3, "您好，请讲。"))
			for k, s := range tc.says {
				if strip {
					s = unpunctuated(s)
				}
				us = append(us, utt(speaker, 4+float64(k)*6, 9+float64(k)*6, s))
			}
			fs, ne := c.Check(Call{DurationS: 120, Transcript: transcript(us...)})
			var got []string
			for _, f := range fs {
				if f.Rule == rule {
					got = append(got, f.Evidence)
				}
			}
			for _, n := range ne {
				if n.Rule == rule {
					t.Errorf("%q: %s not evaluated: %s", texts(us[1:]), rule, n.Reason)
				}
			}
			if (len(got) > 0) != tc.hit {
				verb := "must not hit"
				if tc.hit {
					verb = "must hit"
				}
				t.Errorf("%s %s %q (evidence %q)", rule, verb, texts(us[1:]), got)
			}
		}
	}
}

func texts(us []models.Utterance) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Text)
	}
	return out
}

func says(s ...string) []string { return s }

// TestBuiltInTaboo: an agent explaining what the caller can do when the
// caller does not know something, or saying that something is not
// impossible, does not say a taboo; an agent who does not know, says
// nothing can be done or sends the caller away does.
func TestBuiltInTaboo(t *testing.T) {
	t.Parallel()
	checkSentences(t, "taboo", models.SpeakerAgent, []sentence{
		// The caller does not know: explaining what to do is not a taboo.
		{says: says("假如您不知道自己的参保编号，可以先登录网上经办大厅查询。")},
		{says: says("如果您不知道密码，可以在登录页面点忘记密码。")},
		{says: says("您要是不知道怎么操作，我一步一步教您。")},
		{says: says("万一您不知道单位有没有给您缴费，可以查一下缴费记录。")},
		{says: says("要是不知道具体地址，您可以再打过来问。")},
		{says: says("如果您还不知道自己的社保卡号，可以看一下卡的背面。")},
		{says: says("倘若您不知道办理进度，可以在随申办上查。")},
		{says: says("要是您不知道单位的统一社会信用代码，可以问一下财务。")},
		{says: says("假如您自己不知道，可以让单位帮您查。")},
		{says: says("您知不知道自己是在哪个区参保的？")},
		{says: says("您知道不知道自己的缴费基数？")},
		{says: says("您是不是不知道在哪里下载？我发短信给您。")},
		{says: says("不知道也没关系，我帮您查一下。")},
		{says: says("很多人都不知道这个政策，我跟您详细说一下。")},
		{says: says("这个您可能不知道，现在可以全程网办了。")},
		{says: says("您不知道的话，可以问一下单位的人事。")},
		{says: says("不知道您现在方便记一下吗？")},
		{says: says("不知道您那边听得清楚吗？")},
		{says: says("不知道您还有其他问题吗？")},
		// Not impossible.
		{says: says("并不是没办法，我们可以先受理，材料后补。")},
		{says: says("也不是说没办法，您可以先申请延期。")},
		{says: says("不是完全没办法的，您可以走线上渠道。")},
		{says: says("这个并非没办法，我帮您转给专门的部门。")},
		// The caller cannot do something: the agent offers another way.
		{says: says("如果您实在没办法到现场，可以委托家人代办。")},
		{says: says("如果您没办法上网，也可以去社区事务受理服务中心办理。")},
		{says: says("您可以找别人去代办，带上委托书就行。")},
		// Ordinary service.
		{says: says("您好，上海12333，工号1086，请问有什么可以帮您？")},
		{says: says("好的，我帮您在系统里查一下，请稍等。")},
		{says: says("好的，没问题，我帮您登记催办。")},
		{says: says("感谢您的来电，再见。")},

		// The agent does not know.
		{says: says("我不知道。"), hit: true},
		{says: says("这个我也不知道。"), hit: true},
		{says: says("不知道啊。"), hit: true},
		{says: says("反正我不知道。"), hit: true},
		{says: says("这个我真不知道，你问别人吧。"), hit: true},
		{says: says("具体要带什么我不知道，你到区里去问吧。"), hit: true},
		{says: says("这个我们不知道，你去问社保中心。"), hit: true},
		{says: says("不知道，你问别人吧。"), hit: true},
		{says: says("我不知道您说的是哪个。"), hit: true},
		{says: says("如果您不知道，我也不知道。"), hit: true},
		{says: says("你要是再问我也不知道。"), hit: true},
		{says: says("如果您要查询的话", "我也不知道"), hit: true}, // another utterance is another clause
		// Nothing can be done.
		{says: says("真没办法。"), hit: true},
		{says: says("没办法给你办。"), hit: true},
		{says: says("这个没办法，政策就是这样。"), hit: true},
		{says: says("我们也没办法。"), hit: true},
		{says: says("没办法就是没办法。"), hit: true},
		{says: says("没办法，系统就是这么规定的。"), hit: true},
		{says: says("不是，没办法。"), hit: true, punctuated: true},
		// Sends the caller away.
		{says: says("你自己去查。"), hit: true},
		{says: says("你自己去查吧，网上都有。"), hit: true},
		{says: says("找别人去。"), hit: true},
		{says: says("你找别人去吧，我这边还有电话。"), hit: true},
		{says: says("不归我们管。"), hit: true},
		{says: says("这事不归我们管，你找街道去。"), hit: true},
		{says: says("这个不是我们这边的业务，不归我们管。"), hit: true},
		{says: says("我说过了，你听不懂吗？"), hit: true},
	})
	// The customer's words are not the agent's taboo.
	checkSentences(t, "taboo", models.SpeakerCustomer, []sentence{
		{says: says("我不知道啊，单位没跟我说。")},
		{says: says("那我也没办法了。")},
	})
}

// TestBuiltInComplaintRisk: 12345 the hotline is a complaint risk, the same
// digits inside a phone, ID card or bank card number or an amount are not.
func TestBuiltInComplaintRisk(t *testing.T) {
	t.Parallel()
	checkSentences(t, "complaint_risk", models.SpeakerCustomer, []sentence{
		{says: says("再不解决我就要投诉，还要打12345。"), hit: true},
		{says: says("我要打一二三四五投诉你们。"), hit: true},
		{says: says("我打了幺二三四五也没用。"), hit: true},
		// Without the 、 the two numbers run together: one number, no hit.
		{says: says("我打了12345、12333，都没人管。"), hit: true, punctuated: true},
		{says: says("全国统一12345热线我也打过。"), hit: true},
		{says: says("我要找记者曝光你们！"), hit: true},
		{says: says("我已经打过市长热线了。"), hit: true},

		{says: says("我的手机号是13912345670。")},
		{says: says("我手机是幺三九幺二三四五六七零。")},
		{says: says("电话是幺三八 幺二三四 五六七八。")},
		{says: says("我的身份证号是110101199012345678。")},
		{says: says("身份证一一零一零一一九九零一二三四五六七八。")},
		{says: says("银行卡号6222 0212 3456 7890 123。")},
		{says: says("一共补缴了12345.67元。")},
		{says: says("单位欠了我112,345元工资。")},
		{says: says("我想问一下养老金什么时候发。")},
		{says: says("社保卡号是123456789。")},
	})
}
