#!/usr/bin/env bash
# Durability: kill -9 the server 20 times (override with ITERATIONS=N) during heavy traffic on
# both APIs, while it rewrites accounts.json (token refreshes, project re-discovery) and while
# another process rewrites config.toml and accounts.json; after each kill the accounts file, the
# config and the history database must open, and every request the client saw complete must be
# in the history. Prints one line per kill and a summary.
# Offline: the simulator runs inside the test process; everything is on 127.0.0.1.
#
#   bash scripts/durability.sh            # debug build (reuses `cargo test`'s build)
#   bash scripts/durability.sh --release  # optimised build
set -uo pipefail
cd "$(dirname "$0")/.."
profile=()
if [[ "${1:-}" == "--release" ]]; then
  profile=(--release)
fi
export DURABILITY_ITERATIONS="${ITERATIONS:-20}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
cargo test "${profile[@]}" --test durability kill_9 -- --nocapture --test-threads 1 >"$log" 2>&1
status=$?
grep -E '^(iteration|durability:|thread |error)' "$log" || true
if [[ $status -ne 0 ]]; then
  tail -n 40 "$log"
  echo "durability: FAIL"
  exit 1
fi
echo "durability: PASS"
