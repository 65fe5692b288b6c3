# shellcheck shell=bash
# Helpers shared by the image scripts. Source it: . "$repo/scripts/lib.sh"
# Callers set LOG_TAG before calling log.

log() { printf '[%s %s] %s\n' "${LOG_TAG:-stagediff}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Seconds since an $EPOCHREALTIME stamp, one decimal.
elapsed_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# The Debian mirror this machine's own apt uses (first non-comment .../debian URI, so never
# the -security one); DEBIAN_MIRROR overrides it.
debian_mirror() {
  local uri
  uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -vE '^[[:space:]]*#' |
    grep -oE 'https?://[^[:space:]]+/debian/?([[:space:]]|$)' | tr -d '[:space:]' | head -n 1 || true)
  echo "${DEBIAN_MIRROR:-${uri:-http://deb.debian.org/debian}}"
}

# Free space on the filesystem holding the current directory, e.g. "41G". A full disk
# shows up as odd failures (a linker dying of SIGBUS), so the step log carries this.
disk_free() { df -Ph . 2>/dev/null | awk 'NR == 2 { print $4 }'; }

# step LABEL CMD...: run CMD, log how long it took and remember it for print_timings.
timings=()
step() {
  local label=$1 t0=$EPOCHREALTIME dt
  shift
  log "$label ..."
  "$@"
  dt=$(elapsed_since "$t0")
  log "$label: ${dt}s (disk free: $(disk_free))"
  timings+=("$(printf '%8ss  %s' "$dt" "$label")")
}

print_timings() {
  log "step timings:"
  ((${#timings[@]})) && printf '  %s\n' "${timings[@]}" >&2
  return 0
}
