package train

import (
	"fmt"
	"math"
)

// directStep is one training step of the fused network written out rather
// than run by Gorgonia's tape machine: the conv blocks' own forward and
// backward passes (blockForward, blockBackward), then flatten, Dense + ELU,
// the output Dense, log-softmax and cross-entropy, and their gradients.
// At batch 4 the tape machine's bookkeeping (~900 allocations and ~50
// instructions a step, around a head of a few thousand multiply-adds) cost
// as much as the convolutions themselves. Every buffer is allocated once
// (a step allocates only parallelFor's closures). TestModelGradient checks
// it against central differences and TestFusedMatchesReference against the
// network built from Gorgonia's own ops.
type directStep[T float32 | float64] struct {
	a        arch
	batch    int
	x, y     []T   // the net's input and one-hot label tensors
	w, g     [][]T // parameters (shared tensors) and their gradients, in specs order
	blocks   []*convBlockOp
	act      [][]T // act[k]: input of block k; act[Blocks]: the flattened features (B x D)
	gact     [][]T // gradient of act[k], k >= 1
	h, hd    []T   // dense layer: ELU output and ELU' (B x U)
	dh       []T   // gradient at the dense layer's pre-activation
	logp, dz []T   // log-probabilities and the gradient at the logits (B x K)
	cost     float64
}

func newDirectStep[T float32 | float64](a arch, batch int, x, y []T, weights [][]T) *directStep[T] {
	s := &directStep[T]{a: a, batch: batch, x: x, y: y, w: weights}
	for _, w := range weights {
		s.g = append(s.g, make([]T, len(w)))
	}
	c, h, w := a.C, a.H, a.W
	s.act = append(s.act, x)
	s.gact = append(s.gact, nil)
	for b := range a.Blocks {
		s.blocks = append(s.blocks, newConvBlockOp(batch, c, h, w, a.Filters, a.BNMomentum, a.BNEpsilon, b > 0))
		c, h, w = a.Filters, h/2, w/2
		s.act = append(s.act, make([]T, batch*c*h*w))
		s.gact = append(s.gact, make([]T, batch*c*h*w))
	}
	u, k := a.Dense, a.Classes
	s.h, s.hd, s.dh = make([]T, batch*u), make([]T, batch*u), make([]T, batch*u)
	s.logp, s.dz = make([]T, batch*k), make([]T, batch*k)
	return s
}

// run computes the loss, log-probabilities and every gradient for the
// batch in x and y, updating the batch norms' running statistics.
func (s *directStep[T]) run() error {
	a, B := s.a, s.batch
	for k, op := range s.blocks {
		blockForward(op, s.act[k], s.w[3*k], s.w[3*k+1], s.w[3*k+2], s.act[k+1])
	}
	p := 3 * a.Blocks
	feat := s.act[a.Blocks]
	D, U, K := a.flat(), a.Dense, a.Classes
	w1, b1, w2, b2 := s.w[p], s.w[p+1], s.w[p+2], s.w[p+3]

	// Dense + ELU. ELU' is kept as 1 or exp(u) = ELU(u)+1.
	for b := range B {
		h, hd := s.h[b*U:(b+1)*U], s.hd[b*U:(b+1)*U]
		matVec(h, feat[b*D:(b+1)*D], w1, U)
		for j, v := range b1[:len(h)] {
			if v += h[j]; v > 0 {
				h[j], hd[j] = v, 1
			} else {
				e := T(math.Expm1(float64(v)))
				h[j], hd[j] = e, e+1
			}
		}
	}
	// Output layer, log-softmax and cross-entropy -mean(sum(y*logp)).
	s.cost = 0
	for b := range B {
		z := s.logp[b*K : (b+1)*K]
		matVec(z, s.h[b*U:(b+1)*U], w2, K)
		mx := math.Inf(-1)
		for j := range z {
			z[j] += b2[j]
			mx = math.Max(mx, float64(z[j]))
		}
		var se float64
		for _, v := range z {
			se += math.Exp(float64(v) - mx)
		}
		lse := mx + math.Log(se)
		var sy float64
		y := s.y[b*K : (b+1)*K]
		for j := range z {
			lp := float64(z[j]) - lse
			z[j] = T(lp)
			s.cost -= float64(y[j]) * lp
			sy += float64(y[j])
		}
		// d cost / d logit = (softmax*sum(y) - y) / B.
		for j := range z {
			s.dz[b*K+j] = T((math.Exp(float64(z[j]))*sy - float64(y[j])) / float64(B))
		}
	}
	s.cost /= float64(B)
	if math.IsNaN(s.cost) || math.IsInf(s.cost, 0) {
		return fmt.Errorf("loss is %v", s.cost)
	}

	// Backward through the head, in sample order.
	gw1, gb1, gw2, gb2 := s.g[p], s.g[p+1], s.g[p+2], s.g[p+3]
	clear(gw1)
	clear(gb1)
	clear(gw2)
	clear(gb2)
	for b := range B {
		dz := s.dz[b*K : (b+1)*K]
		outerAdd(gw2, s.h[b*U:(b+1)*U], dz)
		for j, v := range dz {
			gb2[j] += v
		}
		dh, hd := s.dh[b*U:(b+1)*U], s.hd[b*U:(b+1)*U]
		matTVec(dh, dz, w2, K)
		for j, d := range hd[:len(dh)] {
			dh[j] *= d
		}
		for j, v := range dh[:len(gb1)] {
			gb1[j] += v
		}
		outerAdd(gw1, feat[b*D:(b+1)*D], dh)
		matTVec(s.gact[a.Blocks][b*D:(b+1)*D], dh, w1, U)
	}
	for k := a.Blocks - 1; k >= 0; k-- {
		op := s.blocks[k]
		blockBackward(op, s.act[k], s.w[3*k], s.w[3*k+1], s.gact[k+1], s.gact[k])
		copy(s.g[3*k], op.dw.([]T))
		copy(s.g[3*k+1], op.dgamma.([]T))
		copy(s.g[3*k+2], op.dbeta.([]T))
	}
	return nil
}

// matVec sets out (n) to v * m for a row vector v and a len(v) x n
// row-major m.
func matVec[T float32 | float64](out, v, m []T, n int) {
	clear(out)
	out = out[:n]
	for d, x := range v {
		row := m[d*n : (d+1)*n]
		for j := range out {
			out[j] += x * row[j]
		}
	}
}

// matTVec sets out (len(out)) to m * v for a len(out) x n row-major m:
// the product with m's transpose.
func matTVec[T float32 | float64](out, v, m []T, n int) {
	v = v[:n]
	for d := range out {
		row := m[d*n : (d+1)*n]
		var s T
		for j, x := range v {
			s += x * row[j]
		}
		out[d] = s
	}
}

// outerAdd adds the outer product of u and v to the len(u) x len(v)
// row-major m.
func outerAdd[T float32 | float64](m, u, v []T) {
	n := len(v)
	for d, x := range u {
		row := m[d*n : (d+1)*n]
		for j, y := range v {
			row[j] += x * y
		}
	}
}
