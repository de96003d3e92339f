package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/callqa/callqa/models"
)

// FuzzParseScorecard checks that ParseScorecard never panics, and that a
// scorecard it accepts still validates after a marshal round trip and
// marshals to the same YAML again (a fixed point), and compiles.
func FuzzParseScorecard(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, defaultScorecard)
	for _, name := range seeds {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScorecard("fuzz.yaml", data)
		if err != nil {
			return
		}
		if _, err := NewChecker(sc); err != nil {
			t.Fatalf("valid scorecard does not compile: %v", err)
		}
		out, err := yaml.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseScorecard("roundtrip.yaml", out)
		if err != nil {
			t.Fatalf("round trip rejected: %v\n%s", err, out)
		}
		out2, err := yaml.Marshal(again)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed the scorecard:\n%s\n---\n%s", out, out2)
		}
	})
}

// FuzzCheck runs the built-in scorecard (and a fuzzy, accent, substring
// variant) on arbitrary utterances: Check never panics, and every match's
// offsets lie in its utterance, quote its evidence, and agree with
// NormSpan (which the engine uses to re-base them after masking).
func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		"假如您不知道自己的参保编号，可以先登录网上经办大厅。",
		"并不是没办法，我们可以先受理", "我手机号13912345670，打过一二三四五",
		"公号1086，您好\xff！", "不知道不知道，，没办法。。", "1,2.3-4 5：6",
	} {
		f.Add(s, "我要投诉，打12345")
	}
	sc, err := LoadScorecard(defaultScorecard)
	if err != nil {
		f.Fatal(err)
	}
	strict, err := NewChecker(sc)
	if err != nil {
		f.Fatal(err)
	}
	loose := *sc
	loose.Accent, loose.NumberMatch = true, "substring"
	loose.Rules = append([]models.Rule(nil), sc.Rules...)
	for i := range loose.Rules {
		if loose.Rules[i].Type == models.RuleKeyword {
			loose.Rules[i].Fuzzy = FuzzyPinyin
		}
	}
	fuzzy, err := NewChecker(&loose)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, agent, customer string) {
		if len(agent)+len(customer) > 2000 {
			return
		}
		call := Call{DurationS: 30, Transcript: &models.Transcript{Utterances: []models.Utterance{
			{Speaker: models.SpeakerAgent, Start: 1, End: 9, Text: agent},
			{Speaker: models.SpeakerCustomer, Start: 10, End: 20, Text: customer},
			{Speaker: models.SpeakerAgent, Start: 21, End: 29, Text: customer + agent},
		}}}
		for _, c := range []*Checker{strict, fuzzy} {
			fs, _ := c.Check(call)
			for _, fd := range fs {
				if fd.Utterance == nil {
					continue
				}
				text := call.Transcript.Utterances[*fd.Utterance].Text
				n := len(strings.Split(text, ""))
				for _, m := range fd.Matches {
					if m.Start < 0 || m.End > n || m.Start >= m.End {
						t.Fatalf("%s: match %+v outside %q", fd.Rule, m, text)
					}
					if ns, ne := NormSpan(text, m.Start, m.End); ns != m.NormStart || ne != m.NormEnd {
						t.Fatalf("%s: match %+v in %q: NormSpan gives %d-%d", fd.Rule, m, text, ns, ne)
					}
				}
				if got := Evidence(text, fd.Matches); got != fd.Evidence {
					t.Fatalf("%s: evidence %q, Evidence gives %q", fd.Rule, fd.Evidence, got)
				}
			}
		}
	})
}
