#!/usr/bin/env bash
# Builds otelcol-mcp, the OpenTelemetry Collector that collector/manifest.yaml describes, from Go modules with the
# OpenTelemetry Collector Builder, into $CACHE/otelcol/<hash of the manifest>/otelcol-mcp. When that binary exists the
# build is skipped: a changed manifest gets a new directory, so a stale collector is never used. A cold build (module
# downloads included) took about 3 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${MCP_OBSERVATORY_CACHE:-$HOME/.cache/mcp-observatory}"
MANIFEST=collector/manifest.yaml

if [ ! -f "$MANIFEST" ]; then
  echo "setup: $MANIFEST is missing; run 'npm run generate'" >&2
  exit 1
fi
# The builder of the release the manifest pins (dist.version), so its generated code matches the components' API.
version="$(sed -n 's/^  version: *//p' "$MANIFEST" | head -1)"
# Comment lines name the mcp-observatory version that generated the file; they change nothing in the binary.
hash="$(grep -v '^#' "$MANIFEST" | sha256sum | cut -c1-16)"
dir="$CACHE/otelcol/$hash"
bin="$dir/otelcol-mcp"

if [ ! -x "$bin" ]; then
  if ! command -v go >/dev/null; then
    echo "setup: Go is missing; install it to build otelcol-mcp $version" >&2
    exit 1
  fi
  echo "setup: building otelcol-mcp $version (manifest $hash) with $(go version | cut -d' ' -f3) into $dir"
  started=$SECONDS
  build="$(mktemp -d)"
  trap 'rm -rf "$build"' EXIT
  # As for pint: `go install pkg@version` would ask the proxy for the builder's version list, which the proxy here
  # refuses, so the builder is installed from a throwaway module that requires the pinned version.
  printf 'module mcp-observatory/otelcol-build\n\ngo 1.25\n\nrequire go.opentelemetry.io/collector/cmd/builder v%s\n' \
    "$version" >"$build/go.mod"
  (cd "$build" && GOBIN="$build/bin" go install -mod=mod -trimpath go.opentelemetry.io/collector/cmd/builder)
  cp "$MANIFEST" "$build/manifest.yaml"
  # The builder logs every step; keep its log for a failure only.
  if ! (cd "$build" && ./bin/builder --config manifest.yaml >builder.log 2>&1); then
    tail -n 40 "$build/builder.log" >&2
    echo "setup: building otelcol-mcp failed (log above)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  # Rename into place, so a build interrupted halfway never leaves a binary that looks complete.
  cp "$build/otelcol-mcp/otelcol-mcp" "$bin.partial"
  mv "$bin.partial" "$bin"
  echo "setup: otelcol-mcp built in $((SECONDS - started)) s"
fi
echo "setup: otelcol-mcp $("$bin" --version | awk '{print $NF}') ($bin)"
