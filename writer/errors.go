package writer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// ErrUpToDate is returned by Open when OUT already holds a finished dataset
// with the same fingerprint: the caller reports "already up to date" and
// writes nothing.
var ErrUpToDate = errors.New("output is already up to date")

// NotEmptyError is returned by Open when OUT holds something augsplit must
// not overwrite without being told to: files it did not write, a finished
// dataset of another configuration, or an unfinished run of another one.
type NotEmptyError struct {
	Dir    string
	Reason string // what was found, e.g. "holds files augsplit did not write"
	// Foreign is a file or folder under a name augsplit writes (train/,
	// dataset.json, ...) that augsplit cannot prove it wrote, relative to
	// Dir, slash separated. Force does not remove it, so the message does
	// not suggest it.
	Foreign string
	// Advice replaces the default "choose another --out or use --force"
	// where --force does not apply (generate --parts refuses it).
	Advice string
}

func (e *NotEmptyError) Error() string {
	if e.Foreign != "" {
		return fmt.Sprintf("output folder %s holds %s, which augsplit did not write, where augsplit writes its output: move it elsewhere or choose another --out (augsplit only ever removes files it can prove it wrote)", e.Dir, e.Foreign)
	}
	if e.Advice != "" {
		return fmt.Sprintf("output folder %s is not empty: it %s; %s", e.Dir, e.Reason, e.Advice)
	}
	return fmt.Sprintf("output folder %s is not empty: it %s; choose another --out or use --force to replace augsplit's files there", e.Dir, e.Reason)
}

// UnsafeDirError is returned by Open for an OUT that must never be an
// output folder, --force or not: the root folder, the user's home folder, or
// a folder holding a version-control root (.git, .hg, .svn).
type UnsafeDirError struct {
	Dir string
	Why string // "the root folder", "your home folder", "a git repository (.git)"
}

func (e *UnsafeDirError) Error() string {
	return fmt.Sprintf("refusing --out %s: it is %s; give a new or dedicated folder for the dataset", e.Dir, e.Why)
}

// SampleError is a sample Put refused because it does not fit the dataset
// the Out was opened for, or is malformed. Nothing of it was written.
type SampleError struct {
	ID     string // the sample's id
	Field  string // what is wrong: "id", "split", "class", "class_index", "sha256" or "ext"
	Reason string // what is wrong with it and what would be right
}

func (e *SampleError) Error() string {
	return fmt.Sprintf("sample %q: %s", e.ID, e.Reason)
}

// CardError is a card Commit refused to seal because dataset.Verify would
// reject it (see schema.Card.Check); nothing final was written.
type CardError struct {
	Problems []string
}

func (e *CardError) Error() string {
	const show = 3
	msg := strings.Join(e.Problems[:min(show, len(e.Problems))], "; ")
	if n := len(e.Problems) - show; n > 0 {
		msg += fmt.Sprintf("; and %d more", n)
	}
	return "dataset card not sealed, it would not verify: " + msg
}

// LockedError is returned by Open when another augsplit run holds OUT's
// lock: two runs writing one folder would corrupt each other's output.
type LockedError struct {
	Dir string
	PID int // the holder's process id, 0 when unknown
}

func (e *LockedError) Error() string {
	who := "another augsplit run"
	if e.PID > 0 {
		who = fmt.Sprintf("another augsplit run (pid %d)", e.PID)
	}
	return fmt.Sprintf("output folder %s is in use by %s: wait for it to finish or stop it, or choose another --out", e.Dir, who)
}

// PartsRunningError is returned by Seal (and Open) of a local OUT while
// parts (generate --parts) hold its lock shared: sealing under a part
// still writing would lose its samples.
type PartsRunningError struct {
	Dir  string
	PIDs []int // the parts' process ids, when the system says (Linux)
}

func (e *PartsRunningError) Error() string {
	if len(e.PIDs) == 0 {
		return fmt.Sprintf("parts are still writing %s: wait for them, then seal", e.Dir)
	}
	pids := make([]string, len(e.PIDs))
	for i, p := range e.PIDs {
		pids[i] = strconv.Itoa(p)
	}
	if len(pids) == 1 {
		return fmt.Sprintf("1 part is still writing %s (pid %s): wait for it, then seal", e.Dir, pids[0])
	}
	return fmt.Sprintf("%d parts are still writing %s (pids %s): wait for them, then seal", len(e.PIDs), e.Dir, strings.Join(pids, ", "))
}

// OtherRunError is a part's refusal when OUT's plan record is another
// run's (other flags, or other --in contents): at its start, or, Changed,
// because another run's part replaced the plan while this one ran. Every
// retry would fail the same way (the CLI exits 2).
type OtherRunError struct {
	Where        string
	Ours, Theirs string   // the fingerprints of this part's run and of OUT's plan
	Differences  []string // settings that differ: "seed: 2 in OUT's plan, 3 here"
	Changed      bool
}

func (e *OtherRunError) Error() string {
	what := fmt.Sprintf("fingerprint %.12s... in OUT's plan, %.12s... here: the same settings but other --in contents", e.Theirs, e.Ours)
	if len(e.Differences) > 0 {
		what = strings.Join(e.Differences, "; ")
	}
	if e.Changed {
		return fmt.Sprintf("the plan in %s was replaced while this part ran, by a part of another run (%s): stop one of the two runs, then run every part with the same flags and --in (or give each run its own --out) and seal", e.Where, what)
	}
	return fmt.Sprintf("%s holds the parts of another run (%s): run this part with the flags and --in of the parts already there, or seal or clear %s, or use another --out", e.Where, what, e.Where)
}

// configDifferences lists the settings (top-level keys of the cards'
// config) where theirs and ours differ, at most 4.
func configDifferences(theirs, ours json.RawMessage) []string {
	var a, b map[string]json.RawMessage
	if json.Unmarshal(theirs, &a) != nil || json.Unmarshal(ours, &b) != nil {
		return nil
	}
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var out []string
	for _, k := range keys {
		x, y := compact(a[k]), compact(b[k])
		if x == y {
			continue
		}
		if len(out) == 4 {
			out = append(out, "...")
			break
		}
		out = append(out, fmt.Sprintf("%s: %s in OUT's plan, %s here", k, orNone(cut(x)), orNone(cut(y))))
	}
	return out
}

// compact is v without insignificant space (the plan record is indented).
func compact(v json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		b.Reset()
		b.Write(v)
	}
	return b.String()
}

// cut shortens s to what a message can carry.
func cut(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

func orNone(s string) string {
	if s == "" {
		return "unset"
	}
	return s
}
