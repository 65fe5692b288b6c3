#!/usr/bin/env bash
# Build the real test image pairs with a real dockerd and export each image in every form
# stagediff reads. Usage: scripts/build-test-images.sh [OUTDIR]   (default: fixtures-cache/)
#
# Pairs (build contexts in tests/images/):
#   stagediff-test/goapp:single   / :multi   Go HTTP server, Debian builder vs FROM scratch
#   stagediff-test/capp:single    / :multi   C tool, Debian + build-essential vs static FROM scratch
#   stagediff-test/pyapp:single   / :multi   Flask app in a venv (a C extension built from its
#                                            sdist) vs Debian python3 + the builder's venv
#   stagediff-test/nodeapp:single / :multi   TypeScript app, npm ci with devDependencies vs
#                                            Debian nodejs + the pruned node_modules
#   stagediff-test/rpmapp:single  / :multi   rpm-based: fake toolchain root vs runtime root
#   stagediff-test/rustapp:single / :multi   Rust tool with crates.io deps, Debian cargo-web vs
#                                            a static binary FROM scratch
# All but rpmapp build on local/debian:bookworm, made here with debootstrap (no registry is
# reachable); rpmapp on the roots rpm installed for tests/fixtures/rpm, imported as they are.
# A context whose Dockerfiles name build-ca/ is built from a copy with build-ca/ added: the
# CA certificates this host trusts beyond Debian's (/usr/local/share/ca-certificates), so
# pip, npm and cargo inside the build reach their registries through a TLS-inspecting proxy too.
#
# Per image NAME (APP-single, APP-multi) OUTDIR gets:
#   NAME.docker.tar        docker save (legacy docker-archive, uncompressed layers)
#   NAME.size              docker image inspect .Size, bytes
#   NAME.stamp             context hash and image id the outputs were made from
# and, per the pair's needs (exports_of below):
#   NAME.oci-gzip/         OCI layout, gzip layers            (skopeo oci:DIR:latest)
#   NAME.oci-zstd/         OCI layout, zstd layers
#   NAME.oci-archive.tar   OCI layout in a tar, gzip layers   (skopeo oci-archive:)
#   NAME.dpkg              installed package names, one a line (dpkg-query -W in the image)
#   NAME.dpkg-deps         name, Essential, Priority, Provides, Pre-Depends + Depends, tab-separated
#   NAME.pip               pip list --format=freeze of the image's /venv
#   NAME.npm-all.json      npm ls --json --all --long in the image's app dir (paths, dev flags)
#   NAME.npm-prod.json     npm ls --json --all --omit=dev (what a production install keeps)
#   NAME.rpm-qa            rpm -qa of the image's database: NAME EPOCH:VERSION-RELEASE ARCH, sorted
#   NAME.ldd               the entrypoint's program (readlink -f), then `ldd` of it (what the loader maps)
#   NAME.gover             go version -m of the Go binary (the single image has the Go toolchain)
# Idempotent: an image whose outputs are complete and whose build context is unchanged is
# skipped without touching docker; missing outputs are made; stale ones are replaced.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/fixtures-cache}
mkdir -p "$out"
out=$(cd "$out" && pwd)

BASE_TAG=local/debian:bookworm
# The legacy builder gives one layer per instruction and needs no buildx plugin.
export DOCKER_BUILDKIT=0

LOG_TAG=build-test-images
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

# quiet LOGFILE CMD...: keep long tool output out of the CI log unless the command fails.
quiet() {
  local logfile=$1
  shift
  if ! "$@" >"$logfile" 2>&1; then
    log "command failed: $*"
    tail -n 40 "$logfile" >&2
    return 1
  fi
}

workdirs=()
cleanup() { ((${#workdirs[@]})) && rm -rf --one-file-system "${workdirs[@]}"; return 0; }
trap cleanup EXIT

make_rootfs_tar() {
  local tarball=$1 mirror work
  mirror=$(debian_mirror)
  work=$(mktemp -d "$out/.debootstrap.XXXXXX")
  workdirs+=("$work")
  log "debootstrap --variant=minbase bookworm from $mirror"
  quiet "$out/debootstrap.log" debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror"
  tar --numeric-owner -C "$work/rootfs" -cf "$tarball.tmp" .
  mv "$tarball.tmp" "$tarball"
  rm -rf --one-file-system "$work"
}

ensure_base() {
  docker image inspect "$BASE_TAG" >/dev/null 2>&1 && return 0
  # The rootfs tar is cached too, so a wiped docker store costs an import, not a debootstrap.
  local tarball=$out/debian-bookworm-rootfs.tar
  [[ -s $tarball ]] || step "debootstrap bookworm minbase" make_rootfs_tar "$tarball"
  step "docker import $BASE_TAG" quiet "$out/import.log" docker import "$tarball" "$BASE_TAG"
}

# Hash of a build context's files (names and contents), so edited Dockerfiles invalidate.
context_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
}

# What each image exports besides NAME.docker.tar and NAME.size. The OCI forms are for the
# format matrix of tests/docker_e2e.rs (Go and C pairs); the tools' own records are what
# tests/analysis_real.rs checks stagediff against.
exports_of() { # APP KIND
  case $1:$2 in
    goapp:single) echo "oci dpkg ldd gover" ;;
    capp:single) echo "oci dpkg ldd" ;;
    goapp:multi | capp:multi) echo "oci" ;; # FROM scratch: no dpkg
    rpmapp:*) echo "oci rpmqa" ;;
    pyapp:*) echo "dpkg pip ldd" ;;
    nodeapp:single) echo "dpkg npm ldd" ;;
    nodeapp:multi) echo "dpkg ldd" ;; # no npm in the runtime
    rustapp:single) echo "dpkg dpkgdeps ldd" ;;
    rustapp:multi) echo "" ;; # FROM scratch: one static binary
    *) die "no exports declared for $1:$2" ;;
  esac
}

outputs_of() { # APP KIND
  local n=$1-$2 e
  echo "$n.docker.tar $n.size"
  for e in $(exports_of "$1" "$2"); do
    case $e in
      oci) echo "$n.oci-gzip $n.oci-zstd $n.oci-archive.tar" ;;
      dpkg) echo "$n.dpkg" ;;
      dpkgdeps) echo "$n.dpkg-deps" ;;
      pip) echo "$n.pip" ;;
      npm) echo "$n.npm-all.json $n.npm-prod.json" ;;
      rpmqa) echo "$n.rpm-qa" ;;
      ldd) echo "$n.ldd" ;;
      gover) echo "$n.gover" ;;
    esac
  done
}

outputs_complete() { # APP KIND
  local f
  for f in $(outputs_of "$1" "$2"); do [[ -e $out/$f ]] || return 1; done
}

stamp_field() { # STAMPFILE KEY
  [[ -f $1 ]] && sed -n "s/^$2=//p" "$1"
  return 0
}

skopeo_copy() { # DOCKER-ARCHIVE DEST-TRANSPORT:PATH EXTRA-ARGS...
  local src=$1 dest=$2
  shift 2
  skopeo --insecure-policy copy --quiet "$@" "docker-archive:$src" "$dest"
}

export_image() { # TAG APP KIND CONTEXT-HASH
  local tag=$1 app=$2 kind=$3 ctx=$4 name=$2-$3 id tmp exports
  local stamp=$out/$name.stamp archive=$out/$name.docker.tar
  exports=" $(exports_of "$app" "$kind") "
  id=$(docker image inspect -f '{{.Id}}' "$tag")
  if [[ $(stamp_field "$stamp" id) != "$id" ]]; then
    # Outputs from another build of this image (or an unfinished run) must not be mixed in.
    # shellcheck disable=SC2046 # the names are ours and contain no spaces
    (cd "$out" && rm -rf $(outputs_of "$app" "$kind") "$name".*.tmp)
  fi
  printf 'context=%s\nid=%s\ntag=%s\n' "$ctx" "$id" "$tag" >"$stamp"

  if [[ ! -e $archive ]]; then
    step "$name: docker save" docker save -o "$archive.tmp" "$tag"
    chmod 0644 "$archive.tmp" # docker save writes 0600
    mv "$archive.tmp" "$archive"
  fi
  if [[ $exports == *" oci "* ]]; then
    export_oci "$name" "$archive"
  fi
  docker image inspect -f '{{.Size}}' "$tag" >"$out/$name.size"
  records "$tag" "$name" "$exports"
  if [[ $exports == *" rpmqa "* ]]; then
    rpm_qa "$tag" "$name"
  fi
}

# `rpm -qa` of an image that has neither rpm nor a shell (the rpm pair's roots): its database
# directory copied out of a created (never started) container and read by the host's rpm.
rpm_qa() { # TAG NAME
  local tag=$1 name=$2 dir cid
  [[ -e $out/$name.rpm-qa ]] && return 0
  command -v rpm >/dev/null || die "$name: needs the host's rpm to list the image's packages"
  dir=$(mktemp -d "$out/.rpmqa.XXXXXX")
  workdirs+=("$dir")
  mkdir -p "$dir/root/usr/lib/sysimage"
  cid=$(docker create "$tag")
  if ! docker cp "$cid:/usr/lib/sysimage/rpm" "$dir/root/usr/lib/sysimage/rpm"; then
    docker rm "$cid" >/dev/null
    die "$name: no rpm database at /usr/lib/sysimage/rpm"
  fi
  docker rm "$cid" >/dev/null
  rpm --root "$dir/root" --dbpath /usr/lib/sysimage/rpm --define '_db_backend sqlite' \
    -qa --qf '%{NAME} %{EVR} %{ARCH}\n' | LC_ALL=C sort >"$dir/qa"
  [[ -s $dir/qa ]] || die "$name: rpm -qa lists no package"
  mv "$dir/qa" "$out/$name.rpm-qa"
}

# The tools' own records of an image, written by one container (with vfs every container
# copies the whole image, so one run for all of them): dpkg-query -W; pip list of /venv;
# npm ls of /src, all (with paths and dev flags) and production only. npm ls exits non-zero on any problem in the tree
# (missing, invalid), and then the fixture is bad.
records() { # TAG NAME EXPORTS
  local tag=$1 name=$2 exports=$3 dir script="set -e" f want=()
  # shellcheck disable=SC2016 # ${Package} is dpkg-query's format, not shell
  [[ $exports == *" dpkg "* ]] && script+='; dpkg-query -W -f="\${Package}\n" >/out/dpkg' && want+=(dpkg)
  # shellcheck disable=SC2016 # dpkg-query's format again
  [[ $exports == *" dpkgdeps "* ]] && want+=(dpkg-deps) &&
    script+='; dpkg-query -W -f="\${Package}\t\${Essential}\t\${Priority}\t\${Provides}\t\${Pre-Depends}, \${Depends}\n" >/out/dpkg-deps'
  [[ $exports == *" pip "* ]] && want+=(pip) &&
    script+='; /venv/bin/pip --disable-pip-version-check list --format=freeze >/out/pip'
  [[ $exports == *" npm "* ]] && want+=(npm-all.json npm-prod.json) &&
    script+='; cd /src; npm ls --json --all --long >/out/npm-all.json; npm ls --json --all --omit=dev >/out/npm-prod.json'
  # The program the image's ENTRYPOINT runs, as the tests resolve it (the first word).
  local program
  program=$(docker image inspect -f '{{index .Config.Entrypoint 0}}' "$tag")
  # shellcheck disable=SC2016 # expanded in the container
  [[ $exports == *" ldd "* ]] && want+=(ldd) &&
    script+="; p=\$(readlink -f \"\$(command -v $program)\"); { echo \"\$p\"; ldd \"\$p\" 2>&1 || true; } >/out/ldd"
  [[ $exports == *" gover "* ]] && want+=(gover) &&
    script+="; go version -m $program >/out/gover"
  local missing=0
  for f in "${want[@]}"; do [[ -e $out/$name.$f ]] || missing=1; done
  ((missing)) || return 0
  dir=$(mktemp -d "$out/.records.XXXXXX")
  workdirs+=("$dir")
  # --entrypoint: the images' own ENTRYPOINT is the app, not a shell.
  step "$name: ${want[*]}" docker run --rm --network=none -v "$dir:/out" --entrypoint /bin/sh "$tag" -c "$script"
  for f in "${want[@]}"; do mv "$dir/$f" "$out/$name.$f"; done
}

export_oci() { # NAME ARCHIVE
  local name=$1 archive=$2 tmp
  if [[ ! -e $out/$name.oci-gzip ]]; then
    tmp=$out/$name.oci-gzip.tmp
    rm -rf "$tmp"
    step "$name: skopeo -> oci (gzip)" skopeo_copy "$archive" "oci:$tmp:latest" --dest-compress-format gzip
    mv "$tmp" "$out/$name.oci-gzip"
  fi
  if [[ ! -e $out/$name.oci-zstd ]]; then
    tmp=$out/$name.oci-zstd.tmp
    rm -rf "$tmp"
    step "$name: skopeo -> oci (zstd)" skopeo_copy "$archive" "oci:$tmp:latest" --dest-compress-format zstd
    mv "$tmp" "$out/$name.oci-zstd"
  fi
  if [[ ! -e $out/$name.oci-archive.tar ]]; then
    tmp=$out/$name.oci-archive.tar.tmp
    rm -f "$tmp"
    step "$name: skopeo -> oci-archive (gzip)" skopeo_copy "$archive" "oci-archive:$tmp:latest"
    mv "$tmp" "$out/$name.oci-archive.tar"
  fi
}

# The build context: the directory itself, or a copy with build-ca/ added (see the header).
context_for() { # DIR
  local dir=$1 copy
  if ! grep -q 'build-ca/' "$dir"/Dockerfile.*; then
    echo "$dir"
    return
  fi
  copy=$(mktemp -d "$out/.context.XXXXXX")
  workdirs+=("$copy")
  cp -a "$dir/." "$copy/"
  mkdir -p "$copy/build-ca"
  find /usr/local/share/ca-certificates -name '*.crt' -type f -exec cp {} "$copy/build-ca/" \; 2>/dev/null || true
  echo "$copy"
}

# The rpm bases: the fixture roots, imported as rpm left them (re-imported when they change).
RPM_FIXTURES=$repo/tests/fixtures/rpm
ensure_rpm_bases() {
  local tag file want pair
  for pair in "local/rpm-toolchain:fixture before-root.tar.gz" "local/rpm-runtime:fixture after-root.tar.gz"; do
    read -r tag file <<<"$pair"
    want=$(sha256sum "$RPM_FIXTURES/$file" | cut -c1-64)
    [[ $(docker image inspect -f '{{index .Config.Labels "fixture"}}' "$tag" 2>/dev/null) == "$want" ]] && continue
    step "docker import $tag" quiet "$out/import-rpm.log" \
      docker import -c "LABEL fixture=$want" "$RPM_FIXTURES/$file" "$tag"
  done
}

build_pair() { # APP
  local app=$1 dir=$repo/tests/images/$1 ctx kind tag name context=
  [[ -f $dir/Dockerfile.single && -f $dir/Dockerfile.multi ]] || die "no build context in $dir"
  ctx=$(context_hash "$dir")
  # rpmapp's bases are the rpm fixtures: a new fixture is a new context.
  [[ $app == rpmapp ]] && ctx=$( (echo "$ctx"; cd "$RPM_FIXTURES" && sha256sum ./*.tar.gz) | sha256sum | cut -c1-64)
  # single first: the multi-stage builders repeat its first steps and reuse its layers.
  for kind in single multi; do
    tag=stagediff-test/$app:$kind
    name=$app-$kind
    if outputs_complete "$app" "$kind" && [[ $(stamp_field "$out/$name.stamp" context) == "$ctx" ]]; then
      log "$name: outputs up to date, skipped"
      continue
    fi
    if [[ $app == rpmapp ]]; then ensure_rpm_bases; else ensure_base; fi
    [[ -n $context ]] || context=$(context_for "$dir")
    step "$name: docker build" quiet "$out/$name.build.log" \
      docker build --network=host -f "$context/Dockerfile.$kind" -t "$tag" "$context"
    export_image "$tag" "$app" "$kind" "$ctx"
  done
}

t_start=$EPOCHREALTIME
step "ensure docker" bash "$repo/scripts/ensure-docker.sh"
# STAGEDIFF_PAIRS="rpmapp" builds only the pairs named.
read -r -a pairs <<<"${STAGEDIFF_PAIRS:-goapp capp rpmapp pyapp nodeapp rustapp}"
for app in "${pairs[@]}"; do build_pair "$app"; done

log "outputs in $out:"
(cd "$out" && for app in "${pairs[@]}"; do for n in "$app-single" "$app-multi"; do
  printf '  %-15s image %10s B  docker.tar %6s%s%s\n' \
    "$n" "$(cat "$n.size")" "$(du -sh "$n.docker.tar" | cut -f1)" \
    "$([[ -e $n.oci-gzip ]] && printf '  oci-gzip %6s  oci-zstd %6s  oci-archive %6s' \
      "$(du -sh "$n.oci-gzip" | cut -f1)" "$(du -sh "$n.oci-zstd" | cut -f1)" \
      "$(du -sh "$n.oci-archive.tar" | cut -f1)")" \
    "$([[ -e $n.dpkg ]] && echo "  dpkg $(wc -l <"$n.dpkg") pkgs")"
done; done) >&2
print_timings
log "total: $(elapsed_since "$t_start")s"
