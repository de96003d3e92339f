package models

import "time"

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
type CallMeta struct {
	CallID    string      `json:"call_id,omitempty"`
	AgentID   string      `json:"agent_id,omitempty"`
	AgentName string      `json:"agent_name,omitempty"`
	Team      string      `json:"team,omitempty"`
	Queue     string      `json:"queue,omitempty"`
	StartedAt *time.Time  `json:"started_at,omitempty"`
	Direction string      `json:"direction,omitempty"`
	Channels  *ChannelMap `json:"channels,omitempty"`
}

// ChannelsOrDefault returns the metadata's channel map or DefaultChannels.
func (m *CallMeta) ChannelsOrDefault() ChannelMap {
	if m == nil || m.Channels == nil {
		return DefaultChannels
	}
	return *m.Channels
}
