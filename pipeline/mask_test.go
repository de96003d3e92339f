package pipeline

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/callqa/callqa/models"
	"github.com/callqa/callqa/pipeline/pii"
	"github.com/callqa/callqa/pipeline/rules"
	"github.com/callqa/callqa/scorecards"
	"github.com/callqa/callqa/source"
)

// TestInspectMasksPersonalData inspects a call whose customer reads out a
// phone number, an ID card number, an e-mail address and a bank card
// number, which the agent repeats: the rules see the numbers, the result
// carries none of them, and the findings that quote the transcript point at
// the masked text.
func TestInspectMasksPersonalData(t *testing.T) {
	call, err := io.ReadAll(newSynthCall(20))
	if err != nil {
		t.Fatal(err)
	}
	tr := `{"utterances": [
	  {"speaker": "agent", "start": 0.1, "end": 3.9, "text": "您好，上海12333，工号1086，请问有什么可以帮您？"},
	  {"speaker": "customer", "start": 5.1, "end": 8.9, "text": "我手机号是幺三九幺二三四五六七零，身份证310115198003074515。"},
	  {"speaker": "agent", "start": 10.1, "end": 13.9, "text": "好的，手机号139-1234-5670，身份证三一零一一五一九八零零三零七四五一五，我记下了，感谢您的来电，再见。"},
	  {"speaker": "customer", "start": 15.1, "end": 18.9, "text": "邮箱zhang.san@qq.com，卡号6222 0212 3456 7890 128，不然我打12345投诉。"}
	]}`
	dir := t.TempDir()
	for name, data := range map[string][]byte{"c.wav": call, "c.transcript.json": []byte(tr)} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	src, err := source.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scorecards.Default()
	if err != nil {
		t.Fatal(err)
	}
	// A rule that quotes the phone number itself, and one that quotes the
	// words next to it.
	sc.Rules = append(sc.Rules,
		models.Rule{ID: "phone_said", Name: "说出手机号", Type: models.RuleRegex, Pattern: `1[3-9]\d{9}`, Review: true},
		models.Rule{ID: "id_said", Name: "说出身份证", Type: models.RuleKeyword, Any: []string{"身份证"}, Expect: rules.ExpectAbsent})
	eng, err := NewEngine(sc, Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.InspectKey(context.Background(), src, "c.wav")
	if err != nil || res.Status != models.StatusInspected {
		t.Fatalf("inspect: %v %+v", err, res)
	}
	data, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	js := string(data)
	for _, raw := range []string{"13912345670", "幺三九幺二三四五六七零", "139-1234-5670", "12345670", "310115198003074515",
		"三一零一一五一九八零零三零七四五一五", "3074515", "zhang.san", "qq.com", "6222 0212", "7890 128"} {
		if strings.Contains(js, raw) {
			t.Errorf("the result holds %q:\n%s", raw, js)
		}
	}
	for _, label := range []string{"[手机号]", "[身份证号]", "[邮箱]", "[银行卡号]"} {
		if !strings.Contains(js, label) {
			t.Errorf("the result lacks %s", label)
		}
	}

	byRule := map[string][]models.Finding{}
	for _, f := range res.Findings {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	// The rules ran on the numbers: the phone was seen twice, and the
	// pattern also matched 11 digits inside the ID card number (regex rules
	// are not held to whole numbers); each quote is the label.
	if fs := byRule["phone_said"]; len(fs) != 2 || fs[0].Evidence != "[手机号] / [身份证号]" || fs[1].Evidence != "[手机号] / [身份证号]" {
		t.Errorf("phone_said findings: %+v", fs)
	}
	if fs := byRule["complaint_risk"]; len(fs) != 1 || fs[0].Evidence != "12345 / 投诉" {
		t.Errorf("complaint_risk findings: %+v", fs)
	}
	// Every structured match points at its quote in the masked text, in
	// both offsets.
	for _, f := range res.Findings {
		if f.Utterance == nil {
			continue
		}
		text := res.Transcript.Utterances[*f.Utterance].Text
		norm := []rune(rules.Normalize(text))
		for _, m := range f.Matches {
			quote := string([]rune(text)[m.Start:m.End])
			if !strings.Contains(f.Evidence, quote) {
				t.Errorf("%s: match %+v quotes %q, evidence %q", f.Rule, m, quote, f.Evidence)
			}
			if string(norm[m.NormStart:m.NormEnd]) != rules.Normalize(quote) {
				t.Errorf("%s: match %+v: normalised %q, want %q", f.Rule, m, string(norm[m.NormStart:m.NormEnd]), rules.Normalize(quote))
			}
		}
	}
	if got := res.Transcript.Utterances[1].Text; got != "我手机号是[手机号]，身份证[身份证号]。" {
		t.Errorf("utterance 1: %q", got)
	}
}

// TestMaskResultStored masks a result stored before findings had
// structured evidence (the storage migration's case), and masking twice
// changes nothing.
func TestMaskResultStored(t *testing.T) {
	old := &models.Result{
		Transcript: &models.Transcript{Utterances: []models.Utterance{
			{Speaker: "customer", Start: 1, End: 5, Text: "我手机号13912345670，打过12345"},
			{Speaker: "agent", Start: 6, End: 9, Text: "好的，139 1234 5670，我不知道"},
		}},
		Findings: []models.Finding{
			{Rule: "complaint_risk", Start: 1, End: 5, Speaker: "customer", Evidence: "12345"},
			{Rule: "phone_said", Start: 1, End: 5, Speaker: "customer", Evidence: "13912345670"},
			{Rule: "phone_said", Start: 6, End: 9, Speaker: "agent", Evidence: "139 1234 5670 / 不知道"},
			{Rule: "dead_air", Start: 20, End: 31, Evidence: "11.0 s"},
		},
	}
	pii.MaskResult(old)
	want := []string{"12345", "[手机号]", "[手机号] / 不知道", "11.0 s"}
	for i, f := range old.Findings {
		if f.Evidence != want[i] {
			t.Errorf("finding %d: evidence %q, want %q", i, f.Evidence, want[i])
		}
	}
	if got := old.Transcript.Utterances[1].Text; got != "好的，[手机号]，我不知道" {
		t.Errorf("utterance 1: %q", got)
	}

	// A new result, masked again: nothing moves.
	eng := defaultEngine(t)
	src, err := source.NewLocal(samplesRoot)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.InspectKey(context.Background(), src, "2026/11/25/C20261125-0003.wav")
	if err != nil {
		t.Fatal(err)
	}
	once, _ := json.Marshal(res)
	pii.MaskResult(res)
	twice, _ := json.Marshal(res)
	if string(once) != string(twice) {
		t.Errorf("masking twice changed the result:\n%s\n%s", once, twice)
	}
	pii.MaskResult(nil)
	pii.MaskResult(&models.Result{})
}
