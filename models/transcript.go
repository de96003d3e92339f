package models

// Transcript is what was said in a call, as utterances with times in seconds
// from the start of the recording. It is the schema of the
// <name>.transcript.json sidecar.
type Transcript struct {
	Utterances []Utterance `json:"utterances"`
}

// Utterance is one stretch of speech by one speaker.
type Utterance struct {
	Speaker string  `json:"speaker"` // SpeakerAgent or SpeakerCustomer
	Start   float64 `json:"start"`   // seconds
	End     float64 `json:"end"`     // seconds
	Text    string  `json:"text"`
}
