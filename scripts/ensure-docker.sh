#!/usr/bin/env bash
# Make sure the container tooling stagediff's real-image tests need is installed and a docker
# daemon answers. Idempotent: installs only missing packages and starts dockerd only when
# `docker info` fails. Safe to source or run; leaves dockerd running in the background.
#
# The daemon runs with --iptables=false --bridge=none because CI machines are plain VMs
# without a bridge set up for us. Storage: overlay2 when the kernel and the backing
# filesystem allow it, else vfs. vfs works everywhere but copies the whole filesystem for
# every layer and container: the test pairs take ~12 GB under vfs against ~4 GB under
# overlay2, and CI disks are not always that roomy. STAGEDIFF_DOCKER_STORAGE=vfs forces one.
set -euo pipefail

LOG_TAG=ensure-docker
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# command -> Debian package. Check dockerd, not docker: some images ship a docker client only.
declare -A want=(
  [dockerd]=docker.io
  [debootstrap]=debootstrap
  [mmdebstrap]=mmdebstrap
  [skopeo]=skopeo
  [zstd]=zstd
  [tmux]=tmux
  [rpm]=rpm
)
missing=()
for cmd in "${!want[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${want[$cmd]}")
done
if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  log "docker daemon already answers"
  exit 0
fi

# A pid file left by a daemon that died makes the next dockerd refuse to start.
if [[ -f /var/run/docker.pid ]] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi

# await_docker [PID]: wait until a daemon answers; fails after DOCKER_WAIT_SECONDS (60) or,
# given a PID, as soon as that process is gone.
await_docker() {
  local pid=${1:-} deadline=$((SECONDS + ${DOCKER_WAIT_SECONDS:-60}))
  until docker info >/dev/null 2>&1; do
    if ((SECONDS >= deadline)) || { [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; }; then
      return 1
    fi
    sleep 1
  done
}

# start_dockerd DRIVER: start a daemon on that storage driver and wait until it answers.
# Fails (and kills it) when it exits or does not answer in time.
start_dockerd() {
  local driver=$1 pid
  log "starting dockerd with --storage-driver=$driver (log: /tmp/dockerd.log)"
  # setsid: detach from this script's process group so the daemon outlives the caller.
  setsid dockerd --iptables=false --bridge=none --storage-driver="$driver" \
    </dev/null >/tmp/dockerd.log 2>&1 &
  pid=$!
  await_docker "$pid" && return 0
  log "dockerd ($driver) did not come up; last log lines:"
  tail -n 15 /tmp/dockerd.log >&2 || true
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f /var/run/docker.pid
  return 1
}

if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd process exists but does not answer yet; waiting"
  await_docker || die "dockerd runs but did not answer within ${DOCKER_WAIT_SECONDS:-60}s"
elif [[ -n ${STAGEDIFF_DOCKER_STORAGE:-} ]]; then
  start_dockerd "$STAGEDIFF_DOCKER_STORAGE" || die "dockerd did not start"
else
  start_dockerd overlay2 || start_dockerd vfs || die "dockerd did not start with overlay2 or vfs"
fi
log "docker daemon is up ($(docker version -f '{{.Server.Version}}' 2>/dev/null), storage $(docker info -f '{{.Driver}}' 2>/dev/null))"
