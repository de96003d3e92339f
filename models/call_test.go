package models

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseSatisfaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, want string
		err       bool
	}{
		{``, "", false},
		{`null`, "", false},
		{`""`, "", false},
		{`"  "`, "", false},
		{`"satisfied"`, SatisfactionSatisfied, false},
		{`"Satisfied "`, SatisfactionSatisfied, false},
		{`"BASIC"`, SatisfactionBasic, false},
		{`"dissatisfied"`, SatisfactionDissatisfied, false},
		{`"满意"`, SatisfactionSatisfied, false},
		{`"非常满意"`, SatisfactionSatisfied, false},
		{`"基本满意"`, SatisfactionBasic, false},
		{`"不满意"`, SatisfactionDissatisfied, false},
		{`"很不满意"`, SatisfactionDissatisfied, false},
		{`"非常不满意"`, SatisfactionDissatisfied, false},
		{`"1"`, SatisfactionSatisfied, false},
		{`"2"`, SatisfactionBasic, false},
		{`"3"`, SatisfactionDissatisfied, false},
		{`1`, SatisfactionSatisfied, false},
		{`2`, SatisfactionBasic, false},
		{`3`, SatisfactionDissatisfied, false},
		{`3.0`, SatisfactionDissatisfied, false},
		{`"5"`, "", true},
		{`5`, "", true},
		{`0`, "", true},
		{`-1`, "", true},
		{`1.5`, "", true},
		{`"一般"`, "", true},
		{`"good"`, "", true},
		{`true`, "", true},
		{`["满意"]`, "", true},
		{`{"v": 1}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseSatisfaction(json.RawMessage(tt.raw))
			if got != tt.want || (err != nil) != tt.err {
				t.Errorf("ParseSatisfaction(%s) = %q, %v; want %q, error %v", tt.raw, got, err, tt.want, tt.err)
			}
			if err != nil && !strings.Contains(err.Error(), "满意") {
				t.Errorf("error %q does not say what is accepted", err)
			}
		})
	}
}

func TestDecodeCallMeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		json         string
		answered     bool
		satisfaction string
		warnings     []string // substrings, one per warning
		err          bool
	}{
		{"empty", `{}`, true, "", nil, false},
		{"full", `{"call_id": "C1", "team": "一组", "answered": true, "satisfaction": "满意", "channels": {"agent": 1, "customer": 0}}`,
			true, SatisfactionSatisfied, nil, false},
		{"unanswered", `{"answered": false}`, false, "", nil, false},
		{"answered null", `{"answered": null, "satisfaction": null}`, true, "", nil, false},
		{"key code number", `{"satisfaction": 2}`, true, SatisfactionBasic, nil, false},
		{"key code string", `{"satisfaction": "3"}`, true, SatisfactionDissatisfied, nil, false},
		{"survey typo", `{"satisfaction": "5", "team": "一组"}`, true, "", []string{`satisfaction "5" is not a survey answer`}, false},
		{"answered as text", `{"answered": "no"}`, true, "", []string{`answered "no" is not true or false`}, false},
		{"both wrong", `{"answered": 0, "satisfaction": {}}`, true, "", []string{"answered 0", "satisfaction {}"}, false},
		{"wrong type elsewhere", `{"team": 5, "satisfaction": "满意"}`, true, "", nil, true},
		{"not JSON", `{"team": `, true, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, w, err := DecodeCallMeta([]byte(tt.json))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if m.IsAnswered() != tt.answered || m.Satisfaction != tt.satisfaction {
				t.Errorf("answered %v satisfaction %q, want %v %q", m.IsAnswered(), m.Satisfaction, tt.answered, tt.satisfaction)
			}
			if len(w) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %d", w, len(tt.warnings))
			}
			for i, sub := range tt.warnings {
				if !strings.Contains(w[i], sub) || !strings.Contains(w[i], "ignored") {
					t.Errorf("warning %q, want it to contain %q and say it was ignored", w[i], sub)
				}
			}
		})
	}
	// The other fields are read as before.
	m, _, err := DecodeCallMeta([]byte(`{"call_id": "C1", "agent_id": "1086", "satisfaction": "x", "channels": {"agent": 1, "customer": 0}}`))
	if err != nil || m.CallID != "C1" || m.AgentID != "1086" || m.ChannelsOrDefault() != (ChannelMap{Agent: 1, Customer: 0}) {
		t.Errorf("meta %+v, %v", m, err)
	}
}

// TestCallMetaRoundTrip: a stored result's meta (normalised) reads back
// the same through json.Unmarshal, which uses the same lenient decoding.
func TestCallMetaRoundTrip(t *testing.T) {
	t.Parallel()
	no := false
	in := Result{CallID: "C1", Meta: CallMeta{CallID: "C1", Answered: &no, Satisfaction: SatisfactionBasic}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"answered":false,"satisfaction":"basic"`) {
		t.Errorf("encoded %s", b)
	}
	var out Result
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Meta.IsAnswered() || out.Meta.Satisfaction != SatisfactionBasic {
		t.Errorf("decoded meta %+v", out.Meta)
	}
	// A lenient decode inside a larger document: the typo is dropped,
	// the rest kept.
	if err := json.Unmarshal([]byte(`{"call_id": "C2", "meta": {"team": "二组", "satisfaction": "9"}}`), &out); err != nil {
		t.Fatal(err)
	}
	if out.Meta.Team != "二组" || out.Meta.Satisfaction != "" || !out.Meta.IsAnswered() {
		t.Errorf("decoded meta %+v", out.Meta)
	}
	var nilMeta *CallMeta
	if !nilMeta.IsAnswered() {
		t.Error("nil meta is not answered")
	}
}

// FuzzDecodeCallMeta: any input either fails cleanly or yields a meta
// whose survey fields are canonical, and which encodes and decodes back to
// itself without warnings.
func FuzzDecodeCallMeta(f *testing.F) {
	for _, s := range []string{`{}`, `{"answered": false, "satisfaction": 3}`, `{"satisfaction": "非常满意"}`,
		`{"satisfaction": "5"}`, `{"answered": "no"}`, `{"channels": {"agent": 1, "customer": 0}, "satisfaction": 1.0}`, `null`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		m, _, err := DecodeCallMeta(data)
		if err != nil {
			return
		}
		switch m.Satisfaction {
		case "", SatisfactionSatisfied, SatisfactionBasic, SatisfactionDissatisfied:
		default:
			t.Fatalf("satisfaction %q is not canonical", m.Satisfaction)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		back, w, err := DecodeCallMeta(b)
		if err != nil || len(w) != 0 || back.Satisfaction != m.Satisfaction || back.IsAnswered() != m.IsAnswered() {
			t.Fatalf("round trip of %s: %+v %q %v", b, back, w, err)
		}
	})
}
