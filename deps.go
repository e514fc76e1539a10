//go:build tools

package tools

import (
	_ "github.com/disintegration/imaging"
	_ "github.com/schollz/progressbar/v3"
	_ "go4.org/unsafe/assume-no-moving-gc"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/font"
	_ "golang.org/x/term"
	_ "gonum.org/v1/plot"
	_ "gopkg.in/yaml.v3"
	_ "gorgonia.org/gorgonia"
	_ "gorgonia.org/tensor"
)
