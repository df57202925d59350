#!/usr/bin/env bash
# End to end `kijun judge --compact`, JSONL → results, one core: start-up
# alone, then N Parkinson forms of each kind, on each engine, to a results
# file and to /dev/null (the same work without the file system's write).
# Each figure is the fastest of RUNS runs (CPU time, user + system: the
# machine is shared, and the fastest run is the one least disturbed), with
# the per-form time after start-up and the file system's own write speed
# for the same bytes (dd) beside it.
#
#   bench/end_to_end.sh [FORMS] [RUNS]      (defaults 200000 and 5)
set -euo pipefail
cd "$(dirname "$0")/.."
forms="${1:-200000}"
runs="${2:-5}"
kijun=build/cli/kijun
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

: > "$work/empty.jsonl"
"$kijun" forms --disease 指定難病/6 --valid --count "$forms" > "$work/valid.jsonl"
"$kijun" forms --disease 指定難病/6 --passing --count "$forms" > "$work/passing.jsonl"

# The fastest CPU time (ms) of $runs runs of the command.
fastest() {
  local best=""
  for _ in $(seq "$runs"); do
    local t
    /usr/bin/time -o "$work/time" -f "%U %S" "$@" > /dev/null 2>&1
    t=$(awk '{printf "%d", ($1 + $2) * 1000}' "$work/time")
    if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
  done
  echo "$best"
}

printf '%-8s %-8s %-10s %10s %12s %12s %10s\n' engine forms out "ms" "µs/form" "forms/s" "KB/form"
for engine in interp jit; do
  start=$(fastest "$kijun" judge --engine "$engine" --compact --in "$work/empty.jsonl" --out /dev/null)
  printf '%-8s %-8s %-10s %10s\n' "$engine" none start-up "$start"
  for kind in valid passing; do
    for out in file null; do
      target="$work/out.jsonl"
      [ "$out" = null ] && target=/dev/null
      ms=$(fastest "$kijun" judge --engine "$engine" --compact --in "$work/$kind.jsonl" --out "$target")
      "$kijun" judge --engine "$engine" --compact --in "$work/$kind.jsonl" --out "$work/$engine.$kind" 2>/dev/null
      bytes=$(stat -c %s "$work/$engine.$kind")
      awk -v e="$engine" -v k="$kind" -v o="$out" -v ms="$ms" -v s="$start" -v n="$forms" -v b="$bytes" \
        'BEGIN { us = (ms - s) * 1000 / n;
                 printf "%-8s %-8s %-10s %10d %12.2f %12.0f %10.2f\n", e, k, o, ms, us, 1e6 / us, b / n / 1000 }'
    done
  done
done
for kind in valid passing; do
  cmp -s "$work/interp.$kind" "$work/jit.$kind" || { echo "the engines' results differ ($kind)"; exit 1; }
done
echo "the engines' results are the same bytes (cmp)"
bytes=$(stat -c %s "$work/jit.valid")
ms=$(fastest dd if=/dev/zero of="$work/dd.out" bs=1M count=$((bytes >> 20)))
echo "dd: writing the $((bytes >> 20)) MiB of the valid forms' results alone: $ms ms of CPU"
