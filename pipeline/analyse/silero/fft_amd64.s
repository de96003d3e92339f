//go:build amd64 && !purego

#include "textflag.h"

// func difStageAVX2(re, im, wr, wi *float32, n, half int)
//
// One decimation-in-frequency stage of size 2*half over n points: for each
// block of 2*half and j < half, x = v[j], y = v[j+half]: v[j] = x+y,
// v[j+half] = (x-y)*w[j]. half is a positive multiple of 8.
TEXT ·difStageAVX2(SB), NOSPLIT, $0-48
	MOVQ re+0(FP), SI
	MOVQ im+8(FP), DX
	MOVQ wr+16(FP), R8
	MOVQ wi+24(FP), R9
	MOVQ n+32(FP), R10
	MOVQ half+40(FP), R11
	SHLQ $2, R11
	SHLQ $2, R10
	ADDQ SI, R10  // end of re
	SUBQ SI, DX   // im - re

block:
	XORQ CX, CX

inner:
	LEAQ         (SI)(CX*1), AX
	LEAQ         (AX)(R11*1), BX
	VMOVUPS      (AX), Y0
	VMOVUPS      (AX)(DX*1), Y1
	VMOVUPS      (BX), Y2
	VMOVUPS      (BX)(DX*1), Y3
	VADDPS       Y2, Y0, Y4
	VADDPS       Y3, Y1, Y5
	VSUBPS       Y2, Y0, Y6
	VSUBPS       Y3, Y1, Y7
	VMOVUPS      Y4, (AX)
	VMOVUPS      Y5, (AX)(DX*1)
	VMOVUPS      (R8)(CX*1), Y8
	VMOVUPS      (R9)(CX*1), Y9
	VMULPS       Y8, Y6, Y10
	VFNMADD231PS Y9, Y7, Y10
	VMULPS       Y9, Y6, Y11
	VFMADD231PS  Y8, Y7, Y11
	VMOVUPS      Y10, (BX)
	VMOVUPS      Y11, (BX)(DX*1)
	ADDQ         $32, CX
	CMPQ         CX, R11
	JB           inner

	LEAQ (SI)(R11*2), SI
	CMPQ SI, R10
	JB   block
	VZEROUPPER
	RET
