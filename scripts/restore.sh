#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh: the TSDB snapshot becomes a fresh Prometheus data directory (start
# Prometheus with --storage.tsdb.path pointing at it), and the archived configuration can be restored beside it.
#
#   scripts/restore.sh --archive backup.tar.gz --data-dir /var/lib/prometheus-restored [--configs-to DIR]
#
# The data directory must not exist or be empty: a restore never overwrites data.
set -euo pipefail

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
archive="" data_dir="" configs_to=""
while [ $# -gt 0 ]; do
  case "$1" in
    --archive) archive="${2:?--archive needs a file}"; shift 2 ;;
    --data-dir) data_dir="${2:?--data-dir needs a directory}"; shift 2 ;;
    --configs-to) configs_to="${2:?--configs-to needs a directory}"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "restore: unknown argument $1" >&2; usage ;;
  esac
done
[ -f "$archive" ] || { echo "restore: --archive $archive is not a file" >&2; exit 2; }
[ -n "$data_dir" ] || { echo "restore: --data-dir is required" >&2; exit 2; }
if [ -d "$data_dir" ] && [ -n "$(ls -A "$data_dir")" ]; then
  echo "restore: $data_dir is not empty; restore into a new directory (nothing was changed)" >&2
  exit 1
fi

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
tar -xzf "$archive" -C "$staging"
[ -f "$staging/BACKUP" ] && [ -d "$staging/prometheus" ] || { echo "restore: $archive is not an mcp-observatory backup" >&2; exit 1; }
mkdir -p "$data_dir"
cp -a "$staging/prometheus/." "$data_dir/"
if [ -n "$configs_to" ]; then
  mkdir -p "$configs_to"
  cp -a "$staging/configs/." "$configs_to/"
fi
echo "restore: $(sed -n 's/^snapshot=//p' "$staging/BACKUP") into $data_dir${configs_to:+, configuration into $configs_to}"
