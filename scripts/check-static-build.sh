#!/usr/bin/env bash
# Builds the static Linux binary that releases ship (x86_64 musl, or the musl target given, which
# must run on this machine), checks that it is statically linked, prints its size and runs it.
# A full release build takes minutes, so this is not part of .ci/run; the release workflow runs
# it for both Linux binaries.
#   scripts/check-static-build.sh [TARGET]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

target=${1:-x86_64-unknown-linux-musl}
bin="${CARGO_TARGET_DIR:-target}/$target/release/dashshare"

fail() {
  echo "check-static-build: $*" >&2
  exit 1
}

if ! rustup target list --installed | grep -qx "$target"; then
  echo "== rustup target add $target"
  rustup target add "$target"
fi

# rustls's crypto (aws-lc-sys) compiles C; for a musl target the cc crate calls musl-gcc.
if ! command -v musl-gcc >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== apt-get install musl-tools"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq musl-tools >/dev/null
  else
    fail "musl-gcc is missing: install musl-tools (Debian, Ubuntu: sudo apt-get install musl-tools)"
  fi
fi

# For some musl targets (aarch64) the cc crate looks for <arch>-linux-musl-gcc, which musl-tools
# does not ship; its musl-gcc compiles for this machine's own architecture, the target's here.
cc_var="CC_${target//-/_}"
export "$cc_var=${!cc_var:-musl-gcc}"

echo "== cargo build --locked --release --target $target"
cargo build --locked --release --target "$target"
[ -x "$bin" ] || fail "no binary at $bin"

# A static binary asks for no program interpreter (no PT_INTERP header) and no shared library.
headers=$(readelf --program-headers --wide "$bin")
if grep -q 'INTERP' <<<"$headers"; then
  fail "$bin names a program interpreter: it is dynamically linked"
fi
if readelf --dynamic --wide "$bin" | grep -q '(NEEDED)'; then
  fail "$bin needs shared libraries: $(readelf --dynamic --wide "$bin" | grep '(NEEDED)' | tr -s ' ')"
fi
if command -v file >/dev/null 2>&1; then
  file "$bin"
fi

bytes=$(stat -c %s "$bin")
echo "== size: $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))"

echo "== $bin --version"
"$bin" --version
echo "== $bin demo"
demo_out=$(mktemp)
trap 'rm -f "$demo_out"' EXIT
if ! "$bin" demo >"$demo_out" 2>&1; then
  cat "$demo_out" >&2
  fail "demo failed"
fi
tail -n 3 "$demo_out"
echo "== static build OK: $bin"
