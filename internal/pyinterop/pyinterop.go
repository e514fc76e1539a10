// Package pyinterop runs the Python script with which a codec's tests
// check its format against an independent implementation: the package's
// testdata/interop.py, which uses Python's standard library only and has
// two modes, "read FILE" (print FILE's contents as JSON) and "write FILE"
// (write the JSON on its standard input to FILE). Without python3 the test
// is skipped, saying why.
package pyinterop

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Script is the path of the script, relative to the package under test.
var Script = filepath.Join("testdata", "interop.py")

func run(t testing.TB, stdin []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found: skipping the interoperability check against " + Script)
	}
	cmd := exec.Command(py, append([]string{Script}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// Read has the script read data, stored as a file called name, and decodes
// its JSON into out. It returns the script's standard error and exit
// error, so that a test can check that damaged data is refused.
func Read(t testing.TB, name string, data []byte, out any) (stderr string, err error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := run(t, nil, "read", p)
	if err != nil {
		return stderr, err
	}
	if err := json.Unmarshal([]byte(stdout), out); err != nil {
		t.Fatalf("%s read: %v\n%s", Script, err, stdout)
	}
	return stderr, nil
}

// Write has the script write spec, as JSON, and returns the bytes it wrote.
func Write(t testing.TB, spec any) []byte {
	t.Helper()
	js, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "py.out")
	if _, stderr, err := run(t, js, "write", p); err != nil {
		t.Fatalf("%s write: %v\n%s", Script, err, stderr)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
