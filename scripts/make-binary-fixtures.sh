#!/usr/bin/env bash
# Rebuilds the binary fixtures under tests/fixtures/binaries/ from the sources beside them:
#
#   go/NAME.buildinfo  the bytes of a real Go binary from its build-info magic on (header +
#                      inline strings, a few hundred bytes), as src/binary/go.rs reads them
#   go/NAME.txt        what `go version -m` printed for that binary at the time: the truth
#                      tests/binary_fixtures.rs compares every parsed field with
#   rust/NAME.dep-v0   the raw .dep-v0 section `cargo auditable build` embedded in a tiny crate
#
# Needs Go (Debian's golang-go, 1.19), cargo-auditable (`cargo install --locked
# cargo-auditable`), objcopy and python3. No network for Go: the one dependency is a local
# module reached through `replace`. The tests themselves need none of these tools.
#
#   bash scripts/make-binary-fixtures.sh [go|rust]...
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOG_TAG=binary-fixtures
# shellcheck source=scripts/lib.sh
. "$repo/scripts/lib.sh"

fix=$repo/tests/fixtures/binaries
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
parts=("$@")
((${#parts[@]})) || parts=(go rust)

# extract_buildinfo BINARY OUT: the 16-aligned build-info blob of BINARY (header and both
# varint-prefixed strings, exactly), found by file offset as Go's linker aligns it.
extract_buildinfo() {
  python3 - "$1" "$2" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
magic = b"\xff Go buildinf:"
i = data.find(magic)
while i >= 0 and i % 16:
    i = data.find(magic, i + 1)
if i < 0:
    sys.exit(f"{sys.argv[1]}: no aligned build-info magic")
if not data[i + 15] & 2:
    sys.exit(f"{sys.argv[1]}: pointer layout (Go < 1.18): not extracted")
pos = i + 32
for _ in range(2):
    n = shift = 0
    while True:
        b = data[pos]; pos += 1
        n |= (b & 0x7F) << shift; shift += 7
        if b < 0x80:
            break
    pos += n
open(sys.argv[2], "wb").write(data[i:pos])
print(f"{sys.argv[2]}: {pos - i} bytes from file offset {i:#x}", file=sys.stderr)
PY
}

# go_fixture NAME DIR ARGS...: `go build ARGS` in DIR to $work/bin/NAME, then the extract
# and `go version -m` (run in $work/bin so its first line reads "NAME: goX.Y.Z").
go_fixture() {
  local name=$1 dir=$2
  shift 2
  log "go: $name"
  (cd "$dir" && go build -o "$work/bin/$name" "$@")
  extract_buildinfo "$work/bin/$name" "$fix/go/$name.buildinfo"
  (cd "$work/bin" && go version -m "$name") >"$fix/go/$name.txt"
}

make_go() {
  command -v go >/dev/null || die "go not found (apt-get install golang-go)"
  mkdir -p "$fix/go" "$work/bin"
  cp -a "$fix/go-src/." "$work/src"
  export GOSUMDB=off GOFLAGS= GOWORK=off GOTOOLCHAIN=local
  # example.com/colors v1.2.3 from a file:// module proxy (a module zip under the
  # path@version/ prefix, its .mod, .info and list), so its dep line carries an h1: hash.
  python3 - "$fix/go-src/colors" "$work/proxy/example.com/colors/@v" <<'PY'
import os, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
v = "v1.2.3"
with zipfile.ZipFile(f"{out}/{v}.zip", "w") as z:
    for f in sorted(os.listdir(src)):
        z.write(f"{src}/{f}", f"example.com/colors@{v}/{f}")
open(f"{out}/{v}.mod", "w").write(open(f"{src}/go.mod").read())
open(f"{out}/{v}.info", "w").write('{"Version":"%s","Time":"2024-01-02T03:04:05Z"}' % v)
open(f"{out}/list", "w").write(v + "\n")
PY
  export GOPROXY=file://$work/proxy GOMODCACHE=$work/modcache

  # GOPATH mode: no module, so no mod/dep lines; CGO off.
  GO111MODULE=off GOPATH=$work/src/gopath CGO_ENABLED=0 \
    go_fixture gopath-hello "$work/src/gopath/src/hello" .

  # A module in a git checkout (vcs.* settings), CGO on, -trimpath.
  local inv=$work/src/inventory
  (cd "$inv" && GO111MODULE=on go mod tidy)
  git -C "$inv" init -q
  git -C "$inv" add -A
  GIT_AUTHOR_DATE=2024-01-02T03:04:05Z GIT_COMMITTER_DATE=2024-01-02T03:04:05Z \
    git -C "$inv" -c user.name=fixture -c user.email=fixture@example.com commit -q -m fixture
  GO111MODULE=on CGO_ENABLED=1 \
    go_fixture inventory-trimpath-cgo "$inv" -trimpath .

  # The same module vendored, CGO off, build tags, no vcs stamping, and -ldflags with spaces
  # and quotes (Go quotes such values in the build info; it drops -ldflags under -trimpath).
  (cd "$inv" && GO111MODULE=on go mod vendor)
  GO111MODULE=on CGO_ENABLED=0 \
    go_fixture inventory-vendor-nocgo "$inv" -mod=vendor -buildvcs=false -tags 'fixture extra' \
    -ldflags='-s -w "-X=main.build=fixture v1"' .

  # 32-bit (pointer size 4) and big-endian (s390x) headers.
  GO111MODULE=on CGO_ENABLED=0 GOARCH=386 \
    go_fixture inventory-386 "$inv" -mod=vendor -buildvcs=false .
  GO111MODULE=on CGO_ENABLED=0 GOARCH=s390x \
    go_fixture inventory-s390x "$inv" -mod=vendor -buildvcs=false .
  go version >"$fix/go/GO_VERSION"
  chmod -R u+w "$work/modcache"
}

make_rust() {
  cargo auditable --version >/dev/null 2>&1 || die "cargo-auditable not found (cargo install --locked cargo-auditable)"
  mkdir -p "$fix/rust"
  local src=$fix/rust-src/tinydep
  log "rust: tinydep (cargo auditable build --release)"
  # Cargo.lock is committed and used as is (--locked): the test compares with it.
  (cd "$src" && CARGO_TARGET_DIR=$work/target cargo auditable build --release --locked --quiet)
  objcopy --dump-section .dep-v0="$fix/rust/tinydep.dep-v0" "$work/target/release/tinydep" "$work/tinydep.stripped"
  cargo install --list | grep "^cargo-auditable " >"$fix/rust/CARGO_AUDITABLE_VERSION"
  log "rust: $(wc -c <"$fix/rust/tinydep.dep-v0") bytes of .dep-v0"
}

for p in "${parts[@]}"; do
  case $p in
    go) make_go ;;
    rust) make_rust ;;
    *) die "unknown part '$p' (go or rust)" ;;
  esac
done
