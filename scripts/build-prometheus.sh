#!/usr/bin/env bash
# Builds Prometheus 3 from its Go module into $CACHE/prometheus3/<module version>/prometheus, so the tests run against
# both majors: Debian's Prometheus 2 on PATH and this one. When that binary exists the build is skipped: another
# version gets another directory. A cold build (module downloads included) took about 11 minutes on 2 busy cores;
# the binary is about 100 MB.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${MCP_OBSERVATORY_CACHE:-$HOME/.cache/mcp-observatory}"
# The newest Prometheus 3 the Go module proxy serves here; Prometheus 3.x.y is published as Go module v0.3xx.y.
# test/fixtures/binaries.ts looks for the binary under this version (PROMETHEUS3_MODULE_VERSION): change both together.
MODULE_VERSION="v0.316.0"
dir="$CACHE/prometheus3/$MODULE_VERSION"
bin="$dir/prometheus"

if [ ! -x "$bin" ]; then
  if ! command -v go >/dev/null; then
    echo "setup: Go is missing; install it to build Prometheus 3 (module $MODULE_VERSION)" >&2
    exit 1
  fi
  echo "setup: building Prometheus 3 (module $MODULE_VERSION) with $(go version | cut -d' ' -f3) into $dir"
  started=$SECONDS
  build="$(mktemp -d)"
  trap 'rm -rf "$build"' EXIT
  # As for pint and the collector: `go install pkg@version` would ask the proxy for a version list, which the proxy here
  # refuses, so Prometheus is built from a throwaway module that requires the pinned version. Its go.mod has no
  # replace or exclude directives to copy, and module graph pruning selects exactly the dependency versions it pins.
  printf 'module mcp-observatory/prometheus-build\n\ngo 1.26\n\nrequire github.com/prometheus/prometheus %s\n' \
    "$MODULE_VERSION" >"$build/go.mod"
  # The release number is in the module's VERSION file (v0.316.0 is 3.16.0); `prometheus --version` prints it.
  # `go list -m` names a module's directory only once it is in the module cache: on a cold cache, download it first.
  (cd "$build" && go mod download github.com/prometheus/prometheus)
  src="$(cd "$build" && go list -mod=mod -m -f '{{.Dir}}' github.com/prometheus/prometheus)"
  version="$(cat "$src/VERSION")"
  # Without the builtinassets tag the web UI is read from disk, and the module has no built UI: its pages answer 500,
  # the HTTP API the tests use is unaffected. -s -w drop debug symbols, as for pint.
  (cd "$build" && go build -mod=mod -trimpath -o "$build/prometheus" \
    -ldflags "-s -w -X github.com/prometheus/common/version.Version=$version \
-X github.com/prometheus/common/version.Revision=$MODULE_VERSION \
-X github.com/prometheus/common/version.BuildUser=mcp-observatory-setup" \
    github.com/prometheus/prometheus/cmd/prometheus)
  mkdir -p "$dir"
  # Rename into place, so a build interrupted halfway never leaves a binary that looks complete.
  cp "$build/prometheus" "$bin.partial"
  mv "$bin.partial" "$bin"
  echo "setup: Prometheus 3 built in $((SECONDS - started)) s"
fi
echo "setup: prometheus 3 $("$bin" --version 2>&1 | sed -n 's/.*version \([^ ]*\).*/\1/p' | head -1) ($bin)"
