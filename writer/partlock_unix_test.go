//go:build unix

package writer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/augsplit/augsplit/schema"
)

// QA: a seal run while a retried copy of a part still wrote into the
// stage removed the stage under it and lost its samples. Parts hold OUT's
// lock shared for their whole run; seal refuses at once while one does,
// naming it, and leaves the stage alone.
func TestSealRefusesWhileAPartRuns(t *testing.T) {
	samples := splitMajor(makeSamples(40))
	counts := splitCounts(samples)
	units := Units(counts, 0, 8)
	dir := t.TempDir()
	st := DirStore(nil, dir)
	if err := writeUnits(t, st, samples, units, 0, 1, nil); err != nil {
		t.Fatal(err)
	}
	unlockA, err := LockPart(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	unlockB, err := LockPart(dir, nil) // a second copy of the part
	if err != nil {
		t.Fatalf("a second part could not share the lock: %v", err)
	}
	_, err = Seal(context.Background(), st, SealOptions{})
	var pe *PartsRunningError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "then seal") {
		t.Fatalf("Seal while parts run = %v, want a *PartsRunningError", err)
	}
	if runtime.GOOS == "linux" && (!slices.Contains(pe.PIDs, os.Getpid()) || !strings.Contains(err.Error(), strconv.Itoa(os.Getpid()))) {
		t.Errorf("Seal's refusal %q does not name the parts' pid %d", err, os.Getpid())
	}
	if _, err := os.Stat(filepath.Join(dir, schema.StageDir)); err != nil {
		t.Fatalf("the refused seal touched the stage: %v", err)
	}
	// A one-machine run is refused the same way.
	if _, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp9"}); !errors.As(err, new(*PartsRunningError)) {
		t.Fatalf("Open while parts run = %v, want a *PartsRunningError", err)
	}
	unlockA()
	if _, err := os.Stat(filepath.Join(dir, schema.LockFile)); err != nil {
		t.Fatalf("the first part to finish removed the lock file under the other: %v", err)
	}
	if _, err := Seal(context.Background(), st, SealOptions{}); !errors.As(err, new(*PartsRunningError)) {
		t.Fatalf("Seal while one part still runs = %v, want a *PartsRunningError", err)
	}
	unlockB()
	if _, err := os.Stat(filepath.Join(dir, schema.LockFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left after the last part (stat: %v)", err)
	}
	if _, err := Seal(context.Background(), st, SealOptions{}); err != nil {
		t.Fatalf("Seal after the parts = %v", err)
	}
}

// A part cannot start while a seal or a one-machine run holds OUT: it
// fails at once naming the holder's pid.
func TestPartRefusedWhileOutLocked(t *testing.T) {
	dir := t.TempDir()
	o, err := Open(context.Background(), dir, Options{Classes: testClasses, Fingerprint: "fp1"})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Abort()
	_, err = LockPart(dir, nil)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("LockPart under a one-machine run = %v, want a *LockedError naming pid %d", err, os.Getpid())
	}
}
