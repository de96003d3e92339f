//go:build amd64 && !purego

#include "textflag.h"

// Constants of expf (kernels.go), each replicated 8 times.
#define HI cellconst<>+0(SB)
#define LO cellconst<>+32(SB)
#define LOG2E cellconst<>+64(SB)
#define C1 cellconst<>+96(SB)
#define C2 cellconst<>+128(SB)
#define P0 cellconst<>+160(SB)
#define P1 cellconst<>+192(SB)
#define P2 cellconst<>+224(SB)
#define P3 cellconst<>+256(SB)
#define P4 cellconst<>+288(SB)
#define P5 cellconst<>+320(SB)
#define ONE cellconst<>+352(SB)
#define TWO cellconst<>+384(SB)
#define BIAS cellconst<>+416(SB)

// EXP sets X to e**X, lane by lane, as expf does: clamp to [-87, 88],
// n = round(X*log2e), r = X - n*ln2 in two parts, e**r by the degree-6
// polynomial, times 2**n built in the exponent bits. T1-T3 are scratch.
#define EXP(X, T1, T2, T3) \
	VMINPS       HI, X, X;       \
	VMAXPS       LO, X, X;       \
	VMULPS       LOG2E, X, T1;   \
	VROUNDPS     $8, T1, T1;     \
	VFNMADD231PS C1, T1, X;      \
	VFNMADD231PS C2, T1, X;      \
	VMOVUPS      P0, T2;         \
	VFMADD213PS  P1, X, T2;      \
	VFMADD213PS  P2, X, T2;      \
	VFMADD213PS  P3, X, T2;      \
	VFMADD213PS  P4, X, T2;      \
	VFMADD213PS  P5, X, T2;      \
	VMULPS       X, X, T3;       \
	VFMADD213PS  X, T3, T2;      \
	VADDPS       ONE, T2, T2;    \
	VCVTPS2DQ    T1, T1;         \
	VPSLLD       $23, T1, T1;    \
	VPADDD       BIAS, T1, T1;   \
	VMULPS       T1, T2, X

// SIGMOID sets X to 1/(1+e**-X); Z holds zeros, O ones.
#define SIGMOID(X, T1, T2, T3, Z, O) \
	VSUBPS X, Z, X;           \
	EXP(X, T1, T2, T3);       \
	VADDPS O, X, X;           \
	VDIVPS X, O, X

// TANH sets X to 1 - 2/(e**2X + 1); O holds ones.
#define TANH(X, T1, T2, T3, O) \
	VADDPS X, X, X;           \
	EXP(X, T1, T2, T3);       \
	VADDPS O, X, X;           \
	VMOVUPS TWO, T1;          \
	VDIVPS X, T1, X;          \
	VSUBPS X, O, X

// func cellAVX2(gates, c, h, w *float32) float32
//
// The LSTM cell on 128 units, 8 at a time: with the gates g (i, f, g, o,
// 128 each), c = sigmoid(f)*c + sigmoid(i)*tanh(g), h = sigmoid(o)*tanh(c),
// and returns sum(w*max(h, 0)), the decoder's dot product.
TEXT ·cellAVX2(SB), NOSPLIT, $0-36
	MOVQ gates+0(FP), SI
	MOVQ c+8(FP), DI
	MOVQ h+16(FP), DX
	MOVQ w+24(FP), R8
	MOVQ $16, CX
	VXORPS  Y13, Y13, Y13 // zeros
	VMOVUPS ONE, Y12      // ones
	VXORPS  Y15, Y15, Y15 // decoder sum

loop:
	VMOVUPS (SI), Y4      // i
	VMOVUPS 512(SI), Y5   // f
	VMOVUPS 1024(SI), Y6  // g
	VMOVUPS 1536(SI), Y7  // o
	SIGMOID(Y4, Y8, Y9, Y10, Y13, Y12)
	SIGMOID(Y5, Y8, Y9, Y10, Y13, Y12)
	TANH(Y6, Y8, Y9, Y10, Y12)
	SIGMOID(Y7, Y8, Y9, Y10, Y13, Y12)
	VMULPS      Y6, Y4, Y4 // i*g
	VMOVUPS     (DI), Y0
	VFMADD213PS Y4, Y5, Y0 // c = f*c + i*g
	VMOVUPS     Y0, (DI)
	TANH(Y0, Y8, Y9, Y10, Y12)
	VMULPS      Y7, Y0, Y0 // h
	VMOVUPS     Y0, (DX)
	VMAXPS      Y13, Y0, Y0
	VFMADD231PS (R8), Y0, Y15
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	ADDQ $32, R8
	DECQ CX
	JNZ  loop

	VEXTRACTF128 $1, Y15, X0
	VADDPS       X0, X15, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, ret+32(FP)
	VZEROUPPER
	RET

// hi = 88
DATA cellconst<>+0(SB)/4, $0x42b00000
DATA cellconst<>+4(SB)/4, $0x42b00000
DATA cellconst<>+8(SB)/4, $0x42b00000
DATA cellconst<>+12(SB)/4, $0x42b00000
DATA cellconst<>+16(SB)/4, $0x42b00000
DATA cellconst<>+20(SB)/4, $0x42b00000
DATA cellconst<>+24(SB)/4, $0x42b00000
DATA cellconst<>+28(SB)/4, $0x42b00000
// lo = -87
DATA cellconst<>+32(SB)/4, $0xc2ae0000
DATA cellconst<>+36(SB)/4, $0xc2ae0000
DATA cellconst<>+40(SB)/4, $0xc2ae0000
DATA cellconst<>+44(SB)/4, $0xc2ae0000
DATA cellconst<>+48(SB)/4, $0xc2ae0000
DATA cellconst<>+52(SB)/4, $0xc2ae0000
DATA cellconst<>+56(SB)/4, $0xc2ae0000
DATA cellconst<>+60(SB)/4, $0xc2ae0000
// log2e = 1.442695
DATA cellconst<>+64(SB)/4, $0x3fb8aa3b
DATA cellconst<>+68(SB)/4, $0x3fb8aa3b
DATA cellconst<>+72(SB)/4, $0x3fb8aa3b
DATA cellconst<>+76(SB)/4, $0x3fb8aa3b
DATA cellconst<>+80(SB)/4, $0x3fb8aa3b
DATA cellconst<>+84(SB)/4, $0x3fb8aa3b
DATA cellconst<>+88(SB)/4, $0x3fb8aa3b
DATA cellconst<>+92(SB)/4, $0x3fb8aa3b
// c1 = 0.6933594
DATA cellconst<>+96(SB)/4, $0x3f318000
DATA cellconst<>+100(SB)/4, $0x3f318000
DATA cellconst<>+104(SB)/4, $0x3f318000
DATA cellconst<>+108(SB)/4, $0x3f318000
DATA cellconst<>+112(SB)/4, $0x3f318000
DATA cellconst<>+116(SB)/4, $0x3f318000
DATA cellconst<>+120(SB)/4, $0x3f318000
DATA cellconst<>+124(SB)/4, $0x3f318000
// c2 = -0.00021219444
DATA cellconst<>+128(SB)/4, $0xb95e8083
DATA cellconst<>+132(SB)/4, $0xb95e8083
DATA cellconst<>+136(SB)/4, $0xb95e8083
DATA cellconst<>+140(SB)/4, $0xb95e8083
DATA cellconst<>+144(SB)/4, $0xb95e8083
DATA cellconst<>+148(SB)/4, $0xb95e8083
DATA cellconst<>+152(SB)/4, $0xb95e8083
DATA cellconst<>+156(SB)/4, $0xb95e8083
// p0 = 0.00019875691
DATA cellconst<>+160(SB)/4, $0x39506967
DATA cellconst<>+164(SB)/4, $0x39506967
DATA cellconst<>+168(SB)/4, $0x39506967
DATA cellconst<>+172(SB)/4, $0x39506967
DATA cellconst<>+176(SB)/4, $0x39506967
DATA cellconst<>+180(SB)/4, $0x39506967
DATA cellconst<>+184(SB)/4, $0x39506967
DATA cellconst<>+188(SB)/4, $0x39506967
// p1 = 0.0013981999
DATA cellconst<>+192(SB)/4, $0x3ab743ce
DATA cellconst<>+196(SB)/4, $0x3ab743ce
DATA cellconst<>+200(SB)/4, $0x3ab743ce
DATA cellconst<>+204(SB)/4, $0x3ab743ce
DATA cellconst<>+208(SB)/4, $0x3ab743ce
DATA cellconst<>+212(SB)/4, $0x3ab743ce
DATA cellconst<>+216(SB)/4, $0x3ab743ce
DATA cellconst<>+220(SB)/4, $0x3ab743ce
// p2 = 0.008333452
DATA cellconst<>+224(SB)/4, $0x3c088908
DATA cellconst<>+228(SB)/4, $0x3c088908
DATA cellconst<>+232(SB)/4, $0x3c088908
DATA cellconst<>+236(SB)/4, $0x3c088908
DATA cellconst<>+240(SB)/4, $0x3c088908
DATA cellconst<>+244(SB)/4, $0x3c088908
DATA cellconst<>+248(SB)/4, $0x3c088908
DATA cellconst<>+252(SB)/4, $0x3c088908
// p3 = 0.041665796
DATA cellconst<>+256(SB)/4, $0x3d2aa9c1
DATA cellconst<>+260(SB)/4, $0x3d2aa9c1
DATA cellconst<>+264(SB)/4, $0x3d2aa9c1
DATA cellconst<>+268(SB)/4, $0x3d2aa9c1
DATA cellconst<>+272(SB)/4, $0x3d2aa9c1
DATA cellconst<>+276(SB)/4, $0x3d2aa9c1
DATA cellconst<>+280(SB)/4, $0x3d2aa9c1
DATA cellconst<>+284(SB)/4, $0x3d2aa9c1
// p4 = 0.16666666
DATA cellconst<>+288(SB)/4, $0x3e2aaaaa
DATA cellconst<>+292(SB)/4, $0x3e2aaaaa
DATA cellconst<>+296(SB)/4, $0x3e2aaaaa
DATA cellconst<>+300(SB)/4, $0x3e2aaaaa
DATA cellconst<>+304(SB)/4, $0x3e2aaaaa
DATA cellconst<>+308(SB)/4, $0x3e2aaaaa
DATA cellconst<>+312(SB)/4, $0x3e2aaaaa
DATA cellconst<>+316(SB)/4, $0x3e2aaaaa
// p5 = 0.5
DATA cellconst<>+320(SB)/4, $0x3f000000
DATA cellconst<>+324(SB)/4, $0x3f000000
DATA cellconst<>+328(SB)/4, $0x3f000000
DATA cellconst<>+332(SB)/4, $0x3f000000
DATA cellconst<>+336(SB)/4, $0x3f000000
DATA cellconst<>+340(SB)/4, $0x3f000000
DATA cellconst<>+344(SB)/4, $0x3f000000
DATA cellconst<>+348(SB)/4, $0x3f000000
// one = 1
DATA cellconst<>+352(SB)/4, $0x3f800000
DATA cellconst<>+356(SB)/4, $0x3f800000
DATA cellconst<>+360(SB)/4, $0x3f800000
DATA cellconst<>+364(SB)/4, $0x3f800000
DATA cellconst<>+368(SB)/4, $0x3f800000
DATA cellconst<>+372(SB)/4, $0x3f800000
DATA cellconst<>+376(SB)/4, $0x3f800000
DATA cellconst<>+380(SB)/4, $0x3f800000
// two = 2
DATA cellconst<>+384(SB)/4, $0x40000000
DATA cellconst<>+388(SB)/4, $0x40000000
DATA cellconst<>+392(SB)/4, $0x40000000
DATA cellconst<>+396(SB)/4, $0x40000000
DATA cellconst<>+400(SB)/4, $0x40000000
DATA cellconst<>+404(SB)/4, $0x40000000
DATA cellconst<>+408(SB)/4, $0x40000000
DATA cellconst<>+412(SB)/4, $0x40000000
// bias = 127<<23
DATA cellconst<>+416(SB)/4, $0x3f800000
DATA cellconst<>+420(SB)/4, $0x3f800000
DATA cellconst<>+424(SB)/4, $0x3f800000
DATA cellconst<>+428(SB)/4, $0x3f800000
DATA cellconst<>+432(SB)/4, $0x3f800000
DATA cellconst<>+436(SB)/4, $0x3f800000
DATA cellconst<>+440(SB)/4, $0x3f800000
DATA cellconst<>+444(SB)/4, $0x3f800000
GLOBL cellconst<>(SB), RODATA|NOPTR, $448
