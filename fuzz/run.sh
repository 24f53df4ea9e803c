#!/usr/bin/env bash
# Run engross's fuzz targets one after another (coverage-guided, libFuzzer via cargo-fuzz).
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 180 s each, every target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain; on stable it sets
# RUSTC_BOOTSTRAP=1. Seeds are read from fuzz/seeds/TARGET (checked in, never written); new
# inputs go to fuzz/work/TARGET and crashes to fuzz/artifacts/TARGET (both ignored by git).
# Each target runs on one core (-jobs=1), so the machine stays usable. A finding makes the
# script exit non-zero after the remaining targets ran; reproduce one with
#   cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-…
set -uo pipefail
cd "$(dirname "$0")"
secs=${1:-180}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(data djot pdf_write plain compare pdf_input docx_read roster)

if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  toolchain=()
  export RUSTC_BOOTSTRAP=1
fi

failed=0
for t in "${targets[@]}"; do
  mkdir -p "work/$t" "artifacts/$t"
  echo "== $t: $secs s"
  cargo "${toolchain[@]}" fuzz run -O "$t" "work/$t" "seeds/$t" -- \
    -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="artifacts/$t/" 2>&1 | tee "work/$t.log" | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|SUMMARY|==[0-9]+==ERROR|thread .* panicked)" || true
  if ls "artifacts/$t"/* >/dev/null 2>&1; then
    echo "!! $t: findings in fuzz/artifacts/$t"
    failed=1
  fi
done
exit $failed
