//go:build amd64 && !purego

#include "textflag.h"

// HSUM8 sets Y0 to [sum(Y0), sum(Y1), ..., sum(Y7)]; clobbers Y1-Y7.
#define HSUM8 \
	VHADDPS    Y1, Y0, Y0;       \
	VHADDPS    Y3, Y2, Y2;       \
	VHADDPS    Y2, Y0, Y0;       \
	VHADDPS    Y5, Y4, Y4;       \
	VHADDPS    Y7, Y6, Y6;       \
	VHADDPS    Y6, Y4, Y4;       \
	VPERM2F128 $0x20, Y4, Y0, Y1; \
	VPERM2F128 $0x31, Y4, Y0, Y2; \
	VADDPS     Y2, Y1, Y0

// func conv2x4AVX2(y, b, w *float32, wstride, k, rows int, x *float32, xstride, ystride int)
//
// Four output frames of a convolution at once, with ReLU:
// y[t*ystride+r] = max(0, b[r] + dot(w[r*wstride:][:k], x[t*xstride:][:k]))
// for t < 4 and r < rows. Two rows at a time: each chunk of the two
// weight rows is loaded once and used for the four frames (8
// accumulators), so the weights stream once per call. k is a positive
// multiple of 8, rows a positive multiple of 2.
TEXT ·conv2x4AVX2(SB), NOSPLIT, $0-72
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ w+16(FP), R8
	MOVQ wstride+24(FP), R9
	MOVQ k+32(FP), R10
	MOVQ rows+40(FP), R11
	MOVQ x+48(FP), DX
	MOVQ xstride+56(FP), R13
	MOVQ ystride+64(FP), R12
	SHLQ $2, R9
	SHLQ $2, R10
	ADDQ DX, R10 // end of column 0
	SHLQ $2, R13
	SHLQ $2, R12
	VXORPS Y14, Y14, Y14

pairs:
	MOVQ R8, R14          // row 0
	LEAQ (R8)(R9*1), AX   // row 1
	MOVQ DX, R15          // column 0; column 1 is R15+R13
	LEAQ (DX)(R13*2), BX  // column 2; column 3 is BX+R13
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop2x4:
	VMOVUPS     (R14), Y8
	VMOVUPS     (AX), Y9
	VMOVUPS     (R15), Y10
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y10, Y9, Y1
	VMOVUPS     (R15)(R13*1), Y11
	VFMADD231PS Y11, Y8, Y2
	VFMADD231PS Y11, Y9, Y3
	VMOVUPS     (BX), Y12
	VFMADD231PS Y12, Y8, Y4
	VFMADD231PS Y12, Y9, Y5
	VMOVUPS     (BX)(R13*1), Y13
	VFMADD231PS Y13, Y8, Y6
	VFMADD231PS Y13, Y9, Y7
	ADDQ $32, R14
	ADDQ $32, AX
	ADDQ $32, R15
	ADDQ $32, BX
	CMPQ R15, R10
	JB   loop2x4

	// Y0 = [t0r0, t0r1, t1r0, t1r1, t2r0, t2r1, t3r0, t3r1].
	HSUM8
	VBROADCASTSD (SI), Y1 // [b0, b1] four times
	VADDPS       Y1, Y0, Y0
	VMAXPS       Y14, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	MOVQ         DI, CX
	VMOVLPS      X0, (CX)
	ADDQ         R12, CX
	VMOVHPS      X0, (CX)
	ADDQ         R12, CX
	VMOVLPS      X1, (CX)
	ADDQ         R12, CX
	VMOVHPS      X1, (CX)

	ADDQ $8, DI
	ADDQ $8, SI
	LEAQ (R8)(R9*2), R8
	SUBQ $2, R11
	JNZ  pairs
	VZEROUPPER
	RET

// func conv4x2AVX2(y, b, w *float32, wstride, k, rows int, x *float32, xstride, ystride int)
//
// conv2x4AVX2 for two output frames: four rows at a time.
// rows is a positive multiple of 4.
TEXT ·conv4x2AVX2(SB), NOSPLIT, $0-72
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ w+16(FP), R8
	MOVQ wstride+24(FP), R9
	MOVQ k+32(FP), R10
	MOVQ rows+40(FP), R11
	MOVQ x+48(FP), DX
	MOVQ xstride+56(FP), R13
	MOVQ ystride+64(FP), R12
	SHLQ $2, R9
	SHLQ $2, R10
	ADDQ DX, R10
	SHLQ $2, R13
	SHLQ $2, R12
	VXORPS Y14, Y14, Y14

quads:
	MOVQ R8, R14
	LEAQ (R8)(R9*1), AX
	LEAQ (R8)(R9*2), BX
	LEAQ (AX)(R9*2), CX
	MOVQ DX, R15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop4x2:
	VMOVUPS     (R15), Y8
	VMOVUPS     (R15)(R13*1), Y9
	VMOVUPS     (R14), Y10
	VFMADD231PS Y10, Y8, Y0
	VFMADD231PS Y10, Y9, Y4
	VMOVUPS     (AX), Y11
	VFMADD231PS Y11, Y8, Y1
	VFMADD231PS Y11, Y9, Y5
	VMOVUPS     (BX), Y12
	VFMADD231PS Y12, Y8, Y2
	VFMADD231PS Y12, Y9, Y6
	VMOVUPS     (CX), Y13
	VFMADD231PS Y13, Y8, Y3
	VFMADD231PS Y13, Y9, Y7
	ADDQ $32, R14
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	ADDQ $32, R15
	CMPQ R15, R10
	JB   loop4x2

	// Y0 = [t0r0, t0r1, t0r2, t0r3, t1r0, t1r1, t1r2, t1r3].
	HSUM8
	VBROADCASTF128 (SI), Y1
	VADDPS         Y1, Y0, Y0
	VMAXPS         Y14, Y0, Y0
	VEXTRACTF128   $1, Y0, X1
	VMOVUPS        X0, (DI)
	VMOVUPS        X1, (DI)(R12*1)

	ADDQ $16, DI
	ADDQ $16, SI
	LEAQ (R8)(R9*4), R8
	SUBQ $4, R11
	JNZ  quads
	VZEROUPPER
	RET
