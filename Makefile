# augsplit: the README's two commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/augsplit
OUT     ?= out
SEED    ?= 1
FUZZTIME ?= 60s

.PHONY: all build static dataset demo seed-bug study test test-short deploy-check scale-demo bench bench-go bench-cli fuzz faults clean cells

all: build

build:
	$(GO) build -o $(BIN) ./cmd/augsplit

# The binary the Dockerfile builds: static (no cgo, runs on a base image
# with no libc), no local paths, no symbol tables, and every bucket driver
# (s3:// is in every build; gs:// and azblob:// need the tags, which add
# ~35 MB to a default build, so only the image carries them). deploy's test checks the
# Dockerfile's go build line is this one.
static:
	CGO_ENABLED=0 $(GO) build -tags "gcs azure" -trimpath -ldflags "-s -w" -o $(BIN) ./cmd/augsplit

# The user's scenario: ten sources, 300 variants each, 80/20, then verify.
dataset: build
	./$(BIN) generate --in testdata/cells --out $(OUT) --seed $(SEED) --force
	./$(BIN) verify $(OUT)

# The main job: generate at 64 px and train the bundled CNN with early stopping.
demo: build
	./$(BIN) generate --in testdata/cells --out $(OUT)/demo --size 64 --seed $(SEED) --png-compression speed --force
	./$(BIN) train --data $(OUT)/demo --out $(OUT)/demo-run --seed $(SEED)

# The story: Keras's last-20% validation split vs augsplit's split, side by side.
seed-bug: build
	./$(BIN) generate --in testdata/cells --out $(OUT)/demo --size 64 --seed $(SEED) --png-compression speed --force --quiet
	./$(BIN) seed-bug --data $(OUT)/demo --seed $(SEED)

# How far val_accuracy can be trusted (issue 10), on real handwritten digits
# nobody here drew: the UCI digits in Debian's python3-sklearn. Uses the
# installed copy, else fetches the package file with apt-get download and
# unpacks it under OUT (nothing is installed); skips when neither works.
STUDY_DIGITS ?= /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
STUDY_FLAGS ?=
study: build
	@digits="$(STUDY_DIGITS)"; \
	if [ ! -f "$$digits" ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then \
		mkdir -p $(OUT)/study-pkg && \
		(cd $(OUT)/study-pkg && { ls python3-sklearn_*.deb >/dev/null 2>&1 || apt-get download python3-sklearn >/dev/null 2>&1; } && \
		 dpkg-deb -x python3-sklearn_*.deb .) >/dev/null 2>&1; \
		digits=$(OUT)/study-pkg/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz; \
	fi; \
	if [ -f "$$digits" ]; then $(GO) run ./tools/study -bin $(BIN) -digits "$$digits" -out $(OUT)/study $(STUDY_FLAGS); \
	else echo "study: skipped: no digits.csv.gz (install Debian's python3-sklearn)"; fi

test:
	$(GO) vet ./...
	$(GO) test -race ./...

test-short:
	$(GO) test -short ./...

# The engines' files (Dockerfile, deploy/k8s, deploy/aws-batch) decoded
# strictly and checked against the command lines make scale-demo runs. Its
# own module (deploy/go.mod), so k8s.io/api stays out of augsplit's; not in
# make test because compiling k8s.io/api from cold caches takes minutes
# (deploy/README.md). .ci/run runs it after make test.
deploy-check:
	cd deploy && $(GO) vet ./... && $(GO) test ./...

# A rehearsal of a scaled-out run on this machine: a local S3 server,
# PARTS parts as separate processes, seal, verify, train from the bucket,
# and a byte-for-byte comparison with a one-machine run.
PARTS ?= 3
scale-demo:
	PARTS=$(PARTS) GO=$(GO) WORK=$(OUT)/scale-demo ./scripts/scale-demo.sh

bench: bench-go bench-cli

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Whole processes: generate's img/s, img/CPU-s and peak RSS at 128 and 512 px
# (and at 300 vs 3000 variants per source), train's s/epoch and peak RSS at 64
# and 128 px. With Debian's python3-opencv and python3-numpy installed it also
# runs the same generate job through tools/peers/generate_cv.py beside augsplit
# (alternating, medians of 3) and prints the img/CPU-s ratios, and with
# python3-torch the same training in PyTorch (tools/peers/torch_train.py, 2 and
# 1 threads, alternating runs) and the s/epoch ratios; each peer that cannot
# run is skipped, and said so. BENCH_FLAGS passes more, e.g.
# BENCH_FLAGS='-runs "" -peer-sizes "" -train-rounds 5'.
BENCH_FLAGS ?=
bench-cli: build
	$(GO) run ./tools/benchrun -bin $(BIN) -in testdata/cells $(BENCH_FLAGS)

# Every fuzz target for FUZZTIME each (not part of make test).
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# The binary against hostile files: named pipes, /dev/zero, SIGTERM during
# multi-gigabyte (sparse) reads. Slow and timing-sensitive: not in make test.
faults:
	$(GO) test -tags faults -count=1 -v ./tools/faults/

# Regenerate the bundled source images from their generator.
cells:
	$(GO) generate ./internal/cells

clean:
	rm -rf bin $(OUT)
