#!/usr/bin/env bash
# End-to-end tests against real images: make sure a docker daemon runs, build the real test
# image pairs into fixtures-cache/ (cached), then run tests/docker_e2e.rs on them.
# Fails, rather than passing quietly, when the test file is missing or runs no test.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=e2e
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"
cd "$repo"

# Checked first so a missing suite costs seconds, not an image build.
[[ -f tests/docker_e2e.rs ]] ||
  die "tests/docker_e2e.rs does not exist: there is no end-to-end suite to run, so e2e cannot pass"

t0=$EPOCHREALTIME
bash scripts/ensure-docker.sh
bash scripts/build-test-images.sh "$repo/fixtures-cache"
log "images ready in $(elapsed_since "$t0")s"

# podman's API socket, for the podman:// reference: rootful, vfs storage like dockerd's.
if ! command -v podman >/dev/null 2>&1; then
  log "installing podman"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman >/dev/null
fi
# A socket file can outlive its service (a killed session leaves it): ask it, don't trust it.
if ! podman --remote --url unix:///run/podman/podman.sock version >/dev/null 2>&1; then
  rm -f /run/podman/podman.sock
  mkdir -p /run/podman
  podman --storage-driver=vfs system service --time=0 unix:///run/podman/podman.sock >/tmp/podman.log 2>&1 &
  for _ in $(seq 1 50); do
    podman --remote --url unix:///run/podman/podman.sock version >/dev/null 2>&1 && break
    sleep 0.2
  done
  podman --remote --url unix:///run/podman/podman.sock version >/dev/null 2>&1 ||
    die "podman's API socket does not answer: $(tail -5 /tmp/podman.log)"
fi
podman --storage-driver=vfs load -q -i "$repo/fixtures-cache/goapp-multi.docker.tar" >/dev/null

t0=$EPOCHREALTIME
out=$(mktemp)
trap 'rm -f "$out"' EXIT
STAGEDIFF_FIXTURES=$repo/fixtures-cache \
  cargo test --release --test docker_e2e --test analysis_real -- --include-ignored 2>&1 | tee "$out"
log "docker_e2e finished in $(elapsed_since "$t0")s"

# cargo test exits 0 when a filter or a cfg leaves nothing to run; that is not a pass here.
passed=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$out" | awk '{ n += $1 } END { print n + 0 }')
((passed > 0)) || die "tests/docker_e2e.rs ran no test"
log "$passed end-to-end tests passed"
