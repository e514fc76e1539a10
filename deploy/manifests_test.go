// Package deploy checks the engines' files under deploy/ offline: the
// Kubernetes manifests decode strictly into the k8s.io/api types (an unknown
// or misspelt field is an error, as the API server's strict validation
// would make it), the AWS Batch JSON decodes strictly into the fields of
// the Batch API it uses, and every engine runs exactly the command lines
// that `make scale-demo` runs, which scripts/scale-demo.sh prints with
// --print-commands. It is its own module so that k8s.io/api stays out of
// augsplit's go.mod.
package deploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

const (
	k8sDir   = "k8s"
	batchDir = "aws-batch"
	demo     = "../scripts/scale-demo.sh"
)

// The engine-neutral names of the three values the command lines take;
// scale-demo.sh prints them as ${NAME}.
const (
	varIn    = "AUGSPLIT_IN"
	varOut   = "AUGSPLIT_OUT"
	varParts = "AUGSPLIT_PARTS"
)

// demoCommands runs scale-demo.sh --print-commands: the generate, seal and
// verify command lines (augsplit's arguments, without the program name),
// with the variables unexpanded. Reading them from the script that runs
// them, rather than from a copy, is what makes drift fail here.
func demoCommands(t *testing.T) (generate, seal, verify []string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found: cannot ask scale-demo.sh for its command lines")
	}
	cmd := exec.Command(bash, demo, "--print-commands")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s --print-commands: %v\n%s", demo, err, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("%s --print-commands: want 3 lines (generate, seal, verify), got %d:\n%s", demo, len(lines), out)
	}
	var cmds [3][]string
	for i, want := range []string{"generate", "seal", "verify"} {
		cmds[i] = strings.Split(lines[i], "\t")
		if cmds[i][0] != want {
			t.Fatalf("%s --print-commands: line %d is %q, want the %s command", demo, i+1, lines[i], want)
		}
	}
	return cmds[0], cmds[1], cmds[2]
}

// decodeYAML decodes file strictly: unknown and duplicate fields are
// errors.
func decodeYAML(t *testing.T, file string, into any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(data, into); err != nil {
		t.Fatalf("%s: %v (a field Kubernetes does not have, or one given twice)", file, err)
	}
}

// decodeJSON decodes file strictly into into: unknown fields and trailing
// data are errors.
func decodeJSON(t *testing.T, file string, into any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeJSONBytes(data, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func decodeJSONBytes(data []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if dec.More() {
		return errTrailing
	}
	return nil
}

var errTrailing = errors.New("data after the JSON object")

// k8sRef is Kubernetes's $(NAME) in a container's args.
var k8sRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// neutralK8s writes Kubernetes's $(NAME) the way scale-demo.sh prints a
// variable, ${NAME}.
func neutralK8s(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = k8sRef.ReplaceAllString(a, "$${$1}")
	}
	return out
}

func sameCommand(t *testing.T, where string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s runs\n  augsplit %s\nbut make scale-demo runs\n  augsplit %s\n(change one to match the other: scripts/scale-demo.sh prints its lines with --print-commands)",
			where, strings.Join(got, " "), strings.Join(want, " "))
	}
}

// dataset is the ConfigMap both Jobs take their variables from.
func dataset(t *testing.T) corev1.ConfigMap {
	t.Helper()
	var cm corev1.ConfigMap
	decodeYAML(t, filepath.Join(k8sDir, "dataset.yaml"), &cm)
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || cm.Name != "augsplit-dataset" {
		t.Fatalf("dataset.yaml: want the v1 ConfigMap augsplit-dataset, got %s %s %q", cm.APIVersion, cm.Kind, cm.Name)
	}
	for _, k := range []string{varIn, varOut, varParts} {
		if cm.Data[k] == "" {
			t.Errorf("dataset.yaml: no %s: the Jobs' command lines need it", k)
		}
	}
	return cm
}

// checkContainer checks that every $(NAME) in c's args is defined for c,
// by env or by an envFrom ConfigMap key (Kubernetes passes an undefined
// reference on literally, which augsplit would read as a path), and that c
// takes the dataset ConfigMap and the optional AWS Secret.
func checkContainer(t *testing.T, file string, c corev1.Container, cm corev1.ConfigMap) {
	t.Helper()
	defined := map[string]bool{}
	for _, e := range c.Env {
		defined[e.Name] = true
	}
	fromCM, fromSecret := false, false
	for _, src := range c.EnvFrom {
		switch {
		case src.ConfigMapRef != nil && src.ConfigMapRef.Name == cm.Name:
			fromCM = true
			for k := range cm.Data {
				defined[src.Prefix+k] = true
			}
		case src.SecretRef != nil && src.SecretRef.Name == "augsplit-aws":
			fromSecret = true
			if src.SecretRef.Optional == nil || !*src.SecretRef.Optional {
				t.Errorf("%s: container %s: the Secret augsplit-aws should be optional (IRSA needs none)", file, c.Name)
			}
		}
	}
	if !fromCM {
		t.Errorf("%s: container %s does not take envFrom the ConfigMap %s", file, c.Name, cm.Name)
	}
	if !fromSecret {
		t.Errorf("%s: container %s does not take envFrom the Secret augsplit-aws", file, c.Name)
	}
	for _, a := range c.Args {
		for _, m := range k8sRef.FindAllStringSubmatch(a, -1) {
			if !defined[m[1]] {
				t.Errorf("%s: container %s: $(%s) is defined by neither env nor %s", file, c.Name, m[1], cm.Name)
			}
		}
	}
	if len(c.Command) != 0 {
		t.Errorf("%s: container %s sets command %q: leave the image's ENTRYPOINT (/augsplit) and give args", file, c.Name, c.Command)
	}
	if c.Image != "augsplit" {
		t.Errorf("%s: container %s: image %q, want \"augsplit\" (kustomization.yaml's images: entry names the registry)", file, c.Name, c.Image)
	}
}

func failsJobOnExit(rules []batchv1.PodFailurePolicyRule, container string, code int32) bool {
	for _, r := range rules {
		if r.OnExitCodes == nil || r.OnExitCodes.Operator != batchv1.PodFailurePolicyOnExitCodesOpIn {
			continue
		}
		if r.OnExitCodes.ContainerName != nil && *r.OnExitCodes.ContainerName != container {
			continue
		}
		if slices.Contains(r.OnExitCodes.Values, code) {
			return r.Action == batchv1.PodFailurePolicyActionFailJob
		}
	}
	return false
}

func TestGenerateJob(t *testing.T) {
	generate, _, _ := demoCommands(t)
	cm := dataset(t)
	file := filepath.Join(k8sDir, "generate-job.yaml")
	var job batchv1.Job
	decodeYAML(t, file, &job)
	if job.Kind != "Job" || job.APIVersion != "batch/v1" {
		t.Fatalf("%s: want a batch/v1 Job, got %s %s", file, job.APIVersion, job.Kind)
	}
	spec := job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("%s: completionMode is not Indexed: pods would get no JOB_COMPLETION_INDEX", file)
	}
	parts, err := strconv.Atoi(cm.Data[varParts])
	if err != nil || parts < 1 {
		t.Fatalf("dataset.yaml: %s=%q: want a whole number >= 1", varParts, cm.Data[varParts])
	}
	if spec.Completions == nil || int(*spec.Completions) != parts {
		t.Errorf("%s: completions %v, but dataset.yaml's %s (--parts) is %d: one index per part", file, deref(spec.Completions), varParts, parts)
	}
	if spec.Parallelism == nil || *spec.Parallelism < 1 || int(*spec.Parallelism) > parts {
		t.Errorf("%s: parallelism %v: want 1..%d (completions)", file, deref(spec.Parallelism), parts)
	}
	if spec.BackoffLimitPerIndex == nil {
		t.Errorf("%s: no backoffLimitPerIndex: a failed index should be retried on its own", file)
	}
	pod := spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("%s: restartPolicy %q: a podFailurePolicy needs Never", file, pod.RestartPolicy)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%s: want one container, got %d", file, len(pod.Containers))
	}
	c := pod.Containers[0]
	if spec.PodFailurePolicy == nil || !failsJobOnExit(spec.PodFailurePolicy.Rules, c.Name, 2) {
		t.Errorf("%s: exit code 2 (a usage error) of container %s does not fail the Job: every index would retry it", file, c.Name)
	}
	checkContainer(t, file, c, cm)
	sameCommand(t, file, neutralK8s(c.Args), generate)
	if slices.Contains(c.Args, "--part") {
		t.Errorf("%s: gives --part: each pod must take it from JOB_COMPLETION_INDEX", file)
	}
}

func TestSealJob(t *testing.T) {
	_, seal, verify := demoCommands(t)
	cm := dataset(t)
	file := filepath.Join(k8sDir, "seal-job.yaml")
	var job batchv1.Job
	decodeYAML(t, file, &job)
	if job.Kind != "Job" || job.APIVersion != "batch/v1" {
		t.Fatalf("%s: want a batch/v1 Job, got %s %s", file, job.APIVersion, job.Kind)
	}
	if job.Spec.Suspend == nil || !*job.Spec.Suspend {
		t.Errorf("%s: not suspended: `kubectl apply -k` would seal before the parts are written", file)
	}
	if job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == batchv1.IndexedCompletion {
		t.Errorf("%s: Indexed: seal runs once", file)
	}
	pod := job.Spec.Template.Spec
	if len(pod.InitContainers) != 1 || len(pod.Containers) != 1 {
		t.Fatalf("%s: want seal as the one init container and verify as the one container; got %d and %d",
			file, len(pod.InitContainers), len(pod.Containers))
	}
	s, v := pod.InitContainers[0], pod.Containers[0]
	checkContainer(t, file, s, cm)
	checkContainer(t, file, v, cm)
	sameCommand(t, file+" (init container "+s.Name+")", neutralK8s(s.Args), seal)
	sameCommand(t, file+" (container "+v.Name+")", neutralK8s(v.Args), verify)
	if job.Spec.PodFailurePolicy == nil || !failsJobOnExit(job.Spec.PodFailurePolicy.Rules, v.Name, 1) {
		t.Errorf("%s: verify's exit 1 (problems found) does not fail the Job: a retry finds the same problems", file)
	}
}

// kustomization holds the fields of kustomize's Kustomization this
// directory uses; decoded strictly, so a misspelt key fails.
type kustomization struct {
	APIVersion   string   `json:"apiVersion"`
	Kind         string   `json:"kind"`
	Resources    []string `json:"resources"`
	Images       []image  `json:"images"`
	Replacements []struct {
		Source struct {
			Kind      string `json:"kind"`
			Name      string `json:"name"`
			FieldPath string `json:"fieldPath"`
		} `json:"source"`
		Targets []struct {
			Select struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"select"`
			FieldPaths []string `json:"fieldPaths"`
		} `json:"targets"`
	} `json:"replacements"`
}

type image struct {
	Name    string `json:"name"`
	NewName string `json:"newName"`
	NewTag  string `json:"newTag"`
}

func TestKustomization(t *testing.T) {
	file := filepath.Join(k8sDir, "kustomization.yaml")
	var k kustomization
	decodeYAML(t, file, &k)
	manifests, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range manifests {
		if base := filepath.Base(m); base != "kustomization.yaml" && !slices.Contains(k.Resources, base) {
			t.Errorf("%s: resources do not list %s: `kubectl apply -k` would leave it out", file, base)
		}
	}
	if len(k.Images) != 1 || k.Images[0].Name != "augsplit" || k.Images[0].NewName == "" {
		t.Errorf("%s: want one images: entry renaming \"augsplit\" to your registry's image, got %+v", file, k.Images)
	}
	found := false
	for _, r := range k.Replacements {
		if r.Source.Kind != "ConfigMap" || r.Source.Name != "augsplit-dataset" || r.Source.FieldPath != "data."+varParts {
			continue
		}
		for _, tg := range r.Targets {
			if tg.Select.Kind == "Job" && tg.Select.Name == "augsplit-generate" && slices.Contains(tg.FieldPaths, "spec.completions") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("%s: no replacement from augsplit-dataset's data.%s to augsplit-generate's spec.completions: N would be set in two places", file, varParts)
	}
}

// TestKustomizeBuild runs kustomize itself (kubectl kustomize, offline)
// when kubectl is installed, with N changed in dataset.yaml alone, and
// checks the built Job has one index per part and decodes strictly.
func TestKustomizeBuild(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found: kustomize's output not checked (TestKustomization checks the file)")
	}
	dir := t.TempDir()
	entries, err := os.ReadDir(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(k8sDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "dataset.yaml" {
			data = regexp.MustCompile(`(?m)^(\s*`+varParts+`:\s*)"\d+"`).ReplaceAll(data, []byte(`${1}"7"`))
			if !bytes.Contains(data, []byte(`"7"`)) {
				t.Fatalf("dataset.yaml: %s is not written as a quoted number: cannot change it for the test", varParts)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("kubectl kustomize deploy/k8s: %v\n%s", err, stderr)
	}
	jobs := 0
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var head struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("kustomize output: %v", err)
		}
		if head.Kind != "Job" {
			continue
		}
		jobs++
		var job batchv1.Job
		if err := yaml.UnmarshalStrict([]byte(doc), &job); err != nil {
			t.Fatalf("kustomize output, Job %s: %v", head.Metadata.Name, err)
		}
		for _, c := range append(job.Spec.Template.Spec.InitContainers, job.Spec.Template.Spec.Containers...) {
			if !strings.HasPrefix(c.Image, "registry.example.com/augsplit:") {
				t.Errorf("kustomize output, Job %s: image %q not renamed by images:", head.Metadata.Name, c.Image)
			}
		}
		if head.Metadata.Name == "augsplit-generate" && (job.Spec.Completions == nil || *job.Spec.Completions != 7) {
			t.Errorf("kustomize output: with %s \"7\", augsplit-generate has completions %v, want 7", varParts, deref(job.Spec.Completions))
		}
	}
	if jobs != 2 {
		t.Errorf("kustomize output holds %d Jobs, want 2 (generate, seal)", jobs)
	}
}

// The fields of AWS Batch's RegisterJobDefinition and SubmitJob requests
// these files use (aws batch ... --cli-input-json), decoded strictly: a
// misspelt or unsupported key fails here rather than at submission.
type jobDefinition struct {
	JobDefinitionName    string            `json:"jobDefinitionName"`
	Type                 string            `json:"type"`
	PlatformCapabilities []string          `json:"platformCapabilities"`
	Parameters           map[string]string `json:"parameters"`
	RetryStrategy        *struct {
		Attempts       int `json:"attempts"`
		EvaluateOnExit []struct {
			OnExitCode     string `json:"onExitCode,omitempty"`
			OnReason       string `json:"onReason,omitempty"`
			OnStatusReason string `json:"onStatusReason,omitempty"`
			Action         string `json:"action"`
		} `json:"evaluateOnExit"`
	} `json:"retryStrategy"`
	Timeout *struct {
		AttemptDurationSeconds int `json:"attemptDurationSeconds"`
	} `json:"timeout"`
	PropagateTags       bool `json:"propagateTags"`
	ContainerProperties struct {
		Image                string   `json:"image"`
		Command              []string `json:"command"`
		JobRoleArn           string   `json:"jobRoleArn"`
		ResourceRequirements []struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"resourceRequirements"`
		Environment []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"environment"`
	} `json:"containerProperties"`
}

type submitJob struct {
	JobName         string `json:"jobName"`
	JobQueue        string `json:"jobQueue"`
	JobDefinition   string `json:"jobDefinition"`
	ArrayProperties *struct {
		Size int `json:"size"`
	} `json:"arrayProperties"`
	DependsOn []struct {
		JobID string `json:"jobId"`
		Type  string `json:"type,omitempty"`
	} `json:"dependsOn"`
	Parameters map[string]string `json:"parameters"`
}

// batchParam maps a job definition's Ref::name to the neutral variable.
var batchParam = map[string]string{"in": varIn, "out": varOut, "parts": varParts}

func neutralBatch(t *testing.T, file string, cmd []string) []string {
	t.Helper()
	out := make([]string, len(cmd))
	for i, a := range cmd {
		if name, ok := strings.CutPrefix(a, "Ref::"); ok {
			v, known := batchParam[name]
			if !known {
				t.Errorf("%s: Ref::%s is none of in, out, parts", file, name)
			}
			a = "${" + v + "}"
		}
		out[i] = a
	}
	return out
}

func TestAWSBatch(t *testing.T) {
	generate, seal, verify := demoCommands(t)
	cases := []struct {
		def, submit string
		want        []string
		array       bool
	}{
		{"job-definition.json", "submit-job.json", generate, true},
		{"seal-job-definition.json", "submit-seal-job.json", seal, false},
		{"verify-job-definition.json", "submit-verify-job.json", verify, false},
	}
	outs := map[string]string{}
	for _, c := range cases {
		defFile, subFile := filepath.Join(batchDir, c.def), filepath.Join(batchDir, c.submit)
		var def jobDefinition
		var sub submitJob
		decodeJSON(t, defFile, &def)
		decodeJSON(t, subFile, &sub)
		if def.Type != "container" || def.ContainerProperties.Image == "" {
			t.Errorf("%s: want a container job with an image", defFile)
		}
		if sub.JobDefinition != def.JobDefinitionName {
			t.Errorf("%s submits %q, but %s registers %q", subFile, sub.JobDefinition, defFile, def.JobDefinitionName)
		}
		sameCommand(t, defFile, neutralBatch(t, defFile, def.ContainerProperties.Command), c.want)
		for _, a := range def.ContainerProperties.Command {
			name, ok := strings.CutPrefix(a, "Ref::")
			if ok && sub.Parameters[name] == "" && def.Parameters[name] == "" {
				t.Errorf("%s: Ref::%s has no value in %s nor a default: Batch would pass it literally", defFile, name, subFile)
			}
		}
		outs[subFile] = sub.Parameters["out"]
		exitOnUsage := false
		if def.RetryStrategy != nil {
			for _, e := range def.RetryStrategy.EvaluateOnExit {
				if e.OnExitCode == "2" {
					exitOnUsage = strings.EqualFold(e.Action, "EXIT")
					break
				}
			}
		}
		if !exitOnUsage {
			t.Errorf("%s: exit code 2 (a usage error) is retried: want an evaluateOnExit {onExitCode: \"2\", action: EXIT} before any catch-all", defFile)
		}
		if !c.array {
			if sub.ArrayProperties != nil {
				t.Errorf("%s: an array job: %s runs once", subFile, c.want[0])
			}
			continue
		}
		if sub.ArrayProperties == nil {
			t.Fatalf("%s: no arrayProperties: one child per part is what sets AWS_BATCH_JOB_ARRAY_INDEX", subFile)
		}
		parts, err := strconv.Atoi(sub.Parameters["parts"])
		if err != nil || parts != sub.ArrayProperties.Size {
			t.Errorf("%s: arrayProperties.size %d but parameters.parts %q (--parts): one child per part",
				subFile, sub.ArrayProperties.Size, sub.Parameters["parts"])
		}
		if d := def.Parameters["parts"]; d != "" && d != sub.Parameters["parts"] {
			t.Errorf("%s: default parts %q differs from %s's %q", defFile, d, subFile, sub.Parameters["parts"])
		}
	}
	first := outs[filepath.Join(batchDir, "submit-job.json")]
	for f, o := range outs {
		if o != first {
			t.Errorf("%s: out %q, but submit-job.json writes %q: seal and verify must name the generated dataset", f, o, first)
		}
	}
}

// TestStrictDecoding makes sure the decoders above do refuse what they
// should, so a passing test means the files were really checked.
func TestStrictDecoding(t *testing.T) {
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte("apiVersion: batch/v1\nkind: Job\nspec:\n  completion: 3\n"), &job); err == nil {
		t.Error("yaml.UnmarshalStrict took an unknown Job field (completion)")
	}
	if err := yaml.UnmarshalStrict([]byte("spec:\n  completions: 3\n  completions: 4\n"), &job); err == nil {
		t.Error("yaml.UnmarshalStrict took a duplicate field")
	}
	var def jobDefinition
	if err := decodeJSONBytes([]byte(`{"containerProperties": {"comand": ["seal"]}}`), &def); err == nil {
		t.Error("the Batch decoder took an unknown field (comand)")
	}
	if got := neutralK8s([]string{"--in", "$(AUGSPLIT_IN)", "x$(A)y"}); !slices.Equal(got, []string{"--in", "${AUGSPLIT_IN}", "x${A}y"}) {
		t.Errorf("neutralK8s: got %q", got)
	}
}

// TestBinaryModuleFree keeps the test-only modules out of the binary's
// go.mod: they live here, in deploy/go.mod.
func TestBinaryModuleFree(t *testing.T) {
	data, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"k8s.io/", "sigs.k8s.io/"} {
		if bytes.Contains(data, []byte(m)) {
			t.Errorf("../go.mod requires %s...: keep it in deploy/go.mod, out of augsplit's dependencies", m)
		}
	}
}

func deref(p *int32) any {
	if p == nil {
		return "(unset)"
	}
	return *p
}
