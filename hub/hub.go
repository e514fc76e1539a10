// Package hub renders the metadata dataset hubs read from a finished
// dataset card: croissant.json (MLCommons Croissant 1.0) and README.md (a
// Hugging Face dataset card: YAML front matter and a body saying what was
// generated and how).
//
// Both are pure functions of the card, so the same command gives the same
// bytes: no clock, no host, no output path. The name, license,
// description, url, creator and publication date come from the card's
// config (--name, --license, --description, --url, --creator, --date);
// what they default to is in Meta.
package hub

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/augsplit/augsplit/schema"
	"gopkg.in/yaml.v3"
)

// DefaultLicense is the license recorded when --license is not given:
// augsplit cannot know the sources' license, and "unknown" is the value
// the Hugging Face hub accepts for exactly that (Croissant takes text).
const DefaultLicense = "unknown"

// ConformsTo is the Croissant version the metadata follows.
const ConformsTo = "http://mlcommons.org/croissant/1.0"

// Meta is what a user says about the dataset; empty fields get defaults.
type Meta struct {
	Name        string // default "augsplit-" + the first 12 digits of the fingerprint
	License     string // default DefaultLicense
	Description string // default a sentence from the card's counts
	// URL, Creator and Date (YYYY-MM-DD) have no default: augsplit cannot
	// know where or by whom the dataset will be published, and a clock
	// date would give the same command other bytes every day. Empty, they
	// are left out of croissant.json (whose spec requires them: see
	// Missing) and README.md.
	URL     string
	Creator string
	Date    string
}

// Missing lists the Croissant 1.0 required properties (url, creator,
// datePublished) that croissant.json lacks when m is what the user gave,
// so a command can say so before the validators do.
func (m Meta) Missing() []string {
	var out []string
	for _, p := range []struct{ v, name string }{{m.URL, "url"}, {m.Creator, "creator"}, {m.Date, "datePublished"}} {
		if p.v == "" {
			out = append(out, p.name)
		}
	}
	return out
}

// metaOf reads --name, --license, --description, --url, --creator and
// --date from the card's config and fills in the defaults.
func metaOf(card *schema.Card, cfg map[string]any) Meta {
	str := func(k string) string { s, _ := cfg[k].(string); return s }
	m := Meta{Name: str("name"), License: str("license"), Description: str("description"),
		URL: str("url"), Creator: str("creator"), Date: str("date")}
	if m.Name == "" {
		fp := card.Fingerprint
		if len(fp) > 12 {
			fp = fp[:12]
		}
		m.Name = "augsplit-" + fp
	}
	if m.License == "" {
		m.License = DefaultLicense
	}
	if m.Description == "" {
		verb := "augmented"
		if card.Command == "split" {
			verb = "split"
		}
		m.Description = fmt.Sprintf("%d images in %d classes (%s), %s by augsplit %s from %d source images with seed %d.",
			card.Total, len(card.Classes), splitCounts(card), verb, card.Version, len(card.Sources), card.Seed)
	}
	return m
}

// config decodes the card's effective configuration.
func config(card *schema.Card) (map[string]any, error) {
	cfg := map[string]any{}
	if len(card.Config) > 0 {
		if err := json.Unmarshal(card.Config, &cfg); err != nil {
			return nil, fmt.Errorf("read the card's config: %w", err)
		}
	}
	return cfg, nil
}

// Files renders croissant.json and README.md; it is writer.Options.Metadata.
func Files(card *schema.Card) (map[string][]byte, error) {
	c, err := Croissant(card)
	if err != nil {
		return nil, err
	}
	r, err := Readme(card)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{schema.CroissantFile: c, schema.ReadmeFile: r}, nil
}

// splitCounts is "train 80, val 20" over the card's splits.
func splitCounts(card *schema.Card) string {
	var parts []string
	for _, s := range card.Splits {
		parts = append(parts, fmt.Sprintf("%s %d", s, splitTotal(card, s)))
	}
	return strings.Join(parts, ", ")
}

func splitTotal(card *schema.Card, split string) int {
	n := 0
	for _, c := range card.Classes {
		n += card.Counts[c][split]
	}
	return n
}

// hfSplit is the Hugging Face name of a split: the hub's convention for
// the validation split is "validation".
func hfSplit(s string) string {
	if s == schema.Val {
		return "validation"
	}
	return s
}

// sizeCategory is the Hugging Face size_categories bucket of n samples.
func sizeCategory(n int) string {
	bounds := []struct {
		max  int
		name string
	}{
		{1_000, "n<1K"}, {10_000, "1K<n<10K"}, {100_000, "10K<n<100K"},
		{1_000_000, "100K<n<1M"}, {10_000_000, "1M<n<10M"}, {100_000_000, "10M<n<100M"},
	}
	for _, b := range bounds {
		if n < b.max {
			return b.name
		}
	}
	return "100M<n<1B"
}

// sampleGlob is the folder-format files of one split: PNGs for generate,
// any extension for split (it keeps or links the sources' files).
func sampleGlob(card *schema.Card, split string) string {
	if card.Command == "generate" {
		return split + "/*/*.png"
	}
	return split + "/*/*"
}

// pipelineYAML renders the recorded pipeline as YAML, "" when none.
func pipelineYAML(cfg map[string]any) (string, error) {
	p, ok := cfg["pipeline"]
	if !ok || p == nil {
		return "", nil
	}
	b, err := yaml.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("render pipeline: %w", err)
	}
	return string(b), nil
}

// builder makes YAML mappings in the given key order (yaml.v3 sorts Go
// maps, which would put label "10" before "2"), keeping the first error.
type builder struct{ err error }

func (y *builder) mapping(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	for i := 0; i+1 < len(kv); i += 2 {
		var k, v yaml.Node
		if err := k.Encode(kv[i]); err != nil && y.err == nil {
			y.err = err
		}
		if err := v.Encode(kv[i+1]); err != nil && y.err == nil {
			y.err = err
		}
		n.Content = append(n.Content, &k, &v)
	}
	return n
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// frontMatter is the Hugging Face dataset card metadata.
func frontMatter(card *schema.Card, m Meta) ([]byte, error) {
	var y builder
	mapping := y.mapping
	names := make([]any, 0, 2*len(card.Classes))
	for i, c := range card.Classes {
		names = append(names, fmt.Sprint(i), c)
	}
	var dataFiles []any
	var splits []any
	for _, s := range card.Splits {
		switch {
		case slices.Contains(card.Formats, schema.FormatFolder):
			dataFiles = append(dataFiles, mapping("split", hfSplit(s), "path", sampleGlob(card, s)))
		case slices.Contains(card.Formats, schema.FormatWebDataset):
			dataFiles = append(dataFiles, mapping("split", hfSplit(s), "path", schema.FormatWebDataset+"/"+s+"-*.tar"))
		}
		splits = append(splits, mapping("name", hfSplit(s), "num_examples", splitTotal(card, s)))
	}
	features := []any{
		mapping("name", "image", "dtype", "image"),
		mapping("name", "label", "dtype", mapping("class_label", mapping("names", mapping(names...)))),
	}
	kv := []any{
		"pretty_name", m.Name,
		"license", m.License,
		"task_categories", []string{"image-classification"},
		"size_categories", []string{sizeCategory(card.Total)},
		"tags", []string{"augsplit", "image-augmentation"},
	}
	if dataFiles != nil {
		// TFRecord alone has no Hugging Face loader: no configs then.
		kv = append(kv, "configs", []any{mapping("config_name", "default", "data_files", dataFiles)})
	}
	kv = append(kv, "dataset_info", mapping("features", features, "splits", splits))
	root := mapping(kv...)
	if y.err != nil {
		return nil, fmt.Errorf("render %s front matter: %w", schema.ReadmeFile, y.err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("render %s front matter: %w", schema.ReadmeFile, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("render %s front matter: %w", schema.ReadmeFile, err)
	}
	return buf.Bytes(), nil
}

// Readme renders README.md: front matter, then what was generated and how.
func Readme(card *schema.Card) ([]byte, error) {
	cfg, err := config(card)
	if err != nil {
		return nil, err
	}
	m := metaOf(card, cfg)
	fm, err := frontMatter(card, m)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("---\n%s---\n\n# %s\n\n%s\n\n", fm, m.Name, m.Description)
	p("License: %s.\n\n", m.License)
	// The Hugging Face card template's places for these are in the body
	// ("Curated by", "Homepage"); its front matter has none.
	if m.Creator != "" {
		p("Curated by: %s.\n\n", m.Creator)
	}
	if m.URL != "" {
		p("Homepage: <%s>\n\n", m.URL)
	}
	if m.Date != "" {
		p("Published: %s.\n\n", m.Date)
	}

	p("## What was generated\n\n")
	p("`augsplit %s` (version %s) wrote %d images in %d classes from %d source images", card.Command, card.Version, card.Total, len(card.Classes), len(card.Sources))
	if ps, ok := cfg["per_source"].(float64); ok {
		p(" (`--per-source %v`)", ps)
	}
	p(". Formats: %s.\n\n", strings.Join(card.Formats, ", "))
	p("| class | label |")
	for _, s := range card.Splits {
		p(" %s |", s)
	}
	p(" split level |\n|---|---|")
	for range card.Splits {
		p("---|")
	}
	p("---|\n")
	for i, c := range card.Classes {
		p("| %s | %d |", c, i)
		for _, s := range card.Splits {
			p(" %d |", card.Counts[c][s])
		}
		p(" %s |\n", card.SplitLevel[c])
	}
	p("| total | |")
	for _, s := range card.Splits {
		p(" %d |", splitTotal(card, s))
	}
	p(" |\n\n")

	p("## How\n\n")
	p("- Seed: %d. The same command on the same sources gives the same bytes (fingerprint `%s`).\n", card.Seed, card.Fingerprint)
	p("- Split by source: every variant of one source image is in the same split, so no near-duplicate crosses train and evaluation.")
	var variant []string
	for _, c := range card.Classes {
		if card.SplitLevel[c] == schema.LevelVariant {
			variant = append(variant, c)
		}
	}
	if len(variant) > 0 {
		p(" **Caveat:** %s had fewer sources than splits and were split at variant level: variants of one source are in several splits, so their evaluation scores are optimistic.", strings.Join(variant, ", "))
	}
	p("\n")
	if g, ok := cfg["group_regex"].(string); ok && g != "" {
		p("- Sources grouped by `--group-regex %s`.\n", g)
	}
	for _, w := range card.Warnings {
		p("- Warning: %s\n", w)
	}
	pipe, err := pipelineYAML(cfg)
	if err != nil {
		return nil, err
	}
	if pipe != "" {
		p("- Augmentation pipeline (each variant's drawn parameters are in `%s`, field `params`):\n\n```yaml\n%s```\n", schema.ManifestFile, pipe)
	}
	p("\n## Files\n\n")
	p("- `%s`: one JSON record per sample (id, split, class, label, source, variant, applied parameters, sha256).\n", schema.ManifestFile)
	p("- `%s`: the class names; line i is label i.\n", schema.ClassesFile)
	p("- `%s`: the sealed augsplit card (provenance, sources, counts, checksums); `augsplit verify` checks every file against it.\n", schema.CardFile)
	p("- `%s`: the same dataset described in MLCommons Croissant 1.0.\n", schema.CroissantFile)
	if slices.Contains(card.Formats, schema.FormatFolder) {
		p("- `train/`, `val/`, `test/`: one folder per class (torchvision `ImageFolder`, Keras `image_dataset_from_directory`, `datasets.load_dataset(\"imagefolder\")`).\n")
	}
	if slices.Contains(card.Formats, schema.FormatWebDataset) {
		p("- `webdataset/`: WebDataset tar shards (`.png`, `.cls`, `.json` per sample).\n")
	}
	if slices.Contains(card.Formats, schema.FormatTFRecord) {
		p("- `tfrecord/`: TFRecord shards of tf.train.Example.\n")
	}
	return b.Bytes(), nil
}

// croissantContext is the JSON-LD context of Croissant 1.0 (its
// Appendix 1), so that the short names below expand to its vocabulary.
func croissantContext() map[string]any {
	ctx := map[string]any{
		"@language":     "en",
		"@vocab":        "https://schema.org/",
		"sc":            "https://schema.org/",
		"cr":            "http://mlcommons.org/croissant/",
		"rai":           "http://mlcommons.org/croissant/RAI/",
		"dct":           "http://purl.org/dc/terms/",
		"conformsTo":    "dct:conformsTo",
		"data":          map[string]any{"@id": "cr:data", "@type": "@json"},
		"dataType":      map[string]any{"@id": "cr:dataType", "@type": "@vocab"},
		"examples":      map[string]any{"@id": "cr:examples", "@type": "@json"},
		"citeAs":        "cr:citeAs",
		"column":        "cr:column",
		"extract":       "cr:extract",
		"field":         "cr:field",
		"fileProperty":  "cr:fileProperty",
		"fileObject":    "cr:fileObject",
		"fileSet":       "cr:fileSet",
		"format":        "cr:format",
		"includes":      "cr:includes",
		"isLiveDataset": "cr:isLiveDataset",
		"jsonPath":      "cr:jsonPath",
		"key":           "cr:key",
		"md5":           "cr:md5",
		"parentField":   "cr:parentField",
		"path":          "cr:path",
		"recordSet":     "cr:recordSet",
		"references":    "cr:references",
		"regex":         "cr:regex",
		"repeated":      "cr:repeated",
		"replace":       "cr:replace",
		"separator":     "cr:separator",
		"source":        "cr:source",
		"subField":      "cr:subField",
		"transform":     "cr:transform",
	}
	return ctx
}

// Croissant renders croissant.json. url, creator and datePublished come
// from --url, --creator and --date and are left out when not given: a
// deterministic tool cannot know where or by whom the dataset will be
// published, and a clock would break same-command-same-bytes. The creator
// is recorded as a sc:Person with that name.
func Croissant(card *schema.Card) ([]byte, error) {
	cfg, err := config(card)
	if err != nil {
		return nil, err
	}
	m := metaOf(card, cfg)
	fileObject := func(path, format, sum string) map[string]any {
		return map[string]any{
			"@type": "cr:FileObject", "@id": path, "name": path,
			"contentUrl": path, "encodingFormat": format, "sha256": sum,
		}
	}
	classesSum := sha256Hex(schema.ClassesText(card.Classes))
	dist := []any{
		fileObject(schema.ManifestFile, "application/jsonlines", card.ManifestSHA256),
		fileObject(schema.ClassesFile, "text/plain", classesSum),
	}
	for _, sh := range card.Shards {
		format := "application/x-tar"
		if sh.Format == schema.FormatTFRecord {
			format = "application/x-tfrecord"
		}
		dist = append(dist, fileObject(sh.Path, format, sh.SHA256))
	}
	if slices.Contains(card.Formats, schema.FormatFolder) {
		format := "image/png"
		if card.Command != "generate" {
			format = "image/*" // split keeps each source's own format
		}
		for _, s := range card.Splits {
			dist = append(dist, map[string]any{
				"@type": "cr:FileSet", "@id": s + "-images", "name": s + "-images",
				"description":    fmt.Sprintf("the %s split's images, one folder per class", s),
				"encodingFormat": format, "includes": sampleGlob(card, s),
			})
		}
	}
	field := func(name, dataType, key, about string) map[string]any {
		return map[string]any{
			"@type": "cr:Field", "@id": "samples/" + name, "name": name,
			"description": about, "dataType": dataType,
			"source": map[string]any{
				"fileObject": map[string]any{"@id": schema.ManifestFile},
				"extract":    map[string]any{"jsonPath": "$." + key},
			},
		}
	}
	labels := make([]any, len(card.Classes))
	for i, c := range card.Classes {
		labels[i] = map[string]any{"classes/label": i, "classes/class": c}
	}
	doc := map[string]any{
		"@context":     croissantContext(),
		"@type":        "sc:Dataset",
		"conformsTo":   ConformsTo,
		"name":         m.Name,
		"description":  m.Description,
		"license":      m.License,
		"version":      card.Version,
		"keywords":     []string{"image-classification", "augsplit"},
		"distribution": dist,
		"recordSet": []any{
			map[string]any{
				"@type": "cr:RecordSet", "@id": "samples", "name": "samples",
				"description": "one record per image, read from " + schema.ManifestFile,
				"key":         map[string]any{"@id": "samples/id"},
				"field": []any{
					field("id", "sc:Text", "id", "sample id, unique in the dataset"),
					field("image", "sc:ImageObject", "path", "the image file, relative to the dataset folder (empty when written to shards only)"),
					field("label", "sc:Integer", "class_index", "label: the class's line in "+schema.ClassesFile),
					field("class", "sc:Text", "class", "class name"),
					field("split", "sc:Text", "split", "train, val or test"),
					field("source", "sc:Text", "source", "the source image it was made from, relative to the input folder"),
					field("source_sha256", "sc:Text", "source_sha256", "sha256 of the source file"),
					field("variant", "sc:Integer", "variant", "0 for the original, 1..N for augmented variants"),
					field("params", "sc:Text", "params", "the applied augmentation parameters (JSON), replayable with augsplit"),
					field("sha256", "sc:Text", "sha256", "sha256 of the image bytes"),
				},
			},
			map[string]any{
				"@type": "cr:RecordSet", "@id": "classes", "name": "classes",
				"description": "the label of each class",
				"dataType":    "sc:Enumeration",
				"key":         map[string]any{"@id": "classes/label"},
				"field": []any{
					map[string]any{"@type": "cr:Field", "@id": "classes/label", "name": "label", "dataType": "sc:Integer"},
					map[string]any{"@type": "cr:Field", "@id": "classes/class", "name": "class", "dataType": "sc:Text"},
				},
				"data": labels,
			},
		},
	}
	if m.URL != "" {
		doc["url"] = m.URL
	}
	if m.Creator != "" {
		doc["creator"] = map[string]any{"@type": "sc:Person", "name": m.Creator}
	}
	if m.Date != "" {
		doc["datePublished"] = m.Date
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", schema.CroissantFile, err)
	}
	return append(out, '\n'), nil
}
