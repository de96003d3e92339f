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
// The 8 kHz and 16 kHz networks have separate weights, in the upstream
// ONNX file (silero_vad.onnx, sha256 1a153a22...88e3, kept byte for byte
// beside the code). Decode reads such a file with a small protobuf reader
// and checks it (a few milliseconds). Load does not parse it: go generate
// writes each rate's weights, laid out as the detector reads them, to
// weights_8k.bin and weights_16k.bin, which are embedded, and the tests
// check that they are what Decode makes of the ONNX file, bit for bit.
// Each rate's network is read from them on its first detector (views of
// the embedded bytes, tens of microseconds; nothing happens at package
// initialisation).
//
// # Use
//
// A Model is immutable and shared. A Detector is one channel's state:
// Process takes exactly one window and returns its probability. Stream
// takes blocks of any size and yields one probability per window;
// Segments (batch) and Segmenter (incremental, O(1) state) turn the
// probabilities into speech segments by the rules of upstream's
// get_speech_timestamps. ProcessSilence is the cheap equivalent of Process
// on a window of digital silence; its comment says what skipping quiet
// windows costs in accuracy.
//
// # Parity
//
// On the three reference clips in testdata/ (probabilities from ONNX
// Runtime, 6 decimals), every window's probability is within 2e-6 of the
// reference, and Segments gives get_speech_timestamps's segments to the
// sample. The tests hold the probabilities to 1e-3 and the segments to 1 ms.
//
// # Speed
//
// One 8 kHz window is about 370k multiply-adds (one 16 kHz window, 660k).
// On amd64 with AVX2 and FMA (detected at run time), assembly kernels
// compute the matrix-vector products, the convolutions, the FFT stages and
// the LSTM cell: 12-15 us per 8 kHz window and 15-21 us per 16 kHz window
// on one core of the (shared) development machine, 2000-2700x and
// 1500-2000x realtime. The LSTM's matrix (512 KB) is then read at about
// the L2 cache's bandwidth. Elsewhere, or with the build tag purego, plain
// Go loops take 77-110 us per 8 kHz window (300-400x realtime). Nothing
// is allocated per window. BenchmarkProcess* report both wall and thread
// CPU time.
//
// It is one package of about 2,200 lines, above the house's 1,500, on
// purpose: the ONNX reader, the weights' layout, the kernels (Go and
// AVX2 assembly) and the detector are one network whose parts only make
// sense together, and tests check them as one against upstream's outputs.
package silero
