#!/usr/bin/env bash
# Make sure the container tooling stagediff's real-image tests need is installed and a docker
# daemon answers. Idempotent: installs only missing packages and starts dockerd only when
# `docker info` fails. Safe to source or run; leaves dockerd running in the background.
#
# The daemon runs with --iptables=false --bridge=none --storage-driver=vfs because CI machines
# are plain VMs without a bridge module set up for us and without overlayfs-on-overlayfs;
# vfs is slow and disk-hungry but works everywhere.
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

if ! pgrep -x dockerd >/dev/null 2>&1; then
  log "starting dockerd (log: /tmp/dockerd.log)"
  # setsid: detach from this script's process group so the daemon outlives the caller.
  setsid dockerd --iptables=false --bridge=none --storage-driver=vfs \
    </dev/null >/tmp/dockerd.log 2>&1 &
else
  log "dockerd process exists but does not answer yet; waiting"
fi

deadline=$((SECONDS + ${DOCKER_WAIT_SECONDS:-60}))
until docker info >/dev/null 2>&1; do
  if ((SECONDS >= deadline)); then
    log "dockerd did not answer within ${DOCKER_WAIT_SECONDS:-60}s; last log lines:"
    tail -n 30 /tmp/dockerd.log >&2 || true
    exit 1
  fi
  sleep 1
done
log "docker daemon is up ($(docker version -f '{{.Server.Version}}' 2>/dev/null))"
