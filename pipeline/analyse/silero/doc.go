// Package silero runs the Silero VAD v5 voice-activity model in pure Go.
//
// Silero VAD (snakers4/silero-vad, MIT licence, Copyright (c) 2020-present
// Silero Team; the licence text is in LICENSE beside the model file) is a
// small neural network that gives the probability that a 32 ms window of
// audio holds speech. It takes 256 new samples at 8 kHz or 512 at 16 kHz,
// preceded by the last 32 or 64 samples of the previous window as context,
// and carries an LSTM state from window to window. Per window it computes:
//
//   - an STFT of the context and window, reflect-padded on the right by a
//     quarter frame: 4 frames of 128 samples (8 kHz) or 256 (16 kHz) with a
//     periodic Hann window and a hop of half a frame, as magnitudes of 65
//     or 129 bins. The ONNX graph does this as a convolution with a fixed
//     basis; Decode checks that the basis is the windowed DFT, so the
//     detector uses an FFT instead;
//   - four Conv1d(kernel 3, padding 1)+ReLU layers (strides 1, 2, 2, 1)
//     down to one 128-channel frame;
//   - one LSTM cell with 128 units, whose state (h, c) is kept;
//   - ReLU, a 1x1 convolution to one value and a sigmoid.
//
// The 8 kHz and 16 kHz networks have separate weights; both are read from
// the upstream ONNX file, embedded byte for byte (silero_vad.onnx), by a
// small protobuf reader, on the first call to Load.
//
// # Parity
//
// The probabilities match those of ONNX Runtime on the same windows within
// about 1e-5 (the tests hold them to 1e-3 on three reference clips in
// testdata/, and check that the segments of Segments match those of
// upstream's get_speech_timestamps).
package silero
