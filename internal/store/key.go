package store

import (
	"fmt"
	"strings"
)

// KeyError is a key that cannot name an object: it could leave the root of
// a local store, or read differently on another OS or store.
type KeyError struct {
	Key    string
	Reason string
}

func (e *KeyError) Error() string {
	return fmt.Sprintf("object name %q: %s: keys are relative slash paths such as train/cat/x.png", e.Key, e.Reason)
}

// CheckKey returns a *KeyError unless key is a clean relative slash path:
// not empty, not absolute, no backslash, no "", "." or ".." element and no
// control byte. It is looser than schema.ValidPath (a colon is allowed):
// source trees in buckets use names a dataset's own files never do, and
// only escaping the root is dangerous.
func CheckKey(key string) error {
	bad := func(why string) error { return &KeyError{Key: key, Reason: why} }
	switch {
	case key == "":
		return bad("empty")
	case strings.HasPrefix(key, "/"):
		return bad("absolute")
	case strings.Contains(key, "\\"):
		return bad("has a backslash")
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x20 || key[i] == 0x7f {
			return bad("has a control byte")
		}
	}
	for _, el := range strings.Split(key, "/") {
		switch el {
		case "":
			return bad("has an empty element (// or a trailing /)")
		case ".", "..":
			return bad(fmt.Sprintf("has a %q element", el))
		}
	}
	return nil
}

// tempPrefix starts the name of a local store's temporary files. It is
// writer.IsTemp's prefix (a test holds them together), so a folder written
// by either reads the same to both.
const tempPrefix = ".augsplit-tmp-"

// IsTemp reports whether a base name is a temporary of Create (or of the
// writer): never a finished object.
func IsTemp(name string) bool { return strings.HasPrefix(name, tempPrefix) }
