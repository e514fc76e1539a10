#!/usr/bin/env bash
# make scale-demo: a local rehearsal of a scaled-out run. It serves the S3
# wire protocol from tools/s3server (gofakes3, objects kept as files under
# WORK/s3), uploads testdata/cells to it, runs PARTS parts of one generate as
# separate processes with JOB_COMPLETION_INDEX set (as a Kubernetes Indexed
# Job does), seals, verifies, trains two epochs from the bucket, then runs
# the same generate on one machine into a local folder and compares the two
# trees byte for byte: OK, or the first differing file and exit 1.
#
#   scripts/scale-demo.sh                    PARTS=3 by default
#   PARTS=7 scripts/scale-demo.sh
#   scripts/scale-demo.sh --print-commands   the engines' command lines, unexpanded
#   scripts/scale-demo.sh --compare A B      only the final comparison, of two folders
#
# The command lines below are the ones deploy/k8s and deploy/aws-batch run.
# `--print-commands` prints them (one a line, arguments separated by tabs)
# with ${AUGSPLIT_IN}, ${AUGSPLIT_OUT} and ${AUGSPLIT_PARTS} left as they are,
# and deploy's test (cd deploy && go test) compares every manifest's command
# with that output: change a flag here and the test names each manifest that
# still runs the old line.
set -euo pipefail
cd "$(dirname "$0")/.."

# What makes the dataset. One place for the demo; the manifests must match.
DATASET_FLAGS=(--per-source 30 --size 64 --seed 1 --png-compression speed)

# commands fills GENERATE, SEAL and VERIFY from AUGSPLIT_IN, AUGSPLIT_OUT
# and AUGSPLIT_PARTS. --part is not here: each process reads it from its
# engine's index variable (JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX).
commands() {
  GENERATE=(generate --in "$AUGSPLIT_IN" --out "$AUGSPLIT_OUT" "${DATASET_FLAGS[@]}" --parts "$AUGSPLIT_PARTS")
  SEAL=(seal "$AUGSPLIT_OUT")
  VERIFY=(verify "$AUGSPLIT_OUT")
}

# compare A B WHAT: the same relative file names under A and B, each with
# the same bytes; prints OK or the first difference and returns 1.
compare() {
  local a=$1 b=$2 what=$3 diffs first n=0 f
  list() { (cd "$1" && find . -type f | LC_ALL=C sort); }
  if ! diffs=$(diff <(list "$a") <(list "$b")); then
    first=$(grep -m1 '^[<>]' <<<"$diffs")
    case "$first" in
      '<'*) echo "DIFFERENT: ${first#< ./} is in $a only ($(grep -c '^[<>]' <<<"$diffs") files are not in both)" ;;
      *) echo "DIFFERENT: ${first#> ./} is in $b only ($(grep -c '^[<>]' <<<"$diffs") files are not in both)" ;;
    esac
    return 1
  fi
  while IFS= read -r f; do
    f=${f#./}
    cmp -s "$a/$f" "$b/$f" || { echo "DIFFERENT: $f (cmp $a/$f $b/$f)"; return 1; }
    n=$((n + 1))
  done < <(list "$a")
  [ "$n" -gt 0 ] || { echo "DIFFERENT: $a holds no files"; return 1; }
  echo "OK: $n files, byte-identical ($what)"
}

if [ "${1:-}" = "--print-commands" ]; then
  # shellcheck disable=SC2016 # the variables stay unexpanded on purpose
  AUGSPLIT_IN='${AUGSPLIT_IN}' AUGSPLIT_OUT='${AUGSPLIT_OUT}' AUGSPLIT_PARTS='${AUGSPLIT_PARTS}'
  commands
  (IFS=$'\t'; printf '%s\n' "${GENERATE[*]}" "${SEAL[*]}" "${VERIFY[*]}")
  exit 0
elif [ "${1:-}" = "--compare" ] && [ $# = 3 ]; then
  compare "$2" "$3" "$2 vs $3"
  exit
elif [ $# -gt 0 ]; then
  echo "usage: scale-demo.sh [--print-commands | --compare DIR DIR]   (env: PARTS, WORK, GO)" >&2
  exit 2
fi

GO=${GO:-go}
PARTS=${PARTS:-3}
WORK=${WORK:-out/scale-demo}
BUCKET=augsplit-demo
BIN=bin/augsplit
case "$PARTS" in ''|*[!0-9]*|0) echo "scale-demo: PARTS=$PARTS: want a whole number >= 1" >&2; exit 2 ;; esac

step() { printf '== %s\n' "$*" >&2; }

step "build bin/augsplit and bin/s3server"
"$GO" build -o "$BIN" ./cmd/augsplit
"$GO" build -o bin/s3server ./tools/s3server

rm -rf "$WORK"
mkdir -p "$WORK"

# The server keeps its objects as files, WORK/s3/buckets/BUCKET/KEY, so the
# comparison at the end reads exactly the bytes the parts and seal PUT.
step "start the S3 server with testdata/cells uploaded to s3://$BUCKET/cells"
bin/s3server -addr 127.0.0.1:0 -dir "$WORK/s3" -bucket "$BUCKET" -upload testdata/cells -prefix cells \
  >"$WORK/s3server.url" 2>"$WORK/s3server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
  [ -s "$WORK/s3server.url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$WORK/s3server.log" >&2; echo "scale-demo: the S3 server exited" >&2; exit 1; }
  sleep 0.1
done
url=$(head -n1 "$WORK/s3server.url")
[ -n "$url" ] || { echo "scale-demo: the S3 server printed no URL in 60 s (see $WORK/s3server.log)" >&2; exit 1; }
echo "S3 bucket: $url" >&2

# Dummy keys (the server checks no secret, but the SDK signs every
# request); no ~/.aws of yours, no instance metadata lookups.
export AWS_ACCESS_KEY_ID=augsplit-test AWS_SECRET_ACCESS_KEY=augsplit-test-secret AWS_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN
# s3://BUCKET?QUERY: a prefix goes after the bucket name.
AUGSPLIT_IN="${url%%\?*}/cells?${url#*\?}"
AUGSPLIT_OUT="${url%%\?*}/dataset?${url#*\?}"
AUGSPLIT_PARTS=$PARTS
commands

step "generate: $PARTS parts as separate processes, JOB_COMPLETION_INDEX=0..$((PARTS - 1))"
echo "augsplit ${GENERATE[*]}" >&2
pids=()
for ((i = 0; i < PARTS; i++)); do
  JOB_COMPLETION_INDEX=$i "$BIN" "${GENERATE[@]}" >"$WORK/part-$i.log" 2>&1 &
  pids+=($!)
done
failed=0
for ((i = 0; i < PARTS; i++)); do
  if ! wait "${pids[$i]}"; then
    failed=1
    echo "scale-demo: part $i of $PARTS failed; its log:" >&2
    sed 's/^/  /' "$WORK/part-$i.log" >&2
  fi
done
[ "$failed" = 0 ] || exit 1

step "seal, verify"
"$BIN" "${SEAL[@]}"
"$BIN" "${VERIFY[@]}"

step "train two epochs from the bucket"
"$BIN" train --data "$AUGSPLIT_OUT" --out "$WORK/run" --epochs 2 --seed 1

step "the same generate on one machine, into $WORK/local"
AUGSPLIT_OUT=$WORK/local
commands
one=()
for ((i = 0; i < ${#GENERATE[@]}; i++)); do
  # Everything but --parts N: one machine makes the whole dataset.
  if [ "${GENERATE[$i]}" = "--parts" ]; then i=$((i + 1)); continue; fi
  one+=("${GENERATE[$i]}")
done
echo "augsplit ${one[*]}" >&2
"$BIN" "${one[@]}" >"$WORK/local.log" 2>&1 || { sed 's/^/  /' "$WORK/local.log" >&2; exit 1; }
"$BIN" verify "$WORK/local" >/dev/null

step "compare s3://$BUCKET/dataset with $WORK/local, byte for byte"
compare "$WORK/s3/buckets/$BUCKET/dataset" "$WORK/local" "$PARTS parts through S3 vs one machine"
