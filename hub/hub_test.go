package hub_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/hub"
	"github.com/augsplit/augsplit/schema"
	"gopkg.in/yaml.v3"
)

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func testCard() *schema.Card {
	return &schema.Card{
		Tool: "augsplit", Version: "0.2.0", Command: "generate", Seed: 7,
		Config:      json.RawMessage(`{"in":"cells","per_source":5,"seed":7,"license":"cc-by-4.0","pipeline":[{"name":"hflip","p":0.5}]}`),
		Fingerprint: strings.Repeat("ab", 32),
		Classes:     []string{"a0", "a1", "a10", "a2"},
		Splits:      []string{schema.Train, schema.Val, schema.Test},
		Counts: map[string]map[string]int{
			"a0": {"train": 8, "val": 2, "test": 2}, "a1": {"train": 8, "val": 2, "test": 2},
			"a10": {"train": 8, "val": 2, "test": 2}, "a2": {"train": 3, "val": 1, "test": 1},
		},
		SplitLevel: map[string]string{"a0": schema.LevelSource, "a1": schema.LevelSource, "a10": schema.LevelSource, "a2": schema.LevelVariant},
		Total:      41,
		Sources:    make([]schema.Source, 9),
		Formats:    []string{schema.FormatFolder, schema.FormatWebDataset},
		Shards: []schema.Shard{
			{Format: schema.FormatWebDataset, Split: "train", Path: "webdataset/train-000000.tar", Samples: 27, Bytes: 1024, SHA256: strings.Repeat("cd", 32)},
		},
		ManifestSHA256: strings.Repeat("ef", 32),
	}
}

// TestCroissantRequiredFields checks croissant.json against the Croissant
// 1.0 specification (http://mlcommons.org/croissant/1.0, "Dataset-level
// information", Required; "Modified and Added Properties"; FileObject,
// FileSet, RecordSet and Field). The spec's required table also lists url,
// creator and datePublished: augsplit cannot know where the dataset will be
// published or by whom, and a date would break same-command-same-bytes, so
// they are present and typed when --url, --creator and --date are given and
// left out otherwise (both tested).
func TestCroissantRequiredFields(t *testing.T) {
	t.Run("without url creator date", func(t *testing.T) { testCroissant(t, testCard(), false) })
	t.Run("with url creator date", func(t *testing.T) {
		card := testCard()
		card.Config = json.RawMessage(`{"in":"cells","per_source":5,"seed":7,"license":"cc-by-4.0","url":"https://example.org/cells","creator":"Ada Lovelace","date":"2026-03-01","pipeline":[{"name":"hflip","p":0.5}]}`)
		testCroissant(t, card, true)
	})
}

var isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func testCroissant(t *testing.T, card *schema.Card, given bool) {
	b, err := hub.Croissant(card)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("croissant.json is not JSON: %v", err)
	}
	text := func(m map[string]any, key, where string) string {
		t.Helper()
		s, ok := m[key].(string)
		if !ok || s == "" {
			t.Errorf("%s: %q is %T %v, want non-empty text", where, key, m[key], m[key])
		}
		return s
	}
	list := func(m map[string]any, key, where string) []any {
		t.Helper()
		l, ok := m[key].([]any)
		if !ok || len(l) == 0 {
			t.Errorf("%s: %q is %T, want a non-empty list", where, key, m[key])
		}
		return l
	}
	obj := func(v any, where string) map[string]any {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s is %T, want an object", where, v)
		}
		return m
	}

	// Required (ONE): @context (the Appendix 1 context), @type, dct:conformsTo, name, description; license (MANY).
	ctx := obj(doc["@context"], "@context")
	for k, want := range map[string]string{"@vocab": "https://schema.org/", "sc": "https://schema.org/", "cr": "http://mlcommons.org/croissant/", "dct": "http://purl.org/dc/terms/", "conformsTo": "dct:conformsTo", "recordSet": "cr:recordSet", "field": "cr:field", "jsonPath": "cr:jsonPath", "fileObject": "cr:fileObject", "includes": "cr:includes"} {
		if ctx[k] != want {
			t.Errorf("@context[%q] = %v, want %q", k, ctx[k], want)
		}
	}
	if doc["@type"] != "sc:Dataset" {
		t.Errorf("@type = %v, want sc:Dataset", doc["@type"])
	}
	if doc["conformsTo"] != hub.ConformsTo || hub.ConformsTo != "http://mlcommons.org/croissant/1.0" {
		t.Errorf("conformsTo = %v", doc["conformsTo"])
	}
	text(doc, "name", "dataset")
	text(doc, "description", "dataset")
	if text(doc, "license", "dataset") != "cc-by-4.0" {
		t.Errorf("license = %v, want the config's cc-by-4.0", doc["license"])
	}
	text(doc, "version", "dataset")
	if !given {
		for _, k := range []string{"url", "creator", "datePublished"} {
			if _, ok := doc[k]; ok {
				t.Errorf("%q present: augsplit cannot know it deterministically", k)
			}
		}
	} else {
		// url: sc:URL (text, absolute); creator: sc:Person or
		// sc:Organization (an object with a name); datePublished: sc:Date
		// (ISO 8601 text).
		if u := text(doc, "url", "dataset"); u != "https://example.org/cells" {
			t.Errorf("url = %q", u)
		}
		cr := obj(doc["creator"], "creator")
		if cr["@type"] != "sc:Person" && cr["@type"] != "sc:Organization" {
			t.Errorf("creator @type = %v, want sc:Person or sc:Organization", cr["@type"])
		}
		if text(cr, "name", "creator") != "Ada Lovelace" {
			t.Errorf("creator name = %v", cr["name"])
		}
		if d := text(doc, "datePublished", "dataset"); !isoDate.MatchString(d) || d != "2026-03-01" {
			t.Errorf("datePublished = %q, want 2026-03-01", d)
		}
	}

	// distribution: FileObject (name, contentUrl, encodingFormat, sha256) or FileSet (includes, encodingFormat).
	ids := map[string]bool{}
	var fileSets []string
	for i, d := range list(doc, "distribution", "dataset") {
		m := obj(d, "distribution entry")
		where := "distribution " + string(rune('0'+i))
		id := text(m, "@id", where)
		ids[id] = true
		text(m, "name", where)
		text(m, "encodingFormat", where)
		switch m["@type"] {
		case "cr:FileObject":
			text(m, "contentUrl", where)
			if !hex64.MatchString(text(m, "sha256", where)) {
				t.Errorf("%s: sha256 %v is not 64 hex digits", id, m["sha256"])
			}
		case "cr:FileSet":
			fileSets = append(fileSets, text(m, "includes", where))
		default:
			t.Errorf("%s: @type %v, want cr:FileObject or cr:FileSet", id, m["@type"])
		}
	}
	for _, want := range []string{schema.ManifestFile, schema.ClassesFile, "webdataset/train-000000.tar"} {
		if !ids[want] {
			t.Errorf("distribution lacks %s", want)
		}
	}
	if !slices.Equal(fileSets, []string{"train/*/*.png", "val/*/*.png", "test/*/*.png"}) {
		t.Errorf("file sets include %q, want one PNG glob per split", fileSets)
	}

	// recordSet: cr:RecordSet with cr:Field (name, dataType, source
	// naming a distribution entry and extracting a manifest key).
	var recKeys map[string]any
	rb, _ := json.Marshal(schema.Record{})
	json.Unmarshal(rb, &recKeys)
	var samples map[string]any
	for _, rs := range list(doc, "recordSet", "dataset") {
		m := obj(rs, "recordSet")
		if m["@type"] != "cr:RecordSet" {
			t.Errorf("recordSet @type %v", m["@type"])
		}
		if text(m, "name", "recordSet") == "samples" {
			samples = m
		}
		for _, f := range list(m, "field", "recordSet") {
			fm := obj(f, "field")
			if fm["@type"] != "cr:Field" {
				t.Errorf("field @type %v", fm["@type"])
			}
			text(fm, "name", "field")
			if dt := text(fm, "dataType", "field"); !strings.HasPrefix(dt, "sc:") {
				t.Errorf("field %v: dataType %q is not a schema.org type", fm["name"], dt)
			}
		}
	}
	if samples == nil {
		t.Fatal("no samples record set")
	}
	names := map[string]bool{}
	for _, f := range samples["field"].([]any) {
		fm := f.(map[string]any)
		names[fm["name"].(string)] = true
		src := obj(fm["source"], "field source")
		if id := obj(src["fileObject"], "source fileObject")["@id"]; !ids[id.(string)] {
			t.Errorf("field %v reads %v, not in the distribution", fm["name"], id)
		}
		path := obj(src["extract"], "source extract")["jsonPath"].(string)
		if _, ok := recKeys[strings.TrimPrefix(path, "$.")]; !ok {
			t.Errorf("field %v extracts %q, which is no manifest key", fm["name"], path)
		}
	}
	for _, want := range []string{"image", "label", "split", "source", "params"} {
		if !names[want] {
			t.Errorf("samples record set lacks field %q", want)
		}
	}
}

// frontMatter splits README.md into its YAML front matter and body.
func frontMatter(t *testing.T, readme []byte) (map[string]any, string) {
	t.Helper()
	s := string(readme)
	if !strings.HasPrefix(s, "---\n") {
		t.Fatalf("README.md does not start with front matter:\n%s", s)
	}
	fm, body, ok := strings.Cut(s[4:], "\n---\n")
	if !ok {
		t.Fatalf("front matter not closed")
	}
	var meta map[string]any
	if err := yaml.Unmarshal([]byte(fm), &meta); err != nil {
		t.Fatalf("front matter is not YAML: %v", err)
	}
	return meta, body
}

// TestReadmeHuggingFaceCard checks README.md against the Hugging Face
// dataset card specification (huggingface.co/docs/hub/datasets-cards and
// datasets-manual-configuration): YAML front matter with license,
// task_categories, size_categories, configs with data_files per split, and
// class_label names; and a body that says what was made and how.
func TestReadmeHuggingFaceCard(t *testing.T) {
	card := testCard()
	b, err := hub.Readme(card)
	if err != nil {
		t.Fatal(err)
	}
	meta, body := frontMatter(t, b)
	if meta["license"] != "cc-by-4.0" {
		t.Errorf("license = %v", meta["license"])
	}
	if tc, _ := meta["task_categories"].([]any); !slices.Contains(tc, any("image-classification")) {
		t.Errorf("task_categories = %v", meta["task_categories"])
	}
	if sc, _ := meta["size_categories"].([]any); len(sc) != 1 || sc[0] != "n<1K" {
		t.Errorf("size_categories = %v, want [n<1K] for 41 samples", meta["size_categories"])
	}
	if s, _ := meta["pretty_name"].(string); s == "" {
		t.Errorf("pretty_name = %v", meta["pretty_name"])
	}
	configs, _ := meta["configs"].([]any)
	if len(configs) != 1 {
		t.Fatalf("configs = %v", meta["configs"])
	}
	df, _ := configs[0].(map[string]any)["data_files"].([]any)
	var splits []string
	for _, d := range df {
		m := d.(map[string]any)
		splits = append(splits, m["split"].(string))
		if p, _ := m["path"].(string); p == "" {
			t.Errorf("data_files entry %v has no path", m)
		}
	}
	if !slices.Equal(splits, []string{"train", "validation", "test"}) {
		t.Errorf("data_files splits = %v", splits)
	}
	info := meta["dataset_info"].(map[string]any)
	feats := info["features"].([]any)
	label := feats[1].(map[string]any)
	names := label["dtype"].(map[string]any)["class_label"].(map[string]any)["names"].(map[string]any)
	for i, c := range card.Classes {
		if got := names[string(rune('0'+i))]; got != c {
			t.Errorf("class_label %d = %v, want %s", i, got, c)
		}
	}
	for _, want := range []string{"Seed: 7", "--per-source 5", "hflip", "a2 had fewer sources than splits", "| a10 | 2 | 8 | 2 | 2 | source |", "| total | | 27 | 7 | 7 |"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	for _, absent := range []string{"Curated by", "Homepage", "Published"} {
		if strings.Contains(body, absent) {
			t.Errorf("body says %q though no --creator, --url or --date was given", absent)
		}
	}

	// Given: the Hugging Face card template's places, in the body (its
	// front matter has none for them).
	card.Config = json.RawMessage(`{"license":"cc-by-4.0","name":"Cells","url":"https://example.org/cells","creator":"Ada Lovelace","date":"2026-03-01"}`)
	b, err = hub.Readme(card)
	if err != nil {
		t.Fatal(err)
	}
	meta, body = frontMatter(t, b)
	if meta["pretty_name"] != "Cells" {
		t.Errorf("pretty_name = %v, want Cells", meta["pretty_name"])
	}
	for _, want := range []string{"Curated by: Ada Lovelace.", "Homepage: <https://example.org/cells>", "Published: 2026-03-01."} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestMissing(t *testing.T) {
	if got := (hub.Meta{}).Missing(); !slices.Equal(got, []string{"url", "creator", "datePublished"}) {
		t.Errorf("Missing() of nothing = %q", got)
	}
	if got := (hub.Meta{URL: "https://x.org", Creator: "A"}).Missing(); !slices.Equal(got, []string{"datePublished"}) {
		t.Errorf("Missing() without date = %q", got)
	}
	if got := (hub.Meta{URL: "https://x.org", Creator: "A", Date: "2026-01-01"}).Missing(); got != nil {
		t.Errorf("Missing() of all = %q", got)
	}
}

func TestDefaultsAndDeterminism(t *testing.T) {
	card := testCard()
	card.Config = json.RawMessage(`{"per_source":5}`)
	a, err := hub.Files(card)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := hub.Files(card)
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two renders", name)
		}
	}
	meta, _ := frontMatter(t, a[schema.ReadmeFile])
	if meta["license"] != hub.DefaultLicense || meta["pretty_name"] != "augsplit-abababababab" {
		t.Errorf("defaults: license %v, name %v", meta["license"], meta["pretty_name"])
	}

}
