package models

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Speaker names used in transcripts, metrics, rules and findings.
const (
	SpeakerAgent    = "agent"
	SpeakerCustomer = "customer"
	// SpeakerMixed is the single channel of a mono recording, where agent
	// and customer cannot be told apart by the audio alone.
	SpeakerMixed = "mixed"
)

// ChannelMap says which channel of a stereo recording carries which speaker.
// The default (DefaultChannels) is agent on channel 0, customer on 1.
type ChannelMap struct {
	Agent    int `json:"agent"`
	Customer int `json:"customer"`
}

// DefaultChannels is the channel layout of the hotline's recorders.
var DefaultChannels = ChannelMap{Agent: 0, Customer: 1}

// CallMeta is the metadata sidecar (<name>.meta.json). Every field is
// optional; CallID defaults to the recording's file name without extension.
//
// Answered and Satisfaction feed the evaluation indicators (calls
// answered, 综合满意率). They are read leniently (see DecodeCallMeta): a
// value that is not one of theirs is ignored with a warning, never an
// error, so that a typo in a survey field cannot hide a call's QA.
type CallMeta struct {
	CallID    string      `json:"call_id,omitempty"`
	AgentID   string      `json:"agent_id,omitempty"`
	AgentName string      `json:"agent_name,omitempty"`
	Team      string      `json:"team,omitempty"`
	Queue     string      `json:"queue,omitempty"`
	StartedAt *time.Time  `json:"started_at,omitempty"`
	Direction string      `json:"direction,omitempty"`
	Channels  *ChannelMap `json:"channels,omitempty"`
	// Answered false marks the recording of an abandoned or unanswered
	// call (a recorder that records the queue or the ringing): it is
	// inspected as any call but not counted among the calls answered.
	// Absent (nil) or true: answered.
	Answered *bool `json:"answered,omitempty"`
	// Satisfaction is the caller's answer to the post-call survey, one of
	// SatisfactionSatisfied, SatisfactionBasic, SatisfactionDissatisfied
	// (normalised from the words and key codes ParseSatisfaction accepts),
	// or "" when the caller was not surveyed or did not answer.
	Satisfaction string `json:"satisfaction,omitempty"`
}

// Survey answers of CallMeta.Satisfaction.
const (
	SatisfactionSatisfied    = "satisfied"    // 满意 (IVR key 1)
	SatisfactionBasic        = "basic"        // 基本满意 (IVR key 2)
	SatisfactionDissatisfied = "dissatisfied" // 不满意 (IVR key 3)
)

// satisfactionWords maps the accepted survey answers, lower-cased, to
// their canonical value: the English names, the Chinese words the IVR and
// agents' systems write, and the IVR key codes (按1满意，按2基本满意，
// 按3不满意, the usual 12333 prompt).
var satisfactionWords = map[string]string{
	"satisfied": SatisfactionSatisfied, "满意": SatisfactionSatisfied, "非常满意": SatisfactionSatisfied, "1": SatisfactionSatisfied,
	"basic": SatisfactionBasic, "基本满意": SatisfactionBasic, "2": SatisfactionBasic,
	"dissatisfied": SatisfactionDissatisfied, "不满意": SatisfactionDissatisfied, "很不满意": SatisfactionDissatisfied,
	"非常不满意": SatisfactionDissatisfied, "3": SatisfactionDissatisfied,
}

// ParseSatisfaction reads a survey answer as the meta sidecar gives it: a
// JSON string ("satisfied", "basic", "dissatisfied" in any case; 满意,
// 非常满意, 基本满意, 不满意, 很不满意, 非常不满意; the key codes "1", "2", "3")
// or a JSON number (1, 2, 3: 1 满意, 2 基本满意, 3 不满意). Absent, null and
// "" are no answer ("", nil). Anything else is an error saying what was
// found and what is accepted.
func ParseSatisfaction(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	var s string
	switch raw[0] {
	case '"':
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("satisfaction %s: %w", raw, err)
		}
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" {
			return "", nil
		}
	default:
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			return "", fmt.Errorf("satisfaction %s is not a survey answer (want satisfied, basic, dissatisfied, 满意, 基本满意, 不满意 or key 1, 2, 3)", raw)
		}
		s = n.String()
		if f, err := n.Float64(); err == nil && f == float64(int(f)) {
			s = fmt.Sprint(int(f)) // 1.0 is key 1
		}
	}
	if v, ok := satisfactionWords[s]; ok {
		return v, nil
	}
	return "", fmt.Errorf("satisfaction %s is not a survey answer (want satisfied, basic, dissatisfied, 满意, 基本满意, 不满意 or key 1, 2, 3)", raw)
}

// IsAnswered reports whether the call was answered: true unless the
// metadata says "answered": false.
func (m *CallMeta) IsAnswered() bool { return m == nil || m.Answered == nil || *m.Answered }

// callMetaFields is CallMeta without its methods, so that decode can
// unmarshal into it without recursing into UnmarshalJSON.
type callMetaFields CallMeta

// decode unmarshals a meta sidecar into m. Answered and Satisfaction are
// read apart: a value of the wrong kind is dropped and described in the
// warnings returned, not an error.
func (m *CallMeta) decode(data []byte) (warnings []string, err error) {
	var aux struct {
		*callMetaFields
		// These shadow the embedded fields of the same names.
		Answered     json.RawMessage `json:"answered"`
		Satisfaction json.RawMessage `json:"satisfaction"`
	}
	aux.callMetaFields = (*callMetaFields)(m)
	if err := json.Unmarshal(data, &aux); err != nil {
		return nil, err
	}
	m.Answered, m.Satisfaction = nil, ""
	switch a := string(bytes.TrimSpace(aux.Answered)); a {
	case "", "null":
	case "true", "false":
		v := a == "true"
		m.Answered = &v
	default:
		warnings = append(warnings, fmt.Sprintf("answered %s is not true or false; ignored (the call counts as answered)", a))
	}
	s, err := ParseSatisfaction(aux.Satisfaction)
	if err != nil {
		warnings = append(warnings, err.Error()+"; ignored (the call counts as not surveyed)")
	}
	m.Satisfaction = s
	return warnings, nil
}

// UnmarshalJSON decodes a meta sidecar (or the meta of a stored result)
// leniently, as DecodeCallMeta does, dropping the warnings.
func (m *CallMeta) UnmarshalJSON(data []byte) error {
	_, err := m.decode(data)
	return err
}

// DecodeCallMeta decodes a meta sidecar. Malformed JSON, or a field of the
// wrong type other than answered and satisfaction, is an error (the call
// is unprocessable: its agent, team or channels cannot be trusted). An
// answered that is not a JSON boolean, or a satisfaction that
// ParseSatisfaction does not accept, is ignored: the call counts as
// answered, or as not surveyed, and a warning says so (the engine keeps it
// in Result.Warnings and logs it).
func DecodeCallMeta(data []byte) (CallMeta, []string, error) {
	var m CallMeta
	w, err := m.decode(data)
	return m, w, err
}

// ChannelsOrDefault returns the metadata's channel map or DefaultChannels.
func (m *CallMeta) ChannelsOrDefault() ChannelMap {
	if m == nil || m.Channels == nil {
		return DefaultChannels
	}
	return *m.Channels
}
