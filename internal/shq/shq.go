// Package shq quotes words for a POSIX shell, for the command lines
// augsplit suggests ("check with: augsplit verify OUT"): a URL with
// "&endpoint=" or a path with a space must paste and run as it reads.
package shq

import "strings"

// Quote returns s as one word of a POSIX shell command line: unchanged
// when every byte is one a shell never treats specially, else in single
// quotes, an embedded ' written as '\”.
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, unsafe) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// unsafe reports whether r may need quoting. Only ASCII letters, digits
// and a few marks are left bare: anything else (spaces, & ? * ~ $ ; |, and
// every non-ASCII rune, which some shells and locales split) is quoted.
func unsafe(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("@%+=:,./_-", r)
}
