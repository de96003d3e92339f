// Package tone finds what is not speech but has energy on a telephone
// channel: DTMF key presses, call-progress tones (ring-back, busy, test
// tones) and hold music (hold and ring-back music, 彩铃).
//
// # Window grid
//
// A Detector analyses one channel in consecutive, non-overlapping windows
// of 32 ms (WindowSeconds): 256 samples at 8 kHz, 512 at 16 kHz (the grid
// of the Silero VAD). The caller passes each window's mono samples in
// [-1, 1) to Detector.Window, in order, and gets a Frame: the DTMF digit
// sounding in the window (and which 8 ms quarters of it), whether a steady
// call-progress tone sounds, and a musicality score with its decision.
// Window i covers [i, i+1) * WindowSeconds. A Detector keeps O(1) state
// per channel (the previous window and per-bin peak tracks), allocates
// nothing per window and is not safe for concurrent use: use one per
// channel.
//
// Frames become events through small streaming builders: DTMFEvents turns
// digits into key-press events ({start, end, presses}; the digits are not
// kept unless asked for, since they may be a PIN or an ID number) and
// Spans turns per-window flags into hold-music or tone spans.
//
// # Method
//
// Every window is weighted with a Hann window and transformed with a real
// FFT (31.25 Hz bins at both rates; analysis stops at 4 kHz). Windows
// quieter than every minimum level (Config) skip the transform.
//
// DTMF follows ITU-T Q.23/Q.24: a window whose spectrum holds most of its
// energy around one row and one column frequency is checked with Goertzel
// filters at the eight exact frequencies and the pair's second harmonics:
// each tone's level, the twist between them, the margin over the other
// frequencies of each group, the share of the window's energy the pair
// holds, and weak second harmonics (speech has strong ones). Goertzel
// filters on the window's 8 ms quarters (and the previous window's, for a
// tone that began there) time the tone to 8 ms, so DTMFEvents can require
// 40 ms of tone per press.
//
// A call-progress tone is one or two narrow spectral peaks (between 281 Hz
// and 4 kHz) holding 90% of the window's energy, at the same frequencies,
// within 1.5 Hz from window to window, for three windows in a row (or one,
// at the frequency of a tone confirmed in the last 5 s: a cadence's next
// burst), and not inside music (a held note is not a tone).
//
// Music is sustained tonal sound: partials that hold for 160 ms or more,
// which played notes do and the harmonics of a voice, whose pitch and
// formants keep moving, rarely do. A spectral bin is held while its power
// stays within 3 dB from window to window; the per-window share of the
// band's energy (190 Hz to 3.5 kHz) in bins held for five windows,
// averaged over the last second, is the musicality score. Noise does not
// hold (the power of a noise bin moves by more than 3 dB from one window
// to the next two times in three), and pure tones and DTMF are left out.
// The score is meant to be combined with a VAD's speech probability and
// the channel's energy, but alone it already separates hold music from
// speech, babble and noise (see the tests for measured rates).
package tone
