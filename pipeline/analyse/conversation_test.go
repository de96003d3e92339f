package analyse

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/callqa/callqa/models"
)

type sp = models.Span

func TestConversation(t *testing.T) {
	t.Parallel()
	const ag, cu = models.SpeakerAgent, models.SpeakerCustomer
	cases := []struct {
		name      string
		cfg       Config
		agent     []models.Span
		customer  []models.Span
		silences  []models.Span
		overtalks []models.Overtalk
	}{
		{name: "no speech at all", silences: []sp{}, overtalks: []models.Overtalk{}},
		{name: "one-sided call",
			agent:    []sp{{0.5, 3}, {5, 6}, {6.5, 8}},
			silences: []sp{{3, 5}}, overtalks: []models.Overtalk{}},
		{name: "customer only",
			customer: []sp{{1, 2}, {4, 5}},
			silences: []sp{{2, 4}}, overtalks: []models.Overtalk{}},
		{name: "turns with a silence",
			agent: []sp{{0, 3}}, customer: []sp{{4.5, 6}},
			silences: []sp{{3, 4.5}}, overtalks: []models.Overtalk{}},
		{name: "leading and trailing quiet is not silence",
			agent: []sp{{10, 12}}, customer: []sp{{12.5, 20}},
			silences: []sp{}, overtalks: []models.Overtalk{}},
		{name: "silence exactly MinSilence counts",
			agent: []sp{{0, 1.3}}, customer: []sp{{2.3, 3}},
			silences: []sp{{1.3, 2.3}}, overtalks: []models.Overtalk{}},
		{name: "silence just under MinSilence does not",
			agent: []sp{{0, 1.3}}, customer: []sp{{2.29, 3}},
			silences: []sp{}, overtalks: []models.Overtalk{}},
		{name: "customer interrupts agent",
			agent: []sp{{0, 5}}, customer: []sp{{4, 7}},
			silences:  []sp{},
			overtalks: []models.Overtalk{{Start: 4, End: 5, By: cu}}},
		{name: "agent interrupts customer",
			agent: []sp{{3, 8}}, customer: []sp{{1, 3.5}},
			silences:  []sp{},
			overtalks: []models.Overtalk{{Start: 3, End: 3.5, By: ag}}},
		{name: "overlap at the very start, simultaneous: not the agent's fault",
			agent: []sp{{0, 2}}, customer: []sp{{0, 1}},
			silences:  []sp{},
			overtalks: []models.Overtalk{{Start: 0, End: 1, By: cu}}},
		{name: "nested: customer backchannel inside agent turn",
			agent: []sp{{0, 10}}, customer: []sp{{2, 2.2}, {4, 5}},
			silences:  []sp{},
			overtalks: []models.Overtalk{{Start: 4, End: 5, By: cu}}},
		{name: "overtalk exactly MinOvertalk counts",
			agent: []sp{{0, 2.3}}, customer: []sp{{2, 4}},
			silences:  []sp{},
			overtalks: []models.Overtalk{{Start: 2, End: 2.3, By: cu}}},
		{name: "touching segments are continuous, no overtalk",
			agent: []sp{{0, 2}, {2, 4}}, customer: []sp{{4, 6}},
			silences: []sp{}, overtalks: []models.Overtalk{}},
		{name: "unsorted overlapping input is normalized",
			agent: []sp{{5, 9}, {0, 2}, {1, 3}}, customer: []sp{{8, 12}},
			silences:  []sp{{3, 5}},
			overtalks: []models.Overtalk{{Start: 8, End: 9, By: cu}}},
		{name: "one customer turn overlapping two agent segments",
			agent: []sp{{0, 3}, {5, 8}}, customer: []sp{{2, 6}},
			silences: []sp{},
			overtalks: []models.Overtalk{
				{Start: 2, End: 3, By: cu},
				{Start: 5, End: 6, By: ag}}},
		{name: "empty and reversed spans are ignored",
			agent: []sp{{3, 3}, {5, 4}, {0, 1}}, customer: []sp{{2.5, 4}},
			silences: []sp{{1, 2.5}}, overtalks: []models.Overtalk{}},
		{name: "custom thresholds",
			cfg:   Config{MinSilence: 0.5, MinOvertalk: 1},
			agent: []sp{{0, 2}, {6, 9}}, customer: []sp{{1.5, 3}, {3.6, 5}, {7, 8.5}},
			silences:  []sp{{3, 3.6}, {5, 6}},
			overtalks: []models.Overtalk{{Start: 7, End: 8.5, By: cu}}},
		{name: "times rounded to 0.01 s",
			agent: []sp{{0.001, 1.004}}, customer: []sp{{0.5049, 3.2}},
			silences:  []sp{},
			overtalks: []models.Overtalk{{Start: 0.5, End: 1, By: cu}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sil, ot := Conversation(c.cfg, c.agent, c.customer)
			if !reflect.DeepEqual(sil, c.silences) {
				t.Errorf("silences %v, want %v", sil, c.silences)
			}
			if !reflect.DeepEqual(ot, c.overtalks) {
				t.Errorf("overtalks %+v, want %+v", ot, c.overtalks)
			}
		})
	}
}

func TestSilences(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  Config
		segs []models.Span
		want []models.Span
	}{
		{"none", Config{}, nil, []sp{}},
		{"single segment", Config{}, []sp{{1, 5}}, []sp{}},
		{"one gap", Config{}, []sp{{0, 1}, {2.5, 3}}, []sp{{1, 2.5}}},
		{"exactly MinSilence", Config{}, []sp{{0, 0.7}, {1.7, 3}}, []sp{{0.7, 1.7}}},
		{"short gap", Config{}, []sp{{0, 1}, {1.99, 3}}, []sp{}},
		{"nested and touching", Config{}, []sp{{0, 4}, {1, 2}, {4, 5}, {7, 8}}, []sp{{5, 7}}},
		{"MinSilence 2", Config{MinSilence: 2}, []sp{{0, 1}, {2.5, 3}, {5, 6}}, []sp{{3, 5}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if got := Silences(c.cfg, c.segs); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Silences = %v, want %v", got, c.want)
			}
		})
	}
}

func TestInterruptionsAndTotals(t *testing.T) {
	t.Parallel()
	ots := []models.Overtalk{
		{Start: 1, End: 1.5, By: models.SpeakerCustomer},
		{Start: 4, End: 5.25, By: models.SpeakerAgent},
		{Start: 9, End: 9.4, By: models.SpeakerCustomer},
	}
	want := map[string]int{models.SpeakerAgent: 1, models.SpeakerCustomer: 2}
	if got := Interruptions(ots); !reflect.DeepEqual(got, want) {
		t.Errorf("Interruptions = %v, want %v", got, want)
	}
	if got := OvertalkTotal(ots); got != 2.15 {
		t.Errorf("OvertalkTotal = %v, want 2.15", got)
	}
	if got := Total([]sp{{0, 1.1}, {2, 2.2}}); got != 1.3 {
		t.Errorf("Total = %v, want 1.3", got)
	}
}

// spansFromBytes decodes fuzz input into spans: pairs of uint16
// hundredths of a second.
func spansFromBytes(b []byte) []models.Span {
	var out []models.Span
	for len(b) >= 4 {
		a := float64(binary.LittleEndian.Uint16(b)) / 100
		l := float64(b[2]) / 20
		out = append(out, models.Span{a, a + l})
		b = b[4:]
	}
	return out
}

// FuzzConversation checks the interval arithmetic's invariants: silences
// and overtalks are sorted, disjoint and long enough; no silence overlaps
// any speech; every overtalk lies inside both speakers' speech.
func FuzzConversation(f *testing.F) {
	f.Add([]byte{0, 0, 40, 0, 100, 0, 60, 0}, []byte{50, 0, 30, 0})
	f.Add([]byte{}, []byte{10, 0, 255, 0})
	f.Add([]byte{0, 0, 20, 0, 0, 0, 20, 0}, []byte{0, 0, 20, 0})
	f.Fuzz(func(t *testing.T, ab, cb []byte) {
		if len(ab)+len(cb) > 4000 {
			t.Skip()
		}
		ag, cu := spansFromBytes(ab), spansFromBytes(cb)
		cfg := Config{}.WithDefaults()
		sil, ots := Conversation(Config{}, ag, cu)
		in := func(spans []models.Span, t0, t1 float64) float64 { return covered(normalize(spans), t0, t1) }
		for i, s := range sil {
			if s[1]-s[0] < cfg.MinSilence-eps {
				t.Fatalf("silence %v shorter than MinSilence", s)
			}
			if i > 0 && s[0] < sil[i-1][1] {
				t.Fatalf("silences not sorted/disjoint: %v", sil)
			}
			if c := in(ag, s[0], s[1]) + in(cu, s[0], s[1]); c > eps {
				t.Fatalf("silence %v overlaps speech by %v", s, c)
			}
		}
		for i, o := range ots {
			l := o.End - o.Start
			if l < cfg.MinOvertalk-eps {
				t.Fatalf("overtalk %+v shorter than MinOvertalk", o)
			}
			if i > 0 && o.Start < ots[i-1].End {
				t.Fatalf("overtalks not sorted/disjoint: %+v", ots)
			}
			if in(ag, o.Start, o.End) < l-eps || in(cu, o.Start, o.End) < l-eps {
				t.Fatalf("overtalk %+v not inside both speakers' speech", o)
			}
			if o.By != models.SpeakerAgent && o.By != models.SpeakerCustomer {
				t.Fatalf("overtalk %+v: bad By", o)
			}
		}
		// Mono silences of the union equal the stereo silences.
		if mono := Silences(Config{}, append(append([]models.Span{}, ag...), cu...)); !reflect.DeepEqual(mono, sil) {
			t.Fatalf("Silences(union) = %v, Conversation silences = %v", mono, sil)
		}
	})
}

func ExampleConversation() {
	agent := []models.Span{{0, 4.2}, {9, 12}}
	customer := []models.Span{{3.5, 6}, {11, 13}}
	silences, overtalks := Conversation(Config{}, agent, customer)
	fmt.Println("silences:", silences, "total", Total(silences))
	for _, o := range overtalks {
		fmt.Printf("overtalk %.2f-%.2f by %s\n", o.Start, o.End, o.By)
	}
	fmt.Println("interruptions:", Interruptions(overtalks))
	// Output:
	// silences: [[6 9]] total 3
	// overtalk 3.50-4.20 by customer
	// overtalk 11.00-12.00 by customer
	// interruptions: map[agent:0 customer:2]
}

func TestRound2(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want float64 }{{1.004, 1}, {1.006, 1.01}, {-0.004, 0}, {2.6751, 2.68}} {
		if got := round2(c.in); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("round2(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
