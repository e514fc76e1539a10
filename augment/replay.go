package augment

import (
	"fmt"
	"image"
	"math"
	"strings"
)

// Replay re-renders src through recorded transforms, as a manifest holds
// them (decoded JSON works: numbers may be float64). It gives the same pixels
// as the Pipeline.Apply call that recorded them.
func Replay(src image.Image, applied []Applied) (image.Image, error) {
	cur := normalize(src)
	for i, a := range applied {
		t, err := construct(a.Name, nil)
		if err != nil {
			return nil, fmt.Errorf("replay step %d (%s): %w", i, a.Name, err)
		}
		out, err := t.Replay(cur, a.Params)
		if err != nil {
			return nil, fmt.Errorf("replay step %d (%s): %w", i, a.Name, err)
		}
		cur = out
	}
	if !atOrigin(cur) {
		cur = clone(cur)
	}
	return cur, nil
}

// params reads recorded parameters, accepting the number types that either a
// Transform or encoding/json produce.
type params map[string]any

func paramError(key, msg string) error {
	return fmt.Errorf("parameter %q: %s", key, msg)
}

func (p params) num(key string) (float64, error) {
	v, ok := p[key]
	if !ok {
		return 0, paramError(key, "missing")
	}
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	case uint64:
		f = float64(n)
	default:
		return 0, paramError(key, fmt.Sprintf("want a number, got %T", v))
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, paramError(key, "not a finite number")
	}
	return f, nil
}

func (p params) integer(key string) (int, error) {
	f, err := p.num(key)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, paramError(key, "want a whole number")
	}
	return int(f), nil
}

func (p params) seed() (uint64, error) {
	switch n := p["seed"].(type) {
	case uint64:
		return n, nil
	case int:
		if n >= 0 {
			return uint64(n), nil
		}
	case float64:
		if n >= 0 && n < 1<<53 && n == math.Trunc(n) {
			return uint64(n), nil
		}
	}
	return 0, paramError("seed", "want a whole number below 2^53")
}

func (p params) choice(key string, names []string) (int, error) {
	s, ok := p[key].(string)
	for i, n := range names {
		if ok && s == n {
			return i, nil
		}
	}
	return 0, paramError(key, "want one of "+strings.Join(names, ", "))
}

func (p params) border() (Border, float64, error) {
	i, err := p.choice("border", borderNames)
	if err != nil {
		return 0, 0, err
	}
	b := Border(i)
	if b != BorderConstant {
		return b, 0, nil
	}
	v, err := p.num("value")
	return b, v, err
}
