//go:build amd64 && !purego

#include "textflag.h"

// func gemv8AVX2(y, b, w *float32, stride, k, rows int, x *float32)
//
// y[r] = b[r] + dot(w[r*stride : r*stride+k], x[:k]) for r < rows, with
// k a positive multiple of 8 and rows a positive multiple of 8. Eight rows
// at a time, one accumulator per row, so the eight FMA chains are
// independent and each load of x serves eight rows.
TEXT ·gemv8AVX2(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ w+16(FP), R8
	MOVQ stride+24(FP), R9
	MOVQ k+32(FP), R10
	MOVQ rows+40(FP), R11
	MOVQ x+48(FP), DX
	SHLQ $2, R9            // stride in bytes
	SHLQ $2, R10
	ADDQ DX, R10           // end of x
	LEAQ (R9)(R9*2), R12   // 3*stride
	LEAQ (R9*4), R13       // 4*stride

rows8:
	MOVQ R8, R14           // row 0
	LEAQ (R8)(R9*1), AX    // row 1
	LEAQ (R8)(R9*2), BX    // row 2
	LEAQ (R8)(R12*1), CX   // row 3; rows 4..7 are these plus R13
	MOVQ DX, R15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

loop:
	VMOVUPS (R15), Y8
	VFMADD231PS (R14), Y8, Y0
	VFMADD231PS (AX), Y8, Y1
	VFMADD231PS (BX), Y8, Y2
	VFMADD231PS (CX), Y8, Y3
	VFMADD231PS (R14)(R13*1), Y8, Y4
	VFMADD231PS (AX)(R13*1), Y8, Y5
	VFMADD231PS (BX)(R13*1), Y8, Y6
	VFMADD231PS (CX)(R13*1), Y8, Y7
	ADDQ $32, R14
	ADDQ $32, AX
	ADDQ $32, BX
	ADDQ $32, CX
	ADDQ $32, R15
	CMPQ R15, R10
	JB   loop

	// Horizontal sums: Y0 = [sum(Y0), ..., sum(Y7)].
	VHADDPS Y1, Y0, Y0
	VHADDPS Y3, Y2, Y2
	VHADDPS Y2, Y0, Y0
	VHADDPS Y5, Y4, Y4
	VHADDPS Y7, Y6, Y6
	VHADDPS Y6, Y4, Y4
	VPERM2F128 $0x20, Y4, Y0, Y1
	VPERM2F128 $0x31, Y4, Y0, Y2
	VADDPS  Y2, Y1, Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)

	ADDQ $32, DI
	ADDQ $32, SI
	LEAQ (R8)(R13*2), R8   // next eight rows
	SUBQ $8, R11
	JNZ  rows8
	VZEROUPPER
	RET
