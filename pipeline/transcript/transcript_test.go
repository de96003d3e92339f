package transcript

import (
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/callqa/callqa/models"
)

// dirSource is a recording source over a local directory, laid out like the
// production folder source: sidecars sit next to the recording with the
// recording's extension replaced by the suffix.
type dirSource struct{ root string }

func (d dirSource) Open(_ context.Context, key string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(d.root, filepath.FromSlash(key)))
}

func (d dirSource) OpenSidecar(_ context.Context, key, suffix string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(d.root, filepath.FromSlash(strings.TrimSuffix(key, path.Ext(key))+suffix)))
}

var _ Source = dirSource{}

func TestSidecarTranscribe(t *testing.T) {
	t.Parallel()
	src := dirSource{root: "testdata/calls"}
	tests := []struct {
		key     string
		want    []models.Utterance // nil with wantNil: no transcript
		wantNil bool
		wantErr string
	}{
		{
			key: "C1.wav",
			want: []models.Utterance{
				{Speaker: "agent", Start: 1.0, End: 8.12, Text: "您好，上海12333，工号1086，很高兴为您服务。"},
				{Speaker: "customer", Start: 9.4, End: 14.2, Text: "你好，我想问一下社保卡怎么补办？"},
				{Speaker: "agent", Start: 14.8, End: 22.5, Text: "您带上身份证到就近的社区事务受理服务中心办理就可以。"},
				{Speaker: "customer", Start: 23.0, End: 24.1, Text: "好的，谢谢。"},
				{Speaker: "agent", Start: 24.5, End: 27.9, Text: "感谢您的来电，再见。"},
			},
		},
		{
			// Both verbose files, merged and sorted; the blank segment is dropped
			// and text is trimmed. The speaker comes from the file.
			key: "C2.wav",
			want: []models.Utterance{
				{Speaker: "customer", Start: 0.8, End: 1.5, Text: "喂"}, // same start: shorter first
				{Speaker: "agent", Start: 0.8, End: 6.4, Text: "您好,上海幺二三三三,公号1086。"},
				{Speaker: "customer", Start: 7.0, End: 9.0, Text: "我的身份正丢了"},
				{Speaker: "agent", Start: 25.0, End: 28.0, Text: "感谢您的来电。"},
			},
		},
		{
			// Only the customer's channel was transcribed.
			key: "C3.wav",
			want: []models.Utterance{
				{Speaker: "customer", Start: 0.8, End: 1.5, Text: "喂"},
				{Speaker: "customer", Start: 7.0, End: 9.0, Text: "我的身份正丢了"},
			},
		},
		{key: "C4.wav", wantNil: true},
		{
			// The transcript sidecar wins over verbose files, even when empty.
			key:  "C5.wav",
			want: []models.Utterance{},
		},
		{key: "C6.wav", wantErr: "transcript C6.transcript.json: utterances[0]: end 0.5 must be >= start 1"},
		{key: "sub/C1.wav", wantNil: true},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			got, err := Sidecar{}.Transcribe(context.Background(), src, tc.key, Call{})
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantNil {
				if got != nil {
					t.Fatalf("got %+v, want nil transcript", got)
				}
				return
			}
			if got == nil {
				t.Fatal("got nil transcript")
			}
			if !reflect.DeepEqual(got.Utterances, tc.want) {
				t.Errorf("utterances =\n%+v\nwant\n%+v", got.Utterances, tc.want)
			}
		})
	}
}

func TestSidecarCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Sidecar{}.Transcribe(ctx, dirSource{root: "testdata/calls"}, "C1.wav", Call{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// brokenSource fails to open sidecars for a reason other than absence.
type brokenSource struct{ dirSource }

func (brokenSource) OpenSidecar(context.Context, string, string) (io.ReadCloser, error) {
	return nil, os.ErrPermission
}

func TestSidecarOpenError(t *testing.T) {
	t.Parallel()
	_, err := Sidecar{}.Transcribe(context.Background(), brokenSource{}, "C1.wav", Call{})
	if !errors.Is(err, os.ErrPermission) {
		t.Fatalf("err = %v, want permission error", err)
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    string
		in      string
		want    []models.Utterance
		wantErr string
	}{
		{
			name: "sidecar sorted",
			file: "a.transcript.json",
			in:   `{"utterances":[{"speaker":"customer","start":2,"end":3,"text":"b"},{"speaker":"agent","start":0,"end":0,"text":"a"}]}`,
			want: []models.Utterance{{Speaker: "agent", Text: "a"}, {Speaker: "customer", Start: 2, End: 3, Text: "b"}},
		},
		{
			name: "empty utterances",
			file: "a.transcript.json",
			in:   `{"utterances":[]}`,
			want: []models.Utterance{},
		},
		{
			name: "verbose by name",
			file: "x/C9.customer.verbose.json",
			in:   `{"task":"transcribe","language":"chinese","duration":3,"text":"我要投诉","segments":[{"id":0,"start":0.5,"end":2.5,"text":" 我要投诉 "}]}`,
			want: []models.Utterance{{Speaker: "customer", Start: 0.5, End: 2.5, Text: "我要投诉"}},
		},
		{
			name:    "verbose without speaker in name",
			file:    "x.json",
			in:      `{"segments":[]}`,
			wantErr: "transcript x.json: verbose_json segments, but the name ends in neither .agent.verbose.json nor .customer.verbose.json, so the speaker is unknown",
		},
		{name: "bad speaker", file: "a.json", in: `{"utterances":[{"speaker":"agent","start":0,"end":1},{"speaker":"boss","start":0,"end":1}]}`,
			wantErr: `transcript a.json: utterances[1]: speaker "boss" must be agent or customer`},
		{name: "missing speaker", file: "a.json", in: `{"utterances":[{"start":0,"end":1}]}`,
			wantErr: `transcript a.json: utterances[0]: speaker "" must be agent or customer`},
		{name: "negative start", file: "a.json", in: `{"utterances":[{"speaker":"agent","start":-0.1,"end":1}]}`,
			wantErr: "transcript a.json: utterances[0]: start -0.1 must be >= 0"},
		{name: "end before start", file: "a.json", in: `{"utterances":[{"speaker":"agent","start":2,"end":1}]}`,
			wantErr: "transcript a.json: utterances[0]: end 1 must be >= start 2"},
		{name: "missing start", file: "a.json", in: `{"utterances":[{"speaker":"agent","end":1}]}`,
			wantErr: "transcript a.json: utterances[0]: start is missing"},
		{name: "missing end", file: "a.json", in: `{"utterances":[{"speaker":"agent","start":1}]}`,
			wantErr: "transcript a.json: utterances[0]: end is missing"},
		{name: "segment end before start", file: "a.agent.verbose.json", in: `{"segments":[{"start":0,"end":1,"text":"a"},{"start":5,"end":4,"text":"b"}]}`,
			wantErr: "transcript a.agent.verbose.json: segments[1]: end 4 must be >= start 5"},
		{name: "number out of range", file: "a.json", in: `{"utterances":[{"speaker":"agent","start":1e999,"end":1}]}`,
			wantErr: "transcript a.json: json: cannot unmarshal number 1e999 into Go struct field rawUtterance.utterances.start of type float64"},
		{name: "both schemas", file: "a.json", in: `{"utterances":[],"segments":[]}`,
			wantErr: "transcript a.json: has both utterances and segments"},
		{name: "neither schema", file: "a.json", in: `{"text":"hi"}`,
			wantErr: "transcript a.json: neither utterances nor segments found"},
		{name: "null utterances", file: "a.json", in: `{"utterances":null}`,
			wantErr: "transcript a.json: neither utterances nor segments found"},
		{name: "not json", file: "a.json", in: `utterances`,
			wantErr: "transcript a.json: invalid character 'u' looking for beginning of value"},
		{name: "trailing data", file: "a.json", in: `{"utterances":[]} {}`,
			wantErr: "transcript a.json: invalid character '{' after top-level value"},
		{name: "dropped bad speaker", file: "a.json", in: `{"utterances":[],"dropped":[{"speaker":"x","start":0,"end":1,"reason":"no_speech"}]}`,
			wantErr: `transcript a.json: dropped[0]: speaker "x" must be agent or customer`},
		{name: "dropped bad times", file: "a.json", in: `{"utterances":[],"dropped":[{"speaker":"agent","start":3,"end":1}]}`,
			wantErr: "transcript a.json: dropped[0]: end 1 must be >= start 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.file, strings.NewReader(tc.in))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v\nwant %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Utterances, tc.want) {
				t.Errorf("utterances = %+v, want %+v", got.Utterances, tc.want)
			}
		})
	}
}

// TestParseDropped: the segments callqa's ASR adapter dropped are kept
// with the transcript it wrote, so that a re-inspection reading the
// sidecar counts them again.
func TestParseDropped(t *testing.T) {
	t.Parallel()
	got, err := Parse("a.transcript.json", strings.NewReader(`{"utterances":[{"speaker":"agent","start":1,"end":2,"text":"您好"}],
		"dropped":[{"speaker":"customer","start":20,"end":22,"text":"谢谢观看","reason":"outside_speech"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []models.DroppedSegment{{Speaker: "customer", Start: 20, End: 22, Text: "谢谢观看", Reason: models.DropOutsideSpeech}}
	if !reflect.DeepEqual(got.Dropped, want) {
		t.Errorf("dropped = %+v, want %+v", got.Dropped, want)
	}
	got, err = Parse("a.transcript.json", strings.NewReader(`{"utterances":[],"dropped":[]}`))
	if err != nil || got.Dropped != nil {
		t.Errorf("empty dropped = %#v, %v; want nil (omitted when written)", got, err)
	}
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	// A valid prefix followed by padding: the size bound trips before JSON
	// decoding is attempted.
	r := io.MultiReader(strings.NewReader(`{"utterances":[`), strings.NewReader(strings.Repeat(" ", MaxBytes)), strings.NewReader(`]}`))
	_, err := Parse("big.json", r)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	// Exactly MaxBytes is accepted.
	body := `{"utterances":[]}`
	r = io.MultiReader(strings.NewReader(body), strings.NewReader(strings.Repeat(" ", MaxBytes-len(body))))
	if _, err := Parse("max.json", r); err != nil {
		t.Fatalf("MaxBytes file: %v", err)
	}
}

func TestParseVerbose(t *testing.T) {
	t.Parallel()
	f, err := os.Open("testdata/calls/C2.agent.verbose.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// The speaker argument wins over the file name.
	got, err := ParseVerbose("C2.agent.verbose.json", f, models.SpeakerCustomer)
	if err != nil {
		t.Fatal(err)
	}
	want := []models.Utterance{
		{Speaker: "customer", Start: 0.8, End: 6.4, Text: "您好,上海幺二三三三,公号1086。"},
		{Speaker: "customer", Start: 25, End: 28, Text: "感谢您的来电。"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}

	for _, tc := range []struct{ in, speaker, wantErr string }{
		{`{"segments":[]}`, "mixed", `transcript v.json: speaker "mixed" must be agent or customer`},
		{`{"utterances":[]}`, "agent", "transcript v.json: not verbose_json: no segments"},
		{`[]`, "agent", "transcript v.json: json: cannot unmarshal array into Go value of type transcript.rawVerbose"},
	} {
		_, err := ParseVerbose("v.json", strings.NewReader(tc.in), tc.speaker)
		if err == nil || err.Error() != tc.wantErr {
			t.Errorf("ParseVerbose(%s, %s) err = %v, want %q", tc.in, tc.speaker, err, tc.wantErr)
		}
	}
}

// TestBadInput separates a bad transcript (the call's own fault, never
// retried) from a fault reading it (transient).
func TestBadInput(t *testing.T) {
	_, badJSON := Parse("x.transcript.json", strings.NewReader("{"))
	_, badSpeaker := Parse("x.transcript.json", strings.NewReader(`{"utterances":[{"speaker":"robot","start":0,"end":1,"text":"x"}]}`))
	_, readFault := Parse("x.transcript.json", iotest.ErrReader(io.ErrUnexpectedEOF))
	_, verboseFault := ParseVerbose("x.agent.verbose.json", iotest.ErrReader(io.ErrUnexpectedEOF), models.SpeakerAgent)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"bad json", badJSON, true},
		{"bad speaker", badSpeaker, true},
		{"read fault", readFault, false},
		{"verbose read fault", verboseFault, false},
		{"too large", ErrTooLarge, true},
	} {
		if tc.err == nil || errors.Is(tc.err, models.ErrBadInput) != tc.want {
			t.Errorf("%s: errors.Is(%v, models.ErrBadInput) = %v, want %v", tc.name, tc.err, !tc.want, tc.want)
		}
	}
	if !errors.Is(readFault, io.ErrUnexpectedEOF) {
		t.Errorf("read fault %v does not wrap io.ErrUnexpectedEOF", readFault)
	}
}
