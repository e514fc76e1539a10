package augment_test

import (
	"encoding/json"
	"fmt"
	"image"
	"os"

	"github.com/augsplit/augsplit/augment"
	"gopkg.in/yaml.v3"
)

// One sample: its random stream comes from (seed, source checksum, variant),
// so any worker making it gets the same pixels and the same record.
func ExamplePipeline_Apply() {
	src := image.NewGray(image.Rect(0, 0, 64, 64))
	p := augment.DefaultPipeline()
	img, applied := p.Apply(src, augment.NewRand(1, "9f86d081884c7d65", 3))
	fmt.Printf("%T %v\n", img, img.Bounds())
	for _, a := range applied {
		js, _ := json.Marshal(a)
		fmt.Println(string(js))
	}
	// Output:
	// *image.Gray (0,0)-(64,64)
	// {"name":"rotate","params":{"angle":75.3178,"border":"reflect101"}}
	// {"name":"hflip","params":{}}
	// {"name":"gaussian_noise","params":{"seed":4285491168359206,"sigma":0.5047}}
}

func ExampleParsePipelineYAML() {
	p, err := augment.ParsePipelineYAML([]byte(`
- {name: rotate, degrees: [-15, 15], border: constant, value: 0}
- {name: elastic, p: 0.5, sigma: [5, 10]}
- {name: gamma, gamma: [0.8, 1.2]}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The printed form spells out every default: what --print-config shows.
	yaml.NewEncoder(os.Stdout).Encode(p)

	_, err = augment.ParsePipelineYAML([]byte("- {name: rotate, degrees: [0, 720]}\n"))
	fmt.Println(err)
	// Output:
	// - {name: rotate, p: 1, degrees: [-15, 15], border: constant, value: 0}
	// - {name: elastic, p: 0.5, grid: 3, sigma: [5, 10], border: reflect101, value: 0}
	// - {name: gamma, p: 1, gamma: [0.8, 1.2]}
	// line 1: degrees: 720 is out of range (valid: -360 to 360)
}
