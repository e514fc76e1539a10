# The augsplit image the engines in deploy/ run: a static binary (no cgo) on
# distroless's static base, which has CA certificates for https object
# stores, no shell, and runs as the unprivileged user 65532.
#
#   docker build -t augsplit .
#   docker run --rm -v "$PWD/testdata/cells:/in:ro" -v "$PWD/out:/out" augsplit generate --in /in --out /out/cells
#
# The build flags are `make static`'s; deploy's test fails if the two differ.

FROM golang:1.26 AS build
WORKDIR /src
# Dependencies first: a change to the code does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -tags "gcs azure" -trimpath -ldflags "-s -w" -o /out/augsplit ./cmd/augsplit

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/augsplit /augsplit
USER nonroot:nonroot
ENTRYPOINT ["/augsplit"]
