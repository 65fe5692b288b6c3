#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer): writes the seed corpora, builds every
# target, then runs each for SECONDS (default 20), one after the other. Fails on any crash,
# timeout (a unit over 10 s) or out-of-memory (over 2 GB RSS); the input that did it is in
# fuzz/artifacts/TARGET/. Logs the executions of each target.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#
# The toolchain is stable: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=fuzz
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
cd "$repo"

secs=${1:-20}
shift || true
[[ $secs =~ ^[0-9]+$ ]] || die "SECONDS_PER_TARGET must be a number, not '$secs'"
# The fuzz crate is its own workspace with its own target directory: a CARGO_TARGET_DIR
# meant for the main crate (.ci/run sets one) would mix sanitizer builds into it.
unset CARGO_TARGET_DIR

if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

log "seeds: cargo test --test fuzz_seeds -- --ignored"
cargo test --test fuzz_seeds -- --ignored --quiet

cd fuzz
# Only for cargo-fuzz: cargo fingerprints RUSTC_BOOTSTRAP, so setting it for the seed
# generator above would rebuild the whole debug build.
export RUSTC_BOOTSTRAP=1
if (($#)); then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi
((${#targets[@]})) || die "no fuzz targets"

log "cargo fuzz build (release, debug assertions, AddressSanitizer)"
cargo fuzz build

mkdir -p logs
failed=()
summary=()
for t in "${targets[@]}"; do
  log "$t: ${secs}s"
  rc=0
  # The first directory collects new inputs; the seeds stay where the generator put them.
  cargo fuzz run "$t" "corpus/$t" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"logs/$t.log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -n 1)
  rate=$(grep -oE 'exec/s: [0-9]+' "logs/$t.log" | tail -n 1 | grep -oE '[0-9]+' || true)
  cov=$(grep -oE 'cov: [0-9]+' "logs/$t.log" | tail -n 1 | grep -oE '[0-9]+' || true)
  line=$(printf '%-11s %5ss  %10s execs  %6s exec/s  cov %s' "$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}")
  if ((rc != 0)); then
    failed+=("$t")
    line="$line  FAILED (exit $rc)"
    grep -E 'ERROR|panicked|Test unit written|SUMMARY' "logs/$t.log" | head -n 20 >&2 || true
    log "$t: reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run $t fuzz/artifacts/$t/<file> (in fuzz/)"
  fi
  summary+=("$line")
  log "$line"
done

log "per target (logs in fuzz/logs/):"
printf '  %s\n' "${summary[@]}" >&2
((${#failed[@]} == 0)) || die "fuzz targets failed: ${failed[*]}"
