#!/usr/bin/env bash
# Renders `dashshare report --format html` of the sandbox in headless Chromium to a PNG, so that a
# person sees the page the way a reviewer would. Not run by `cargo test`.
# Needs Debian's chromium package (apt-get install -y chromium). The page is opened from a file
# with networking switched off as far as Chromium allows: it must need none.
# Usage: examples/report_screenshot.sh [OUT.png]   (default: report.png in the current folder)
set -euo pipefail

out=$(realpath -m "${1:-report.png}")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'kill "${sandbox_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/debug/dashshare"

"$bin" sandbox --write-config "$work/config.toml" > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 100); do grep -q "^export " "$work/sandbox.log" 2>/dev/null && break; sleep 0.2; done
export DASHSHARE_CONFIG="$work/config.toml"
# The sandbox prints the secrets its config refers to as `export NAME=value` lines.
eval "$(grep '^export ' "$work/sandbox.log" || true)"

# Share one ECI dashboard with everyone, so that the flag shows.
water=$("$bin" -p sandbox-eci -o json dashboards --search Water | grep -o '"id": *"*[0-9]*' | head -1 | grep -o '[0-9]*$')
"$bin" -p sandbox-eci -q grant "$water" --everyone
"$bin" -p sandbox-sisense -p sandbox-eci report --many 2 --out "$work/report.html"

/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --screenshot="$out" --window-size=1400,900 \
  "file://$work/report.html"
echo "screenshot: $out"
