// Package echo finds leakage of one channel of a stereo call into the
// other: line echo, acoustic echo and crosstalk, a delayed (0 to 300 ms)
// and attenuated (10 dB or more) copy of the other channel's sound, which
// a voice-activity detector would take for the other party speaking.
//
// # Window grid
//
// A Detector takes both channels of one call in consecutive,
// non-overlapping 32 ms windows (WindowSeconds: 256 samples at 8 kHz, 512
// at 16 kHz, the Silero VAD's grid), mono float32 samples in [-1, 1) per
// channel, and returns a Frame per window: for each channel, whether it
// has activity above its noise floor, and whether that activity is leakage
// from the other channel. It is causal: a window's decision uses that
// window and the past only (at most MaxDelay back on the other channel),
// and is returned at once. Memory is O(1): a few kilobytes per call,
// whatever its length; nothing is allocated per window.
//
// # Method
//
// Each channel is cut into 8 ms hops; each hop's 16 ms Hann-windowed
// spectrum gives energies in eight bands from 250 Hz to 3.5 kHz, and their
// logarithms less a slow per-band mean. A channel's noise floor per band is
// the minimum of its smoothed band energies over the last 2 to 2.5 s; a
// hop is active 6 dB above it, a window 5 dB above it.
//
// For each direction (A into B, B into A) the detector keeps, for every
// lag from 0 to MaxDelay in 8 ms steps, a running normalised
// cross-correlation (time constant about half a second, updated only while
// the source has been active within MaxDelay and was not itself leakage)
// between the source's band log-envelopes at that lag and the receiver's,
// centred on their running means. The best lag is the echo path's delay
// once its correlation reaches 0.6 and stands 0.2 above the average over
// all lags (a common rise and fall of both channels' levels correlates at
// every lag; an echo at one). The path's loss in each band is a running
// median of the receiver's band level minus the delivered source's, leaving
// out, once known, hops 10 dB or more above it (double-talk).
//
// A hop of the receiver is explained by the echo the path predicts: the
// source's band energies at the path delay (the loudest of the hop before,
// at and after it) times the band losses, plus 6 dB of tolerance. A window
// of the receiver is leakage when it is active, the prediction leaves at
// most a quarter of its energy above the floor unexplained, the delivered
// source is at least MinLossDB louder than that energy, the path's loss is
// at least MinLossDB, and the window's bands-by-hops pattern of log
// energies correlates (0.3 or more) with the delivered source's: an echo
// copies its source's pattern, a voice of its own does not. Real
// double-talk, the receiver's own voice, typically 20 dB or more above the
// echo, is not explained and stays speech.
//
// # Limits
//
// A path is found only after about half a second of the source talking
// while the receiver carries nothing but the echo; leakage before that is
// not flagged (the detector is causal, without look-ahead). A path whose
// delay changes is found again in the same way. Leakage less than
// MinLossDB under its source (loud crosstalk) is not flagged, by design.
// The receiver's own quiet speech during the other party's loud speech can
// be taken for leakage when the predicted echo covers it and its pattern
// happens to match.
package echo
