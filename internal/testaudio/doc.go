// Package testaudio builds realistic, deterministic test audio for the
// speech, tone, music and echo detectors: real voices (three clips bundled
// in testdata, see its README for their licences), hold music, DTMF,
// call-progress tones, noise, babble, line echo, G.711 round trips and
// stereo calls whose truth (who speaks when, where the events are) is
// known.
//
// It is an ordinary package, not a _test file, so that the tests of any
// package can use it; only test binaries should import it, since it embeds
// about 600 KB of audio.
//
// Samples are mono float32 in [-1, 1) at a given rate; levels are RMS dBFS
// in the ffmpeg astats sense (20*log10 of the RMS, so a full-scale sine is
// -3.01 dBFS). Every random choice comes from an explicit seed, so the same
// arguments always give the same samples.
package testaudio
