package generate

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"path"
	"path/filepath"
	"regexp"

	"github.com/augsplit/augsplit/conf"
	"github.com/augsplit/augsplit/dataset"
	"github.com/augsplit/augsplit/hub"
	"github.com/augsplit/augsplit/internal/safefile"
	"github.com/augsplit/augsplit/schema"
	"github.com/augsplit/augsplit/split"
	"github.com/augsplit/augsplit/writer"
)

// SplitConfig is `augsplit split`: the same guarantees for a folder of real
// images, without augmentation.
type SplitConfig struct {
	In             string  `json:"in"`
	Out            string  `json:"-"`
	Val            float64 `json:"val"`
	Test           float64 `json:"test"`
	Seed           uint64  `json:"seed"`
	GroupRegex     string  `json:"group_regex"`
	Link           bool    `json:"link"`
	SkipBad        bool    `json:"skip_bad"`
	MaxPixels      int     `json:"max_pixels"`
	FollowSymlinks bool    `json:"follow_symlinks"`
	Force          bool    `json:"-"`
	// Name, License, Description: as Config's (croissant.json, README.md).
	Name        string `json:"name,omitempty"`
	License     string `json:"license,omitempty"`
	Description string `json:"description,omitempty"`
	URL         string `json:"url,omitempty"`
	Creator     string `json:"creator,omitempty"`
	Date        string `json:"date,omitempty"`
}

// Validate checks the settings split shares with generate's config keys
// (url, date), each mistake a *conf.Error naming its key, joined.
func (c SplitConfig) Validate() error {
	return conf.Check([]conf.Field{
		conf.Value("url", &c.URL, conf.HTTPURL),
		conf.Value("date", &c.Date, conf.Date),
	})
}

// Split copies (or hard-links) every source image into OUT/<split>/<class>/,
// split stratified and by group, and writes manifest and card.
func Split(ctx context.Context, cfg SplitConfig, opts Options) (*schema.Card, error) {
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = defaultMaxPixels
	}
	cfg.In = InputPath(cfg.In)
	var re *regexp.Regexp
	if cfg.GroupRegex != "" {
		var err error
		if re, err = regexp.Compile(cfg.GroupRegex); err != nil {
			return nil, fmt.Errorf("--group-regex %q: %w", cfg.GroupRegex, err)
		}
		if re.NumSubexp() < 1 {
			return nil, fmt.Errorf("--group-regex %q has no capture group: mark the group part of the file name with ( ), e.g. '^(patient\\d+)_'", cfg.GroupRegex)
		}
	}
	if err := dataset.CheckSeparate(cfg.In, cfg.Out); err != nil {
		return nil, err
	}
	tree, err := dataset.Scan(ctx, cfg.In, scanOptions(cfg.MaxPixels, cfg.SkipBad, cfg.FollowSymlinks))
	if err != nil {
		return nil, err
	}
	logScan(logw, tree)
	items := make([]split.Item, len(tree.Sources))
	groups := make([]string, len(tree.Sources)) // recorded in the card for train's evidence count
	var ungrouped []string
	for i, s := range tree.Sources {
		g := s.Path // default: each file its own group
		if re != nil {
			if m := re.FindStringSubmatch(path.Base(s.Path)); m != nil {
				g = s.Class + "\x00" + m[1]
				groups[i] = m[1]
			} else {
				ungrouped = append(ungrouped, s.Path)
			}
		}
		items[i] = split.Item{Class: s.Class, Group: g}
	}
	if len(ungrouped) > 0 && len(ungrouped) == len(tree.Sources) {
		// A typo would otherwise split every file on its own and leak
		// each group across splits.
		return nil, &GroupRegexError{Regex: cfg.GroupRegex, Files: len(ungrouped), Example: ungrouped[0]}
	}
	if len(ungrouped) > 0 {
		fmt.Fprintf(logw, "warning: --group-regex matched no group in %d of %d file names (each is its own group), e.g. %s\n", len(ungrouped), len(tree.Sources), ungrouped[0])
	}
	plan, err := split.Plan(items, split.Fractions{Val: cfg.Val, Test: cfg.Test}, cfg.Seed)
	if err != nil {
		return nil, err
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("record config: %w", err)
	}
	pw := planWarnings(plan.Classes, Config{})
	unit := "files" // each file is its own group
	if re != nil {
		unit = "groups"
	}
	if w := fractionWarning(plan.Classes, cfg.Val, cfg.Test, unit); w != "" {
		pw = append(pw, w)
	}
	for _, w := range pw {
		fmt.Fprintf(logw, "warning: %s\n", w)
	}
	classes := classList(tree)
	card := &schema.Card{
		Tool: "augsplit", Version: Version, Command: "split", Seed: cfg.Seed, Config: cfgJSON,
		SplitLevel: splitLevels(plan.Classes), NonImages: tree.NonImages, Skipped: tree.Skipped, Renamed: tree.Renamed,
		Warnings: append(append([]string(nil), tree.Warnings...), pw...),
	}
	card.Fingerprint = fingerprint(card, tree)
	jobs := make([]job, len(plan.Order))
	for seq, idx := range plan.Order {
		jobs[seq] = job{seq: seq, src: idx, split: plan.Assign[idx]}
	}
	card.Sources = sourceInfo(tree, func(i int) string { return plan.Assign[i] }) // one item per source
	for i := range card.Sources {
		card.Sources[i].Group = groups[i]
	}
	splitCounts := map[string]int{}
	for _, sp := range plan.Assign {
		splitCounts[sp]++
	}
	var splits []string
	for _, sp := range schema.Splits() {
		if splitCounts[sp] > 0 {
			splits = append(splits, sp)
		}
	}
	out, err := writer.Open(ctx, cfg.Out, writer.Options{
		Metadata: hub.Files,
		Classes:  classes, Splits: splits, Formats: []string{schema.FormatFolder}, Force: cfg.Force,
		Fingerprint: card.Fingerprint, FS: opts.FS, SplitCounts: splitCounts,
	})
	if err != nil {
		return nil, checkUpToDate(ctx, cfg.Out, err)
	}
	classIndex := map[string]int{}
	for i, c := range classes {
		classIndex[c] = i
	}
	for i, j := range jobs {
		if err := ctx.Err(); err != nil {
			out.Abort()
			return nil, err
		}
		s := tree.Sources[j.src]
		full := filepath.Join(tree.Root, filepath.FromSlash(s.Path))
		data, err := safefile.ReadFile(ctx, full, dataset.SourceMaxBytes(cfg.MaxPixels))
		if err != nil {
			out.Abort()
			if safefile.IsRefused(err) || ctx.Err() != nil {
				return nil, err
			}
			return nil, fmt.Errorf("read %s: %w", full, err)
		}
		sum := sha256.Sum256(data)
		channels, depth := fileFormat(data)
		id := fitID(s.Class+"_"+s.Stem, "")
		sample := &writer.Sample{
			Record: schema.Record{
				ID: id, Split: j.split, Class: s.Class, ClassIndex: classIndex[s.Class],
				Source: dataset.EscapePath(s.Path), SourceSHA256: s.SHA256, Variant: 0, Params: json.RawMessage("[]"),
				Width: s.Width, Height: s.Height, Channels: channels, BitDepth: depth,
				SHA256: hex.EncodeToString(sum[:]),
			},
			Data: data,
			Ext:  extFor(s.Format),
		}
		if cfg.Link {
			sample.LinkFrom = full
		}
		if err := out.Put(ctx, sample); err != nil {
			out.Abort()
			return nil, err
		}
		if opts.Progress != nil {
			opts.Progress(i+1, len(jobs))
		}
	}
	if err := out.Commit(card); err != nil {
		out.Abort()
		return nil, err
	}
	return card, nil
}

// GroupRegexError says --group-regex matched none of the file names: every
// file would be its own group, which is what a typo in the pattern looks
// like, so split refuses rather than leak the real groups across splits.
type GroupRegexError struct {
	Regex   string
	Files   int
	Example string // one of the file names, relative to --in
}

func (e *GroupRegexError) Error() string {
	return fmt.Sprintf("--group-regex %q matches none of the %d file names (e.g. %s): check the pattern against the names, or leave it out to make each file its own group",
		e.Regex, e.Files, path.Base(e.Example))
}

// fileFormat reports the channels and bit depth of an image file as the
// manifest records them: the copy keeps the file's own format, so they are
// the file's (a PNG's from its header: grey 1, grey+alpha 2, RGB and
// palette 3, RGBA 4; other formats' from their colour model).
func fileFormat(data []byte) (channels, depth int) {
	if dataset.Sniff(data) == dataset.FormatPNG && len(data) >= 26 && string(data[12:16]) == "IHDR" {
		depth = 8
		if data[24] == 16 {
			depth = 16
		}
		switch data[25] {
		case 0:
			return 1, depth
		case 4:
			return 2, depth
		case 6:
			return 4, depth
		}
		return 3, depth
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 3, 8
	}
	switch cfg.ColorModel {
	case color.GrayModel:
		return 1, 8
	case color.Gray16Model:
		return 1, 16
	case color.NRGBAModel:
		return 4, 8
	case color.NRGBA64Model:
		return 4, 16
	case color.RGBA64Model:
		return 3, 16
	}
	return 3, 8
}

// extFor names a copied file by its sniffed format, not by whatever
// extension it had, so "x.PNG" and a JPEG saved as ".png" both come out right.
func extFor(format string) string {
	switch format {
	case "jpeg":
		return ".jpg"
	case "tiff":
		return ".tif"
	case "":
		return ".png"
	}
	return "." + format
}
