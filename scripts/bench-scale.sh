#!/usr/bin/env bash
# The scale benchmark: `stagediff inspect` on synthetic docker-save archives with many small
# files, so growth with the number of entries is visible (issue: time linear in entries,
# whatever order the names arrive in).
#
# Usage: scripts/bench-scale.sh [FIXTURES_DIR]        (default: fixtures-cache/)
# Env:   SCALE_SIZES="100000 300000 1000000"   files per image
#        SCALE_ORDERS="sorted reverse random onedir"
#                      order of the entries in the layer tars; `onedir` is the single-directory
#                      worst case: every file in one directory, in reverse order
#        SCALE_DIRS=1000        directories (all but onedir)
#        SCALE_SECOND_LAYER=0.1 fraction of directories the second layer deletes by whiteout
#                               (it also rewrites every 7th file); "" for one layer only
#        SCALE_CONTENT=400      bytes per file at most (0: header-only archives)
#        SCALE_TIMEOUT=120      seconds before one run is killed (reported as "> T s")
#        BENCH_RUNS=3           runs per archive; the median is reported
#        STAGEDIFF_BIN          binary to time (default target/release/stagediff)
#        BENCH_BUILD=0          do not build (stagediff and the generator must exist)
#
# Archives are generated once (examples/gen_scale.rs) and cached in FIXTURES_DIR/scale/,
# named by their parameters; delete them to regenerate. Each run is timed by /usr/bin/time
# (wall, user+sys, peak RSS) after one untimed run that leaves the archive in the page
# cache. Run it niced on a shared machine and quote the load average printed at the end.
# Results: FIXTURES_DIR/scale/bench-scale.md (and .tsv with every run).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fixtures=${1:-$repo/fixtures-cache}
LOG_TAG=bench-scale
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

sizes=${SCALE_SIZES:-100000 300000 1000000}
orders=${SCALE_ORDERS:-sorted reverse random onedir}
dirs=${SCALE_DIRS:-1000}
second=${SCALE_SECOND_LAYER-0.1}
content=${SCALE_CONTENT:-400}
limit=${SCALE_TIMEOUT:-120}
runs=${BENCH_RUNS:-3}
stagediff=${STAGEDIFF_BIN:-$repo/target/release/stagediff}
gen=$repo/target/release/examples/gen_scale
out=$fixtures/scale
mkdir -p "$out"

[[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"
if [[ ${BENCH_BUILD:-1} != 0 ]]; then
  log "building stagediff and the generator (release)"
  (cd "$repo" && cargo build --release --quiet --bin stagediff --example gen_scale)
fi
[[ -x $stagediff ]] || die "no stagediff binary at $stagediff"
[[ -x $gen ]] || die "no generator at $gen (cargo build --release --example gen_scale)"

# archive N ORDER: the cached archive's path, generated when missing.
archive() {
  local n=$1 order=$2 d=$dirs
  if [[ $order == onedir ]]; then
    order=reverse
    d=1
  fi
  local name="n$n-d$d-$order-c$content${second:+-w$second}.tar"
  if [[ ! -f $out/$name ]]; then
    local args=(--files "$n" --dirs "$d" --order "$order" --content "$content" -o "$out/$name")
    [[ -n $second ]] && args+=(--second-layer "$second")
    log "generating $name"
    "$gen" "${args[@]}"
  fi
  echo "$out/$name"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
tsv=$out/bench-scale.tsv
: >"$tsv"
for n in $sizes; do
  for order in $orders; do
    a=$(archive "$n" "$order")
    log "timing $(basename "$a") ($(stat -c %s "$a") bytes)"
    timeout "$limit" cat "$a" >/dev/null
    # One untimed run warms the page cache; skipped when it already hits the limit.
    warm=ok
    timeout "$limit" "$stagediff" inspect "$a" >/dev/null 2>&1 || warm=$?
    for _ in $(seq "$runs"); do
      if [[ $warm == 124 ]]; then
        printf '%s\t%s\t%s\n' "$n" "$order" "timeout $limit 0 0 0" >>"$tsv"
        continue
      fi
      rc=0
      /usr/bin/time -o "$out/time.out" -f '%e %U %S %M' \
        timeout "$limit" "$stagediff" inspect "$a" >/dev/null 2>"$out/run.err" || rc=$?
      if [[ $rc == 124 ]]; then
        printf '%s\t%s\t%s\n' "$n" "$order" "timeout $limit 0 0 0" >>"$tsv"
      elif [[ $rc != 0 ]]; then
        die "stagediff inspect $a failed ($rc): $(head -c 300 "$out/run.err")"
      else
        printf '%s\t%s\tok %s\n' "$n" "$order" "$(tail -n 1 "$out/time.out")" >>"$tsv"
      fi
    done
  done
done

python3 - "$tsv" "$runs" >"$out/bench-scale.md" <<'PY'
import statistics, sys

rows = {}
for line in open(sys.argv[1]):
    n, order, fields = line.rstrip("\n").split("\t")
    status, wall, user, sys_, kib = fields.split()
    rows.setdefault((int(n), order), []).append((status, float(wall), float(user) + float(sys_), int(kib)))

base = {}  # (wall, CPU) µs/file at the smallest N, per order
print("| files | order | median wall | wall min–max | CPU user+sys | peak RSS | wall µs/file | CPU µs/file "
      "| × smallest N (wall / CPU) |")
print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
known = ["sorted", "reverse", "random", "onedir"]
for (n, order) in sorted(rows, key=lambda k: (k[0], known.index(k[1]) if k[1] in known else len(known))):
    runs = rows[(n, order)]
    ok = [r for r in runs if r[0] == "ok"]
    if len(ok) < len(runs):
        print(f"| {n:,} | {order} | > {runs[0][1]:.0f} s ({len(runs) - len(ok)} of {len(runs)} killed) | | | | | | |")
        continue
    wall = statistics.median(r[1] for r in ok)
    cpu = statistics.median(r[2] for r in ok)
    rss = statistics.median(r[3] for r in ok) / 1024
    per = (wall / n * 1e6, cpu / n * 1e6)
    b = base.setdefault(order, per)
    print(f"| {n:,} | {order} | {wall:.2f} s | {min(r[1] for r in ok):.2f}–{max(r[1] for r in ok):.2f} s "
          f"| {cpu:.2f} s | {rss:.0f} MiB | {per[0]:.2f} | {per[1]:.2f} | {per[0] / b[0]:.2f}× / {per[1] / b[1]:.2f}× |")
PY
{
  echo
  echo "Runs per archive: $runs (median), warm page cache, timeout ${limit}s; $dirs directories" \
    "(onedir: 1), second layer: ${second:-none}, up to $content bytes a file; $(nproc) cores;" \
    "load average at the start $load_before, at the end $(cut -d' ' -f1-3 /proc/loadavg)" \
    "(figures taken while other work ran on the machine are noisy)."
} >>"$out/bench-scale.md"
cat "$out/bench-scale.md"
