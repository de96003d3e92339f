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
// spectrum gives log energies in eight bands from 250 Hz to 3.5 kHz. For
// each direction (A into B, B into A) the detector keeps, for every lag
// from 0 to MaxDelay in 8 ms steps, a running normalised cross-correlation
// (time constant about a second, updated while the source channel is
// active) between the source's band log-envelopes at that lag and the
// receiver's, both with their slow means removed. The best lag, once its
// correlation is high enough, is the echo path's delay; the path's loss
// in each band is a running low quantile of the receiver's level minus the
// delayed source's level (echo-only moments give the lowest differences;
// double-talk and noise only higher ones).
//
// A hop of the receiver is explained when the echo the path predicts from
// the source (its band energies at the path delay, give or take a hop,
// times the band losses, with 6 dB of tolerance) accounts for nearly all
// of the receiver's energy above its noise floor. A window of the receiver
// is leakage when it is active, most of its active hops are explained, the
// path's loss is at least MinLossDB and the delayed source is at least
// MinLossDB louder than the receiver's activity. Real double-talk (the
// receiver's own voice, typically 20 dB or more above the echo) is not
// explained, so it stays speech.
package echo
