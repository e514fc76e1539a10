package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxNameLen bounds a sanitised name in bytes: long enough to stay
// readable, short enough that OUT/<split>/<class>/<stem>-0300.png fits in
// any file system's 255-byte name limit with room to spare.
const MaxNameLen = 64

// SanitizeName maps a class folder name or file stem to a name that is safe
// as a path element on every file system and as a WebDataset key: ASCII
// letters, digits, '-' and '_' are kept, every other run of bytes (dots,
// separators, spaces, control characters, non-ASCII, invalid UTF-8) becomes
// one '_'; leading and trailing '_' are trimmed; a name longer than
// MaxNameLen is cut and given a short hash of the original so that cut
// names stay distinct; a name left empty becomes "x_" plus that hash. The
// result is never "", "." or "..", and contains no dot at all.
func SanitizeName(s string) string {
	var b strings.Builder
	under := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			under = c == '_'
			continue
		}
		if !under {
			b.WriteByte('_')
			under = true
		}
	}
	out := strings.Trim(b.String(), "_")
	switch {
	case out == "":
		return "x_" + shortHash(s)
	case len(out) > MaxNameLen:
		h := shortHash(s)
		return strings.TrimRight(out[:MaxNameLen-len(h)-1], "_") + "_" + h
	}
	return out
}

// shortHash is 8 hex digits of sha256: enough to tell apart the handful of
// names that collide in one folder.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// quoteName records a name for the card: as is when it is printable UTF-8,
// strconv.Quote'd otherwise (the card is JSON and must stay readable).
func quoteName(s string) string {
	if utf8.ValidString(s) && strconv.Quote(s) == `"`+s+`"` {
		return s
	}
	return strconv.Quote(s)
}

// uniqueNames sanitises each key (originals, possibly with duplicates of
// the sanitised form) and returns key -> unique output name. Names that
// collide after sanitising, compared case-insensitively because OUT may
// live on a case-insensitive file system, all get a hash of their own
// original: the result for one name does not depend on which other names
// happen to exist in the same order.
func uniqueNames(keys []string, base func(string) string) map[string]string {
	out := make(map[string]string, len(keys))
	groups := map[string][]string{}
	for _, k := range keys {
		n := SanitizeName(base(k))
		out[k] = n
		groups[strings.ToLower(n)] = append(groups[strings.ToLower(n)], k)
	}
	taken := map[string]bool{}
	var clash []string
	for low, ks := range groups {
		if len(ks) == 1 {
			taken[low] = true
			continue
		}
		clash = append(clash, ks...)
	}
	sort.Strings(clash)
	for _, k := range clash {
		n := out[k]
		for salt := 0; ; salt++ {
			h := shortHash(k)
			if salt > 0 {
				h = shortHash(fmt.Sprint(k, salt))
			}
			if len(n)+1+len(h) > MaxNameLen {
				n = strings.TrimRight(n[:MaxNameLen-len(h)-1], "_")
			}
			cand := n + "_" + h
			if !taken[strings.ToLower(cand)] {
				taken[strings.ToLower(cand)] = true
				out[k] = cand
				break
			}
		}
	}
	return out
}

// SamePlaceError refuses an OUT inside --in or an --in inside OUT: the
// output would be scanned as input on the next run, or the input deleted
// by --force.
type SamePlaceError struct {
	In, Out string
	Msg     string
}

func (e *SamePlaceError) Error() string {
	return fmt.Sprintf("--in %s and --out %s: %s; choose an output folder outside the input", e.In, e.Out, e.Msg)
}

// resolve makes p absolute with every symlink in its existing part
// resolved; the part that does not exist yet (OUT before the first run) is
// appended as written.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", p, err)
	}
	rest := ""
	cur := abs
	for {
		r, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(r, rest), nil
		}
		if !os.IsNotExist(err) {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// ContainsPath reports whether child is parent or lies inside it, after
// resolving symlinks in both (so a link cannot hide OUT inside --in).
func ContainsPath(parent, child string) (bool, error) {
	p, err := resolve(parent)
	if err != nil {
		return false, err
	}
	c, err := resolve(child)
	if err != nil {
		return false, err
	}
	return within(p, c), nil
}

// within is the lexical test on clean absolute paths.
func within(parent, child string) bool {
	rel, err := filepath.Rel(parent, child)
	if err != nil {
		return false
	}
	return rel == "." || (rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)))
}

// CheckSeparate returns *SamePlaceError when in and out are the same
// folder or one contains the other. Call it before any work.
func CheckSeparate(in, out string) error {
	inOut, err := ContainsPath(in, out)
	if err != nil {
		return err
	}
	outIn, err := ContainsPath(out, in)
	if err != nil {
		return err
	}
	switch {
	case inOut && outIn:
		return &SamePlaceError{In: in, Out: out, Msg: "they are the same folder"}
	case inOut:
		return &SamePlaceError{In: in, Out: out, Msg: "the output folder is inside the input folder"}
	case outIn:
		return &SamePlaceError{In: in, Out: out, Msg: "the input folder is inside the output folder"}
	}
	return nil
}
