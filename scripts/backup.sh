#!/usr/bin/env bash
# Back up the monitoring stack's state: a Prometheus TSDB snapshot taken through its admin API (consistent, taken while
# Prometheus runs) and the generated configuration, in one archive.
#
#   scripts/backup.sh --prometheus http://127.0.0.1:9090 --data-dir /var/lib/prometheus [--out backup.tar.gz]
#
# Prometheus must run with --web.enable-admin-api (the compose stack does). --data-dir is Prometheus's
# --storage.tsdb.path as seen from here: with the compose stack, the host path of the prometheus-data volume
# (`docker volume inspect mcp-observatory_prometheus-data`), or copy the snapshot out with `docker compose cp`.
set -euo pipefail

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
prometheus="" data_dir="" out="mcp-observatory-backup-$(date -u +%Y%m%dT%H%M%SZ).tar.gz"
while [ $# -gt 0 ]; do
  case "$1" in
    --prometheus) prometheus="${2:?--prometheus needs a URL}"; shift 2 ;;
    --data-dir) data_dir="${2:?--data-dir needs a directory}"; shift 2 ;;
    --out) out="${2:?--out needs a file}"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "backup: unknown argument $1" >&2; usage ;;
  esac
done
[ -n "$prometheus" ] || { echo "backup: --prometheus is required (e.g. http://127.0.0.1:9090)" >&2; exit 2; }
[ -d "$data_dir" ] || { echo "backup: --data-dir $data_dir is not a directory (Prometheus's --storage.tsdb.path)" >&2; exit 2; }

response="$(curl -fsS -X POST "$prometheus/api/v1/admin/tsdb/snapshot")" || {
  echo "backup: the snapshot request to $prometheus failed; is Prometheus running with --web.enable-admin-api?" >&2
  exit 1
}
name="$(printf '%s' "$response" | sed -n 's/.*"name":"\([^"]*\)".*/\1/p')"
[ -n "$name" ] || { echo "backup: unexpected snapshot answer: $response" >&2; exit 1; }
snapshot="$data_dir/snapshots/$name"
[ -d "$snapshot" ] || { echo "backup: snapshot $name is not under $data_dir/snapshots: wrong --data-dir?" >&2; exit 1; }

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/prometheus" "$staging/configs"
cp -a "$snapshot/." "$staging/prometheus/"
root="$(cd "$(dirname "$0")/.." && pwd)"
for item in mcp-observatory.yaml alerts dashboards collector compose; do
  [ -e "$root/$item" ] && cp -a "$root/$item" "$staging/configs/"
done
printf 'snapshot=%s\nprometheus=%s\ncreated=%s\n' "$name" "$prometheus" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$staging/BACKUP"
tar -czf "$out" -C "$staging" BACKUP prometheus configs
# The snapshot was a hard-linked copy inside the data directory: the archive has it now.
rm -rf "$snapshot"
echo "backup: $out (snapshot $name, $(du -h "$out" | cut -f1))"
