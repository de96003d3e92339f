package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Transcript is what was said in a call, as utterances with times in seconds
// from the start of the recording. It is the schema of the
// <name>.transcript.json sidecar.
type Transcript struct {
	Utterances []Utterance `json:"utterances"`
	// Dropped lists the segments a speech-recognition service returned
	// that callqa did not believe (text invented on silence, a repeating
	// loop), so that they are counted and can be checked, but never read by
	// the rules. Only transcripts made by callqa's ASR adapter have it.
	Dropped []DroppedSegment `json:"dropped,omitempty"`
	// Sidecar is true when the transcript is kept beside the recording (read
	// from its sidecars, or written there by the ASR adapter): a results
	// store may then leave it out of a stored result and read it again
	// (pipeline.Restore). It is not part of the JSON.
	Sidecar bool `json:"-"`
}

// Utterance is one stretch of speech by one speaker.
type Utterance struct {
	Speaker string  `json:"speaker"` // SpeakerAgent or SpeakerCustomer
	Start   float64 `json:"start"`   // seconds
	End     float64 `json:"end"`     // seconds
	Text    string  `json:"text"`
}

// Why a speech-recognition segment was dropped (DroppedSegment.Reason).
const (
	// DropNoSpeech: the recogniser itself thought the stretch held no
	// speech (its no_speech_prob high and its avg_logprob low).
	DropNoSpeech = "no_speech"
	// DropRepetitive: the text repeats itself (a compression ratio above
	// the threshold), the loop Whisper-family models fall into.
	DropRepetitive = "repetitive"
	// DropOutsideSpeech: the segment lies outside the speech detected on
	// the speaker's channel: text invented on silence, or the other side's
	// voice leaking into the channel.
	DropOutsideSpeech = "outside_speech"
)

// DroppedSegment is a speech-recognition segment left out of a transcript.
type DroppedSegment struct {
	Speaker string  `json:"speaker"` // SpeakerAgent or SpeakerCustomer
	Start   float64 `json:"start"`   // seconds
	End     float64 `json:"end"`     // seconds
	Text    string  `json:"text"`
	Reason  string  `json:"reason"` // DropNoSpeech, DropRepetitive or DropOutsideSpeech
}

// TranscriptSHA256 is the hex SHA-256 of t's JSON: what a stored result
// keeps of a transcript kept beside its recording (Omitted).
func TranscriptSHA256(t *Transcript) (string, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("transcript digest: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
