#!/usr/bin/env bash
# Mass-issue timing, whole commands: rosters of 100, 1,000 and 10,000 subscription agreements
# rendered with `render --each`, wall time and peak RSS (GNU time), beside a shell loop of single
# renders (20 documents, the per-document cost of start-up). Usage: benches/roster.sh [FORMAT]
# (default pdf) from the project root, after `cargo build --release`. Not a test.
set -eu
format=${1:-pdf}
sizes=${SIZES:-"100 1000 10000"}
bin=${ENGROSS:-target/release/engross}
base=data/examples/subscription-2026.toml
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
python3 - "$w" $sizes <<'PY'
import csv, random, sys
w = sys.argv[1]
for n in map(int, sys.argv[2:]):
    random.seed(n)
    with open(f"{w}/r{n}.csv", "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["subscriber.name", "subscriber.shares", "subscriber.date"])
        for i in range(n):
            out.writerow([f"Investor {i}, LLC", 10 * random.randint(1, 3000), f"2026-03-{1 + i % 28:02d}"])
PY
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for n in $sizes; do
  /usr/bin/time -f "$n rows -f $format: %e s wall, %U s user, %M KB peak RSS" \
    "$bin" render "$base" --each "$w/r$n.csv" -f "$format" -o "$w/out$n" 2>&1 | grep -E "rows -f|rendered"
  rm -rf "$w/out$n"
done
start=$(date +%s.%N)
for i in $(seq 1 20); do
  "$bin" render "$base" --set "subscriber.shares=$((i * 10))" -f "$format" -o "$w/loop-$i.$format" 2>/dev/null
done
end=$(date +%s.%N)
echo "shell loop of 20 single renders -f $format: $(echo "$end - $start" | bc) s"
