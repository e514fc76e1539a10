package dataset

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestScanPermissionsAsNobody makes the unreadable-file row of the fault
// table count where tests run as root (CI does), where permission bits do
// not stop reads and TestScanPermissions has to skip: it re-runs that test
// from a copy of this test binary as the unprivileged user nobody.
func TestScanPermissionsAsNobody(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("not root: TestScanPermissions itself checks permissions")
	}
	dir, err := os.MkdirTemp("", "augsplit-perm-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "dataset.test")
	if err := copyExecutable(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^TestScanPermissions$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+os.TempDir(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("TestScanPermissions as nobody: %v\n%s", err, out)
	}
	for _, want := range []string{"--- PASS: TestScanPermissions/unreadable_file", "--- PASS: TestScanPermissions/unreadable_folder"} {
		if !strings.Contains(string(out), want) || strings.Contains(string(out), "SKIP") {
			t.Fatalf("TestScanPermissions did not run as nobody (want %q):\n%s", want, out)
		}
	}
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
