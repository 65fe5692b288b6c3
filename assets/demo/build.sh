#!/usr/bin/env bash
# Regenerate the bundled demo pair (assets/demo/single.* and multi.*) with a real dockerd.
# Each run rewrites the archives and so grows git history: regenerate rarely, commit once.
#
#   1. mmdebstrap a tiny Debian bookworm: dpkg, libc-bin, busybox, tcc, libc6-dev; apt lists
#      kept (trimmed, see README.md); docs, locales, gconv modules and static libs excluded
#      with dpkg path-exclude, the way slim images do, so the dpkg database stays truthful.
#   2. docker import it as stagediff-demo/base:bookworm.
#   3. docker build Dockerfile.single / Dockerfile.multi as stagediff-demo/inistat:single / :multi
#      (legacy builder, --network=none: nothing is fetched during the build).
#   4. Check both images run and print the same summary.
#   5. Export each as an OCI archive with zstd -19 layers, or as `docker save | zstd -19`
#      when that is smaller, and print the sizes.
set -euo pipefail

demo=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$demo/../.." && pwd)
LOG_TAG=demo
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

BASE_TAG=stagediff-demo/base:bookworm
APP_REPO=stagediff-demo/inistat
# Fixed file times in the base, so regenerating changes as little as the tools allow.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1735689600} # 2025-01-01
export DOCKER_BUILDKIT=0

bash "$repo/scripts/ensure-docker.sh"

work=$(mktemp -d /tmp/stagediff-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

mirror=$(debian_mirror)
log "mmdebstrap bookworm from $mirror"
# shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook, not here
mmdebstrap --variant=custom \
  --include=dpkg,libc-bin,busybox,tcc,libc6-dev \
  --hook-dir=/usr/share/mmdebstrap/hooks/busybox \
  --skip=cleanup/apt/lists \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/gconv/*' \
  --dpkgopt='path-exclude=/usr/lib/x86_64-linux-gnu/*.a' \
  --dpkgopt='path-include=/usr/lib/x86_64-linux-gnu/libc_nonshared.a' \
  --dpkgopt='path-include=/usr/lib/x86_64-linux-gnu/tcc/*' \
  --customize-hook='rm "$1"/var/lib/apt/lists/*_dists_bookworm_main_binary-amd64_Packages' \
  bookworm "$work/base.tar" \
  "deb $mirror bookworm main" "deb $mirror bookworm-updates main" >"$work/mmdebstrap.log" 2>&1 ||
  { tail -n 40 "$work/mmdebstrap.log" >&2; die "mmdebstrap failed"; }
docker import "$work/base.tar" "$BASE_TAG" >/dev/null
log "base: $(du -h "$work/base.tar" | cut -f1) rootfs tar, imported as $BASE_TAG"

for kind in single multi; do
  docker build --network=none -q -f "$demo/Dockerfile.$kind" -t "$APP_REPO:$kind" "$demo" >/dev/null
  summary=$(docker run --rm --network=none "$APP_REPO:$kind" | tail -n 1)
  [[ $summary == *"3 sections, 5 keys"* ]] || die "$APP_REPO:$kind printed: $summary"
  log "$APP_REPO:$kind runs: $summary"
done

# What dpkg itself says is installed in the single-stage image: tests/demo_pair.rs checks
# that stagediff finds exactly these packages eliminated.
docker run --rm --network=none --entrypoint dpkg-query "$APP_REPO:single" -W -f='${Package}\n' |
  sort >"$demo/single.dpkg"

pick() { # KIND: export both ways, keep the smaller in assets/demo
  local kind=$1 tag=$APP_REPO:$1 oci zst
  docker save -o "$work/$kind.docker.tar" "$tag"
  skopeo --insecure-policy copy --quiet --dest-compress-format zstd --dest-compress-level 19 \
    "docker-archive:$work/$kind.docker.tar" "oci-archive:$work/$kind.oci.tar:$tag"
  zstd -19 -q -T0 "$work/$kind.docker.tar" -o "$work/$kind.docker.tar.zst"
  oci=$(stat -c %s "$work/$kind.oci.tar")
  zst=$(stat -c %s "$work/$kind.docker.tar.zst")
  log "$tag: image $(docker image inspect -f '{{.Size}}' "$tag") B; docker save $(stat -c %s "$work/$kind.docker.tar") B; oci-archive zstd-19 $oci B; docker save | zstd -19 $zst B"
  rm -f "$demo/$kind.oci.tar" "$demo/$kind.docker.tar.zst"
  if ((oci <= zst)); then
    mv "$work/$kind.oci.tar" "$demo/$kind.oci.tar"
    log "kept $kind.oci.tar"
  else
    mv "$work/$kind.docker.tar.zst" "$demo/$kind.docker.tar.zst"
    log "kept $kind.docker.tar.zst (smaller than the OCI archive)"
  fi
}
pick single
pick multi
ls -l "$demo"/single.* "$demo"/multi.* >&2
