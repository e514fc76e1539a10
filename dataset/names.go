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
	"unicode"

	"github.com/augsplit/augsplit/internal/store"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxNameLen bounds a sanitised name in bytes: long enough to stay
// readable, short enough that OUT/<split>/<class>/<stem>-0300.png fits in
// any file system's 255-byte name limit with room to spare.
const MaxNameLen = 64

// SanitizeName maps a class folder name or file stem to a name that is safe
// as a path element on every file system and as a WebDataset key: the name
// is first put in Unicode normal form C, so a decomposed "u\u0308ber" as
// macOS stores it and the precomposed "über" a Linux copy holds give the
// same name; Unicode letters and digits (and combining marks that follow
// one, those without a precomposed form), '-' and '_' are kept; every other run
// (dots, separators, spaces, punctuation, control characters, invalid
// UTF-8) becomes one '_'; leading and trailing '_' are trimmed; a name
// longer than MaxNameLen bytes is cut on a rune boundary and given a short
// hash of the original so that cut names stay distinct; a name left empty
// becomes "x_" plus that hash. The result is valid UTF-8, never "", "." or
// "..", and contains no dot at all.
func SanitizeName(s string) string {
	return sanitize(s, true)
}

// sanitizeASCII is SanitizeName restricted to ASCII letters and digits,
// for callers whose outputs must be plain ASCII (ScanOptions.UnicodeNames
// off).
func sanitizeASCII(s string) string {
	return sanitize(s, false)
}

func sanitize(s string, unicodeOK bool) string {
	if unicodeOK {
		s = norm.NFC.String(s)
	}
	var b strings.Builder
	under := false // last byte written is '_': collapse runs
	word := false  // last rune kept is a letter, digit or mark: a mark may follow
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		keep := false
		switch {
		case r == utf8.RuneError && size == 1:
			// invalid UTF-8: replaced, never copied into a path
		case r < utf8.RuneSelf:
			keep = r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_'
		case unicodeOK:
			keep = unicode.IsLetter(r) || unicode.IsDigit(r) || word && unicode.Is(unicode.M, r)
		}
		if keep {
			b.WriteRune(r)
			under = r == '_'
			word = r != '_' && r != '-'
			continue
		}
		word = false
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
		return cutName(out, MaxNameLen-len(h)-1) + "_" + h
	}
	return out
}

// cutName shortens s to at most n bytes without splitting a rune (a cut
// rune would be invalid UTF-8 in a path) and without a trailing '_' (the
// caller appends "_" + hash, and runs are collapsed).
func cutName(s string, n int) string {
	if len(s) <= n {
		return strings.TrimRight(s, "_")
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], "_")
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

// EscapePath is the form in which a source path is recorded in cards and
// manifests (JSON, which holds only UTF-8): the path itself when it is
// valid UTF-8 and does not start with a double quote, else the path
// strconv.Quote'd, which keeps every byte of a non-UTF-8 name (JSON would
// turn each into U+FFFD). UnescapePath reverses it.
func EscapePath(p string) string {
	if utf8.ValidString(p) && !strings.HasPrefix(p, `"`) {
		return p
	}
	return strconv.Quote(p)
}

// UnescapePath returns the path EscapePath recorded as s.
func UnescapePath(s string) string {
	if strings.HasPrefix(s, `"`) {
		if p, err := strconv.Unquote(s); err == nil {
			return p
		}
	}
	return s
}

// uniqueNames sanitises each key with sanitizeName and returns key ->
// unique output name. Names are compared case-insensitively because OUT
// may live on a case-insensitive file system. A key whose base needed no
// change keeps it even when a changed name collides with it ("a_b" stays,
// "a b" gets the hash): renaming what the user named correctly would be
// the surprise. Only when no single unchanged key owns a name (two
// unchanged keys differing in case, or only changed keys) do all of its
// keys get a hash of their own original, so the result never depends on
// the order the keys come in.
func uniqueNames(keys []string, base, sanitizeName func(string) string) map[string]string {
	out := make(map[string]string, len(keys))
	groups := map[string][]string{}
	for _, k := range keys {
		n := sanitizeName(base(k))
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
		var kept []string
		for _, k := range ks {
			if out[k] == base(k) {
				kept = append(kept, k)
			}
		}
		for _, k := range ks {
			if len(kept) == 1 && k == kept[0] {
				taken[low] = true
				continue
			}
			clash = append(clash, k)
		}
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
				n = cutName(n, MaxNameLen-len(h)-1)
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
// folder or one contains the other. Call it before any work. Each may be a
// bucket URL (s3://, gs://, ...): two buckets are compared by scheme,
// bucket, endpoint and prefix (store.Within), a file:// URL as its folder,
// and a bucket never overlaps a folder.
func CheckSeparate(in, out string) error {
	inPath, inLocal := store.LocalPath(in)
	outPath, outLocal := store.LocalPath(out)
	var inOut, outIn bool
	switch {
	case inLocal && outLocal:
		var err error
		if inOut, err = ContainsPath(inPath, outPath); err != nil {
			return err
		}
		if outIn, err = ContainsPath(outPath, inPath); err != nil {
			return err
		}
	case !inLocal && !outLocal:
		inOut, outIn = store.Within(in, out), store.Within(out, in)
		in, out = store.Name(in), store.Name(out) // the query may hold secrets; the place is enough
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
