// Package decode is callqa's streaming WAV decoder.
//
// A Decoder reads the RIFF/RF64 header up to the start of the data chunk
// (NewDecoder) and then converts the sample data block by block into
// interleaved float32 samples scaled like ffmpeg does (Read). Memory use is
// bounded by the caller's destination slice, never by the call's length or
// by a size field in the header, so a two-hour recording streams through a
// few kilobytes of buffer.
//
// Supported: PCM 8 (unsigned), 16, 24 and 32 bit, IEEE float 32 and 64 bit,
// G.711 A-law and mu-law, WAVE_FORMAT_EXTENSIBLE with those sub-formats,
// RF64 (ds64), any channel count up to MaxChannels, any sample rate, extra
// chunks anywhere before the data chunk, and "streaming" headers whose RIFF
// or data size is 0 or 0xFFFFFFFF (data is then read to the end of the
// stream).
//
// Errors separate invalid input (*FormatError) from valid WAV files that use
// a variant this package does not decode (*UnsupportedError); both are
// models.ErrBadInput (errors.Is), so a caller can record the reason
// instead of retrying. A
// data chunk cut short (recorder killed mid-call) is not an error: Read
// decodes every whole frame present and Truncated then reports the shortfall.
//
// The package also holds the ITU-T G.711 tables and reference encoders
// (MuLawEncode, ALawEncode, MuLawDecode, ALawDecode) and WritePCM16 for
// tests, sample generation and playback.
package decode
