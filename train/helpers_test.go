package train

import (
	"context"
	"math/rand/v2"
)

// shapesSet draws n images per class of obvious shapes on a noisy dark
// background at size x size: 0 a filled square, 1 a horizontal bar, 2 a
// vertical bar, 3 a diagonal, 4 a hollow frame. Positions and noise come
// from seed. Samples are interleaved by class (0,1,2,0,1,2,...).
func shapesSet(classes, n, size int, seed uint64) *Set {
	names := []string{"square", "hbar", "vbar", "diag", "frame"}[:classes]
	s := NewSet(1, size, size, names)
	r := rand.New(rand.NewPCG(seed, 99))
	for i := 0; i < n; i++ {
		for c := range classes {
			img := make([]uint8, size*size)
			for j := range img {
				img[j] = uint8(r.IntN(40))
			}
			set := func(x, y int) {
				if x >= 0 && y >= 0 && x < size && y < size {
					img[y*size+x] = uint8(200 + r.IntN(56))
				}
			}
			q := size / 4
			ox, oy := r.IntN(size/2-1), r.IntN(size/2-1)
			switch c {
			case 0:
				for y := range q + 2 {
					for x := range q + 2 {
						set(ox+x, oy+y)
					}
				}
			case 1:
				for x := range size - 2 {
					set(1+x, oy+q)
					set(1+x, oy+q+1)
				}
			case 2:
				for y := range size - 2 {
					set(ox+q, 1+y)
					set(ox+q+1, 1+y)
				}
			case 3:
				for d := range size {
					set(d, d)
					set(d+1, d)
				}
			case 4:
				for d := range size / 2 {
					set(ox+d, oy)
					set(ox+d, oy+size/2-1)
					set(ox, oy+d)
					set(ox+size/2-1, oy+d)
				}
			}
			s.Images = append(s.Images, img...)
			s.Labels = append(s.Labels, c)
			s.N++
		}
	}
	return s
}

func quickConfig(size int) Config {
	cfg := DefaultConfig()
	cfg.Size = size
	cfg.Blocks = 2
	cfg.Dense = 16
	cfg.Epochs = 2
	return cfg
}

func fitQuiet(cfg Config, trainSet, valSet *Set) (*Result, error) {
	return Fit(context.Background(), cfg, trainSet, valSet, Options{})
}
