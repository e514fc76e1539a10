//go:build amd64 && !purego

#include "textflag.h"

// AVX2 + FMA float32 kernels of the fused conv block (kernels.go has the
// contracts and the Go versions they are tested against). Go's compiler
// does not vectorise, and these loops are the whole cost of a training step.
// Operand order is Go's: sources first, destination last.

// func convRowsAVX(out *float32, n int, in *float32, offs *int, nrows int, w *float32)
// out[j] = sum_r w[3r]*row_r[j-1] + w[3r+1]*row_r[j] + w[3r+2]*row_r[j+1]
// for j in [1, n-1), row_r = in + offs[r] bytes; n >= 10. Writes, so the
// last block may overlap the previous one.
TEXT ·convRowsAVX(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ in+16(FP), SI
	MOVQ offs+24(FP), R8
	MOVQ nrows+32(FP), R10
	MOVQ w+40(FP), R9
	DECQ CX          // CX = n-1, the end of the interior
	MOVQ $1, BX      // j

conv32:
	LEAQ 32(BX), AX
	CMPQ AX, CX
	JGT  conv8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	LEAQ (SI)(BX*4), R13
	MOVQ R9, R11
	XORQ DX, DX

conv32rows:
	MOVQ (R8)(DX*8), AX
	ADDQ R13, AX
	VBROADCASTSS 0(R11), Y12
	VBROADCASTSS 4(R11), Y13
	VBROADCASTSS 8(R11), Y14
	VFMADD231PS -4(AX), Y12, Y0
	VFMADD231PS 28(AX), Y12, Y1
	VFMADD231PS 60(AX), Y12, Y2
	VFMADD231PS 92(AX), Y12, Y3
	VFMADD231PS 0(AX), Y13, Y4
	VFMADD231PS 32(AX), Y13, Y5
	VFMADD231PS 64(AX), Y13, Y6
	VFMADD231PS 96(AX), Y13, Y7
	VFMADD231PS 4(AX), Y14, Y8
	VFMADD231PS 36(AX), Y14, Y9
	VFMADD231PS 68(AX), Y14, Y10
	VFMADD231PS 100(AX), Y14, Y11
	ADDQ $12, R11
	INCQ DX
	CMPQ DX, R10
	JLT  conv32rows

	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	VADDPS Y8, Y0, Y0
	VADDPS Y9, Y1, Y1
	VADDPS Y10, Y2, Y2
	VADDPS Y11, Y3, Y3
	VMOVUPS Y0, 0(DI)(BX*4)
	VMOVUPS Y1, 32(DI)(BX*4)
	VMOVUPS Y2, 64(DI)(BX*4)
	VMOVUPS Y3, 96(DI)(BX*4)
	ADDQ $32, BX
	JMP  conv32

conv8:
	CMPQ BX, CX
	JGE  convdone
	LEAQ 8(BX), AX
	CMPQ AX, CX
	JLE  conv8go
	// Fewer than 8 left: redo the last 8 (out is written, not added to).
	LEAQ -8(CX), BX

conv8go:
	VXORPS Y0, Y0, Y0
	VXORPS Y4, Y4, Y4
	VXORPS Y8, Y8, Y8
	LEAQ (SI)(BX*4), R13
	MOVQ R9, R11
	XORQ DX, DX

conv8rows:
	MOVQ (R8)(DX*8), AX
	ADDQ R13, AX
	VBROADCASTSS 0(R11), Y12
	VBROADCASTSS 4(R11), Y13
	VBROADCASTSS 8(R11), Y14
	VFMADD231PS -4(AX), Y12, Y0
	VFMADD231PS 0(AX), Y13, Y4
	VFMADD231PS 4(AX), Y14, Y8
	ADDQ $12, R11
	INCQ DX
	CMPQ DX, R10
	JLT  conv8rows

	VADDPS Y4, Y0, Y0
	VADDPS Y8, Y0, Y0
	VMOVUPS Y0, 0(DI)(BX*4)
	ADDQ $8, BX
	JMP  conv8

convdone:
	VZEROUPPER
	RET

// func dots9AVX(acc *float32, z, x0, x1, x2 *float32, n int, mask *int32)
// acc[8*(3r+t)+lane] += z[j]*x_r[j-1+t] over j in [1, n-1), lane = (j-1)%8
// for full blocks of 8; the last partial block is the block ending at n-1
// with its first lanes zeroed by mask (8 int32s). n >= 10.
TEXT ·dots9AVX(SB), NOSPLIT, $0-56
	MOVQ acc+0(FP), DI
	MOVQ z+8(FP), SI
	MOVQ x0+16(FP), R8
	MOVQ x1+24(FP), R9
	MOVQ x2+32(FP), R10
	MOVQ n+40(FP), CX
	MOVQ mask+48(FP), R11
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VMOVUPS 128(DI), Y4
	VMOVUPS 160(DI), Y5
	VMOVUPS 192(DI), Y6
	VMOVUPS 224(DI), Y7
	VMOVUPS 256(DI), Y8
	DECQ CX
	MOVQ $1, BX

dots8:
	LEAQ 8(BX), AX
	CMPQ AX, CX
	JGT  dotstail
	VMOVUPS (SI)(BX*4), Y9
	VFMADD231PS -4(R8)(BX*4), Y9, Y0
	VFMADD231PS 0(R8)(BX*4), Y9, Y1
	VFMADD231PS 4(R8)(BX*4), Y9, Y2
	VFMADD231PS -4(R9)(BX*4), Y9, Y3
	VFMADD231PS 0(R9)(BX*4), Y9, Y4
	VFMADD231PS 4(R9)(BX*4), Y9, Y5
	VFMADD231PS -4(R10)(BX*4), Y9, Y6
	VFMADD231PS 0(R10)(BX*4), Y9, Y7
	VFMADD231PS 4(R10)(BX*4), Y9, Y8
	MOVQ AX, BX
	JMP  dots8

dotstail:
	CMPQ BX, CX
	JGE  dotsdone
	LEAQ -8(CX), BX
	VMOVUPS (SI)(BX*4), Y9
	VANDPS  (R11), Y9, Y9
	VFMADD231PS -4(R8)(BX*4), Y9, Y0
	VFMADD231PS 0(R8)(BX*4), Y9, Y1
	VFMADD231PS 4(R8)(BX*4), Y9, Y2
	VFMADD231PS -4(R9)(BX*4), Y9, Y3
	VFMADD231PS 0(R9)(BX*4), Y9, Y4
	VFMADD231PS 4(R9)(BX*4), Y9, Y5
	VFMADD231PS -4(R10)(BX*4), Y9, Y6
	VFMADD231PS 0(R10)(BX*4), Y9, Y7
	VFMADD231PS 4(R10)(BX*4), Y9, Y8

dotsdone:
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	VMOVUPS Y8, 256(DI)
	VZEROUPPER
	RET

// func sumSqAVX(x *float32, n int, acc *float64)
// acc[0:4] += lanes of sum x, acc[4:8] += lanes of sum x*x, in float64,
// over n (a multiple of 8) values.
TEXT ·sumSqAVX(SB), NOSPLIT, $0-24
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ acc+16(FP), DI
	VMOVUPD 0(DI), Y0
	VXORPD  Y1, Y1, Y1
	VMOVUPD 32(DI), Y2
	VXORPD  Y3, Y3, Y3
	XORQ BX, BX

sumsq8:
	CMPQ BX, CX
	JGE  sumsqdone
	VCVTPS2PD 0(SI)(BX*4), Y4
	VCVTPS2PD 16(SI)(BX*4), Y5
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VFMADD231PD Y4, Y4, Y2
	VFMADD231PD Y5, Y5, Y3
	ADDQ $8, BX
	JMP  sumsq8

sumsqdone:
	VADDPD Y1, Y0, Y0
	VADDPD Y3, Y2, Y2
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y2, 32(DI)
	VZEROUPPER
	RET

// Constants of the vector expf, one per 32-byte row (kernels_amd64.go).
#define C_LO      32
#define C_LOG2E   64
#define C_LN2HI   96
#define C_LN2LO   128
#define C_P0      160
#define C_P1      192
#define C_P2      224
#define C_P3      256
#define C_P4      288
#define C_P5      320
#define C_ONE     352
#define C_QUARTER 384
#define C_127     416

// ELU(u) -> a (activation), and stores ELU'(u) (1 or exp(u)) at dst.
// R9: constants; Y11: zero. Clobbers Y0-Y3. Same steps as expf (convblock.go),
// with round-to-nearest-even for n and fused multiply-adds.
#define ELU8(u, a, dst) \
	VMINPS Y11, u, Y0; \
	VMAXPS C_LO(R9), Y0, Y0; \
	VMULPS C_LOG2E(R9), Y0, Y1; \
	VROUNDPS $0, Y1, Y1; \
	VFNMADD231PS C_LN2HI(R9), Y1, Y0; \
	VFNMADD231PS C_LN2LO(R9), Y1, Y0; \
	VMOVUPS C_P0(R9), Y2; \
	VFMADD213PS C_P1(R9), Y0, Y2; \
	VFMADD213PS C_P2(R9), Y0, Y2; \
	VFMADD213PS C_P3(R9), Y0, Y2; \
	VFMADD213PS C_P4(R9), Y0, Y2; \
	VFMADD213PS C_P5(R9), Y0, Y2; \
	VMULPS Y0, Y0, Y3; \
	VFMADD213PS Y0, Y3, Y2; \
	VADDPS C_ONE(R9), Y2, Y2; \
	VCVTPS2DQ Y1, Y1; \
	VPADDD C_127(R9), Y1, Y1; \
	VPSLLD $23, Y1, Y1; \
	VMULPS Y1, Y2, Y2; \
	VCMPPS $1, C_LO(R9), u, Y3; \
	VANDNPS Y2, Y3, Y2; \
	VCMPPS $14, Y11, u, Y3; \
	VSUBPS C_ONE(R9), Y2, Y0; \
	VBLENDVPS Y3, u, Y0, a; \
	VBLENDVPS Y3, C_ONE(R9), Y2, Y2; \
	VMOVUPS Y2, dst

// NORM8(z, u): z = (z-m)*is stored back (x-hat), u = g*xhat + be.
// Y12 m, Y13 is, Y14 g, Y15 be.
#define NORM8(zaddr, u) \
	VMOVUPS zaddr, u; \
	VSUBPS Y12, u, u; \
	VMULPS Y13, u, u; \
	VMOVUPS u, zaddr; \
	VFMADD213PS Y15, Y14, u

// func normEluPoolAVX(z0, z1, d0, d1, y *float32, n int, p *float32, c *float32)
// Two rows of n (a multiple of 16) conv outputs: z <- xhat = (z-m)*is,
// d <- ELU'(g*xhat+be), y[j] = mean of the 2x2 window of ELU(g*xhat+be).
// p: m, is, g, be. c: the constant table.
TEXT ·normEluPoolAVX(SB), NOSPLIT, $0-64
	MOVQ z0+0(FP), SI
	MOVQ z1+8(FP), R8
	MOVQ d0+16(FP), DI
	MOVQ d1+24(FP), R10
	MOVQ y+32(FP), DX
	MOVQ n+40(FP), CX
	MOVQ p+48(FP), AX
	MOVQ c+56(FP), R9
	VBROADCASTSS 0(AX), Y12
	VBROADCASTSS 4(AX), Y13
	VBROADCASTSS 8(AX), Y14
	VBROADCASTSS 12(AX), Y15
	VXORPS Y11, Y11, Y11
	XORQ BX, BX

nep16:
	CMPQ BX, CX
	JGE  nepdone
	NORM8(0(SI)(BX*4), Y4)
	ELU8(Y4, Y4, 0(DI)(BX*4))
	NORM8(32(SI)(BX*4), Y5)
	ELU8(Y5, Y5, 32(DI)(BX*4))
	NORM8(0(R8)(BX*4), Y6)
	ELU8(Y6, Y6, 0(R10)(BX*4))
	NORM8(32(R8)(BX*4), Y7)
	ELU8(Y7, Y7, 32(R10)(BX*4))
	VADDPS Y6, Y4, Y4
	VADDPS Y7, Y5, Y5
	VHADDPS Y5, Y4, Y4
	VPERMPD $0xD8, Y4, Y4
	VMULPS C_QUARTER(R9), Y4, Y4
	VMOVUPS Y4, (DX)
	ADDQ $32, DX
	ADDQ $16, BX
	JMP  nep16

nepdone:
	VZEROUPPER
	RET

// func normEluAVX(z, d *float32, n int, p *float32, c *float32)
// One row without pooling (an odd last row): z <- xhat, d <- ELU'.
// n a multiple of 8.
TEXT ·normEluAVX(SB), NOSPLIT, $0-40
	MOVQ z+0(FP), SI
	MOVQ d+8(FP), DI
	MOVQ n+16(FP), CX
	MOVQ p+24(FP), AX
	MOVQ c+32(FP), R9
	VBROADCASTSS 0(AX), Y12
	VBROADCASTSS 4(AX), Y13
	VBROADCASTSS 8(AX), Y14
	VBROADCASTSS 12(AX), Y15
	VXORPS Y11, Y11, Y11
	XORQ BX, BX

ne8:
	CMPQ BX, CX
	JGE  nedone
	NORM8(0(SI)(BX*4), Y4)
	ELU8(Y4, Y4, 0(DI)(BX*4))
	ADDQ $8, BX
	JMP  ne8

nedone:
	VZEROUPPER
	RET

// func unpoolGradAVX(a0, a1, x0, x1, gy *float32, n int, acc *float64)
// Two rows of n (a multiple of 8) ELU derivatives a: a *= gy[j/2]/4 (the
// pool's gradient spread over its window), and in float64 lanes
// acc[0:4] += a, acc[4:8] += a*x over both rows.
TEXT ·unpoolGradAVX(SB), NOSPLIT, $0-56
	MOVQ a0+0(FP), SI
	MOVQ a1+8(FP), R8
	MOVQ x0+16(FP), R9
	MOVQ x1+24(FP), R10
	MOVQ gy+32(FP), DX
	MOVQ n+40(FP), CX
	MOVQ acc+48(FP), DI
	VMOVUPD 0(DI), Y8
	VXORPD  Y9, Y9, Y9
	VMOVUPD 32(DI), Y10
	VXORPD  Y11, Y11, Y11
	MOVL $0x3e800000, AX // 0.25
	MOVQ AX, X15
	VBROADCASTSS X15, X15
	XORQ BX, BX

ug8:
	CMPQ BX, CX
	JGE  ugdone
	VMULPS (DX), X15, X0
	VUNPCKLPS X0, X0, X1
	VUNPCKHPS X0, X0, X2
	VINSERTF128 $1, X2, Y1, Y1
	VMULPS (SI)(BX*4), Y1, Y2
	VMULPS (R8)(BX*4), Y1, Y3
	VMOVUPS Y2, (SI)(BX*4)
	VMOVUPS Y3, (R8)(BX*4)
	VCVTPS2PD X2, Y4
	VEXTRACTF128 $1, Y2, X5
	VCVTPS2PD X5, Y5
	VCVTPS2PD X3, Y6
	VEXTRACTF128 $1, Y3, X7
	VCVTPS2PD X7, Y7
	VADDPD Y4, Y8, Y8
	VADDPD Y5, Y9, Y9
	VADDPD Y6, Y8, Y8
	VADDPD Y7, Y9, Y9
	VCVTPS2PD 0(R9)(BX*4), Y12
	VCVTPS2PD 16(R9)(BX*4), Y13
	VFMADD231PD Y12, Y4, Y10
	VFMADD231PD Y13, Y5, Y11
	VCVTPS2PD 0(R10)(BX*4), Y12
	VCVTPS2PD 16(R10)(BX*4), Y13
	VFMADD231PD Y12, Y6, Y10
	VFMADD231PD Y13, Y7, Y11
	ADDQ $16, DX
	ADDQ $8, BX
	JMP  ug8

ugdone:
	VADDPD Y9, Y8, Y8
	VADDPD Y11, Y10, Y10
	VMOVUPD Y8, 0(DI)
	VMOVUPD Y10, 32(DI)
	VZEROUPPER
	RET

// func bnBackAVX(gr, xh *float32, n int, p *float32)
// gr = scale*(gr - mg - xh*mgx) over n (a multiple of 8); p: scale, mg, mgx.
TEXT ·bnBackAVX(SB), NOSPLIT, $0-32
	MOVQ gr+0(FP), DI
	MOVQ xh+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ p+24(FP), AX
	VBROADCASTSS 0(AX), Y13
	VBROADCASTSS 4(AX), Y14
	VBROADCASTSS 8(AX), Y15
	XORQ BX, BX

bb16:
	LEAQ 16(BX), AX
	CMPQ AX, CX
	JGT  bb8
	VMOVUPS 0(DI)(BX*4), Y0
	VMOVUPS 32(DI)(BX*4), Y1
	VSUBPS Y14, Y0, Y0
	VSUBPS Y14, Y1, Y1
	VFNMADD231PS 0(SI)(BX*4), Y15, Y0
	VFNMADD231PS 32(SI)(BX*4), Y15, Y1
	VMULPS Y13, Y0, Y0
	VMULPS Y13, Y1, Y1
	VMOVUPS Y0, 0(DI)(BX*4)
	VMOVUPS Y1, 32(DI)(BX*4)
	MOVQ AX, BX
	JMP  bb16

bb8:
	CMPQ BX, CX
	JGE  bbdone
	VMOVUPS 0(DI)(BX*4), Y0
	VSUBPS Y14, Y0, Y0
	VFNMADD231PS 0(SI)(BX*4), Y15, Y0
	VMULPS Y13, Y0, Y0
	VMOVUPS Y0, 0(DI)(BX*4)

bbdone:
	VZEROUPPER
	RET
