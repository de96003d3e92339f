package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline"
	"github.com/callqa/callqa/source"
)

// TestCallPageEvidence: the call page highlights and explains findings
// from their structured evidence.
func TestCallPageEvidence(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	page := bodyOf(b.login(t, reviewer).get("/calls/" + callTaboo))
	for _, want := range []string{
		"这个<mark>不归我们管</mark>，你去找劳动监察吧。",
		"具体要带什么我<mark>不知道</mark>，你到区里去问吧。",
		"坐席：命中「不归我们管」",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("call page lacks %s", want)
		}
	}
	if strings.Contains(page, `class="err coverage"`) {
		t.Error("a coverage warning on a fully transcribed call")
	}
}

// TestCallPageOneSidedMasked inspects a call whose transcript has the
// customer's words only, with a phone and an ID card number: the page and
// the API warn that the agent is barely transcribed, say why the agent's
// rules were not evaluated, and show neither number.
func TestCallPageOneSidedMasked(t *testing.T) {
	t.Parallel()
	b := setup(t, Config{InsecureCookies: true})
	wav, err := os.ReadFile(filepath.Join(b.src, "2026/11/25", callTaboo+".wav"))
	if err != nil {
		t.Fatal(err)
	}
	tr := `{"utterances": [
	  {"speaker": "customer", "start": 8.8, "end": 14.5, "text": "我们公司拖欠了三个月工资，我手机号幺三九幺二三四五六七零，身份证310115198003074515。"},
	  {"speaker": "customer", "start": 20.0, "end": 24.4, "text": "那劳动监察在哪里？不然我打12345。"}
	]}`
	for name, data := range map[string][]byte{"P1.wav": wav, "P1.transcript.json": []byte(tr)} {
		if err := os.WriteFile(filepath.Join(b.src, "2026/11/25", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := source.NewLocal(b.src)
	if err != nil {
		t.Fatal(err)
	}
	eng, err := pipeline.NewEngine(b.sc, pipeline.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.InspectKey(context.Background(), src, "2026/11/25/P1.wav")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.st.SaveResult(context.Background(), "", res); err != nil {
		t.Fatal(err)
	}
	c := b.login(t, reviewer)
	page := bodyOf(c.get("/calls/P1"))
	api := bodyOf(c.get("/api/calls/P1"))
	for what, body := range map[string]string{"page": page, "API": api} {
		for _, raw := range []string{"13912345670", "幺三九幺二三四五六七零", "310115198003074515", "5670", "4515"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s shows %q", what, raw)
			}
		}
		if !strings.Contains(body, "[手机号]") || !strings.Contains(body, "[身份证号]") {
			t.Errorf("%s lacks the masked numbers", what)
		}
	}
	for _, want := range []string{
		`class="err coverage">转写文本只覆盖了坐席 0% 的语音`,
		"开场问候</span>（转写文本里没有坐席的话）",
		"服务禁语</span>（转写文本里没有坐席的话）",
		"不然我打<mark>12345</mark>。", // the complaint risk, at its masked-text offsets
	} {
		if !strings.Contains(page, want) {
			t.Errorf("call page lacks %s", want)
		}
	}
	var body struct{ Result models.Result }
	c.getJSON("/api/calls/P1", &body)
	if cov := body.Result.TranscriptCoverage; cov["agent"] != 0 || cov["customer"] < 0.5 {
		t.Errorf("API result coverage: %v", cov)
	}
}
