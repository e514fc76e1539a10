#!/usr/bin/env bash
# Runs every Fuzz target of every package for FUZZTIME (default 60s) each.
# A crasher is written by go test under the package's testdata/fuzz/<Target>/
# and stays there as a regression case that plain `go test` replays.
set -euo pipefail
fuzztime="${FUZZTIME:-60s}"
status=0
for pkg in $(go list ./...); do
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $target ($fuzztime)"
    if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"; then
      status=1
      echo "!! $target in $pkg found a failure: see its testdata/fuzz/$target/"
    fi
  done
done
exit $status
