package tone

// Music features; see the package comment.
const (
	musicLoBin   = 6   // 187.5 Hz: below the telephone band's partials, above mains hum's fundamental
	musicHiBin   = 112 // 3.5 kHz
	musicHeld    = 2.0 // a held bin's power changes by less than this factor (3 dB) between windows
	musicMinAge  = 5   // windows a bin must hold: 160 ms
	musicContext = 32  // windows averaged into the score: 1.024 s
)

// MusicContextSeconds is how much audio the musicality score averages:
// the score is causal, so it rises and falls about half of this after
// the music starts and stops.
const MusicContextSeconds = musicContext * WindowSeconds

// musicState holds the previous window's band spectrum, how long each bin
// has held its level, and the recent per-window scores.
type musicState struct {
	prev [musicHiBin + 1]float32
	age  [musicHiBin + 1]uint8
	ring [musicContext]float32
	ri   int
	sum  float32
	// isMusic is the decision of the latest window.
	isMusic bool
}

func (s *musicState) init() { s.reset() }

func (s *musicState) reset() { *s = musicState{} }

// musicWindow sets f.Music and f.IsMusic.
func (d *Detector) musicWindow(f *Frame) {
	s := &d.music
	inst := float32(0)
	if float64(f.DBFS) >= d.cfg.MusicMinDBFS && f.Digit == 0 && !f.Tone {
		inst = d.heldShare()
	} else {
		clear(s.prev[:])
		clear(s.age[:])
	}
	s.sum += inst - s.ring[s.ri]
	s.ring[s.ri] = inst
	s.ri = (s.ri + 1) % musicContext
	score := max(0, s.sum/musicContext)
	f.Music = score
	f.IsMusic = float64(score) >= d.cfg.MusicThreshold
	s.isMusic = f.IsMusic
}

// heldShare returns the share of the band's energy in bins whose power
// has held within musicHeld for musicMinAge windows.
func (d *Detector) heldShare() float32 {
	s := &d.music
	sp := d.spec[musicLoBin : musicHiBin+1]
	prev := s.prev[musicLoBin : musicHiBin+1]
	age := s.age[musicLoBin : musicHiBin+1]
	var band, held float32
	for k, v := range sp {
		p := prev[k]
		band += v
		if v <= musicHeld*p && p <= musicHeld*v && v > 0 {
			a := min(age[k], 254) + 1
			age[k] = a
			if a >= musicMinAge {
				held += v
			}
		} else {
			age[k] = 1
		}
		prev[k] = v
	}
	if band <= 0 {
		return 0
	}
	return held / band
}
