# augsplit: the README's two commands are `make demo` and `make test`.
GO      ?= go
BIN     := bin/augsplit
OUT     ?= out
SEED    ?= 1
FUZZTIME ?= 60s

.PHONY: all build dataset demo seed-bug test test-short bench bench-go bench-cli fuzz clean cells

all: build

build:
	$(GO) build -o $(BIN) ./cmd/augsplit

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

test:
	$(GO) vet ./...
	$(GO) test -race ./...

test-short:
	$(GO) test -short ./...

bench: bench-go bench-cli

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./...

# Whole processes: generate's img/s, img/CPU-s and peak RSS at 128 and 512 px
# (and at 300 vs 3000 variants per source), train's s/epoch and peak RSS.
bench-cli: build
	$(GO) run ./tools/benchrun -bin $(BIN) -in testdata/cells

# Every fuzz target for FUZZTIME each (not part of make test).
fuzz:
	FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

# Regenerate the bundled source images from their generator.
cells:
	$(GO) generate ./internal/cells

clean:
	rm -rf bin $(OUT)
