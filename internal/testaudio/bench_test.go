package testaudio

import "testing"

func BenchmarkMelody30s(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Melody(8000, 30, -20, 1)
	}
}

func BenchmarkBabble8(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Babble(8000, 20, 8, -20, 1)
	}
}

func BenchmarkPad30s(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Pad(8000, 30, -20, 1)
	}
}
