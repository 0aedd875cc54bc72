#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh machine. Safe to run again: heavy downloads are cached
# under ~/.cache/mcp-observatory.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${MCP_OBSERVATORY_CACHE:-$HOME/.cache/mcp-observatory}"
NODE24_VERSION="24"
# The newest pint the Go module proxy serves here with a checksum-database entry (v0.62.1 and later are refused).
PINT_VERSION="v0.62.0"
# The official Python MCP SDK for examples/python/server.py; must equal MCP_PYTHON_VERSION in test/fixtures/python.ts.
MCP_PYTHON_VERSION="2.3.0"
# The OpenTelemetry SDK and OTLP exporter the example server sends its SERVER spans with, when asked to.
OTEL_PYTHON_VERSION="1.45.2"

echo "setup: npm packages (npm ci)"
npm ci --no-audit --no-fund

# Our users run Node 22 and 24; the suite runs on this machine's Node and on Node 24 from the npm registry's `node`
# package, which ships the binary.
if [ ! -x "$CACHE/node24/node_modules/.bin/node" ]; then
  echo "setup: Node $NODE24_VERSION into $CACHE/node24"
  mkdir -p "$CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-audit --no-fund --no-save "node@$NODE24_VERSION" >/dev/null
fi
echo "setup: Node 24 is $("$CACHE/node24/node_modules/.bin/node" --version)"

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Pids of prometheus/alertmanager processes listening on their Debian default ports.
package_daemons() {
  { ss -ltnpH '( sport = :9090 or sport = :9093 or sport = :9094 )' 2>/dev/null || true; } |
    { grep -oE '"(prometheus|alertmanager)",pid=[0-9]+' || true; } | cut -d= -f2 | sort -u
}

# Prometheus, promtool, Alertmanager and amtool from Debian's packages, as SREs run them. Their maintainer scripts
# would start both daemons on 9090/9093; the tests start their own on free ports, so nothing may stay behind.
if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null; then
  echo "setup: Debian packages prometheus and prometheus-alertmanager"
  started=$SECONDS
  before="$(package_daemons)"
  policy=/usr/sbin/policy-rc.d
  policy_backup="$(mktemp)"
  had_policy=false
  if [ -e "$policy" ]; then
    had_policy=true
    as_root cp -p "$policy" "$policy_backup"
  fi
  restore_policy() {
    if $had_policy; then as_root cp -p "$policy_backup" "$policy"; else as_root rm -f "$policy"; fi
    rm -f "$policy_backup"
  }
  trap restore_policy EXIT
  # Exit code 101 tells invoke-rc.d and deb-systemd-invoke that starting services is not allowed.
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
  as_root chmod 755 "$policy"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    prometheus prometheus-alertmanager >/dev/null
  restore_policy
  trap - EXIT
  # Belt and braces: anything the install started anyway is stopped; daemons that ran before are not ours to stop.
  for pid in $(package_daemons); do
    if ! grep -qx "$pid" <<<"$before"; then
      echo "setup: stopping pid $pid that the package install started"
      as_root kill "$pid"
    fi
  done
  echo "setup: Debian packages installed in $((SECONDS - started)) s"
fi
for tool in prometheus promtool alertmanager amtool; do
  # Debian names the Alertmanager daemon prometheus-alertmanager.
  path="$(command -v "$tool" || command -v "prometheus-$tool" || true)"
  if [ -z "$path" ]; then
    echo "setup: $tool is missing after the install" >&2
    exit 1
  fi
  echo "setup: $tool $("$path" --version 2>&1 | sed -n 's/.*version \([^ ]*\).*/\1/p' | head -1) ($path)"
done

# Debian's Chromium: dashboard snapshots are drawn and checked in a real headless browser (playwright-core drives it).
if ! command -v chromium >/dev/null; then
  echo "setup: Debian package chromium"
  started=$SECONDS
  as_root apt-get update -qq
  # With its recommended packages: the fonts the pages are drawn in.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  echo "setup: chromium installed in $((SECONDS - started)) s"
fi
echo "setup: $(chromium --version 2>/dev/null | head -1) ($(command -v chromium))"

# pint lints rule files beyond promtool's syntax check; built from its Go module. `go install pkg@version` would ask the
# proxy for pint's version list (a deprecation check), which the proxy here refuses, so it is built from a throwaway
# module that requires the pinned version: same sources, checksums verified against the checksum database.
pint_version() {
  "$CACHE/bin/pint" version 2>/dev/null | cut -d' ' -f1 || true
}
if [ "$(pint_version)" != "$PINT_VERSION" ]; then
  if ! command -v go >/dev/null; then
    echo "setup: Go is missing; install it to build pint $PINT_VERSION" >&2
    exit 1
  fi
  echo "setup: building pint $PINT_VERSION with $(go version | cut -d' ' -f3) into $CACHE/bin"
  started=$SECONDS
  build="$(mktemp -d)"
  printf 'module mcp-observatory/pint-build\n\ngo 1.22\n\nrequire github.com/cloudflare/pint %s\n' "$PINT_VERSION" \
    >"$build/go.mod"
  (cd "$build" && GOBIN="$CACHE/bin" go install -mod=mod -trimpath \
    -ldflags "-s -w -X main.version=$PINT_VERSION" github.com/cloudflare/pint/cmd/pint)
  rm -rf "$build"
  echo "setup: pint built in $((SECONDS - started)) s"
fi
echo "setup: pint $(pint_version) ($CACHE/bin/pint)"

# A real non-Node MCP server for the sidecar tests: examples/python/server.py on the official Python SDK, in a venv
# per pinned version.
MCP_PYTHON_VENV="$CACHE/python-mcp/$MCP_PYTHON_VERSION"
mcp_python_version() {
  "$MCP_PYTHON_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("mcp"))' 2>/dev/null || true
}
otel_python_version() {
  "$MCP_PYTHON_VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("opentelemetry-exporter-otlp-proto-http"))' 2>/dev/null || true
}
if [ "$(mcp_python_version)" != "$MCP_PYTHON_VERSION" ] || [ "$(otel_python_version)" != "$OTEL_PYTHON_VERSION" ]; then
  python="$(command -v python3 || command -v python || true)"
  if [ -z "$python" ]; then
    echo "setup: Python 3 is missing; install it to run the Python MCP server (mcp $MCP_PYTHON_VERSION)" >&2
    exit 1
  fi
  # Debian ships the venv module in a package of its own.
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "setup: Debian package python3-venv"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
  fi
  echo "setup: Python mcp $MCP_PYTHON_VERSION and OpenTelemetry $OTEL_PYTHON_VERSION with $("$python" --version 2>&1) into $MCP_PYTHON_VENV"
  started=$SECONDS
  [ -x "$MCP_PYTHON_VENV/bin/python" ] || "$python" -m venv "$MCP_PYTHON_VENV"
  "$MCP_PYTHON_VENV/bin/python" -m pip install -q --disable-pip-version-check "mcp==$MCP_PYTHON_VERSION" \
    "opentelemetry-sdk==$OTEL_PYTHON_VERSION" "opentelemetry-exporter-otlp-proto-http==$OTEL_PYTHON_VERSION"
  echo "setup: Python packages installed in $((SECONDS - started)) s"
fi
echo "setup: Python mcp $(mcp_python_version), OpenTelemetry $(otel_python_version) ($MCP_PYTHON_VENV/bin/python)"

# The OpenTelemetry Collector the tests run: built from its Go modules with the collector builder, cached by the hash
# of collector/manifest.yaml.
bash scripts/build-collector.sh

# Prometheus 3 next to Debian's Prometheus 2, so the tests run against both majors: built from its Go module, cached.
bash scripts/build-prometheus.sh
