#!/usr/bin/env bash
# Load and soak (issue 5 §2): the release `anti-api-tui serve` with three simulated accounts,
# 10 minutes of mixed traffic at a steady open-loop rate (both APIs, streaming and not, tool
# calls and results, thinking, 5% injected upstream 429s, 5% clients leaving mid-stream). Fails
# on any unexpected answer, on RSS or descriptor growth beyond the bounds in tests/soak.rs, and
# on any request missing from (or extra in) the history. Stops by itself; loopback only.
#
#   bash scripts/soak.sh                          # 600 s at 30 req/s
#   SOAK_SECS=60 SOAK_RATE=40 bash scripts/soak.sh
#
# The summary goes to stdout and to target/soak/report.md (the whole log: target/soak/log.txt).
set -uo pipefail
cd "$(dirname "$0")/.."
export SOAK_SECS="${SOAK_SECS:-600}"
export SOAK_RATE="${SOAK_RATE:-30}"
mkdir -p target/soak
export SOAK_REPORT="$PWD/target/soak/report.md"
rm -f "$SOAK_REPORT"
log=target/soak/log.txt

echo "soak: building (release)"
# The test executable is run directly, not through a second `cargo test`: target/ is shared, and
# a concurrent build must not make the timed run wait for a rebuild or a lock.
exe=$(cargo test --release --test soak --no-run --message-format=json 2>"$log" |
  sed -n 's/.*"executable":"\([^"]*\/soak-[^"]*\)".*/\1/p' | tail -n 1)
if [[ -z "$exe" || ! -x "$exe" ]]; then
  tail -n 40 "$log"
  echo "soak: BUILD FAILED"
  exit 1
fi
echo "soak: ${SOAK_SECS} s at ${SOAK_RATE} req/s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
start=$(date +%s)
# The test bounds each request (30 s) and the shutdown (30 s); `timeout` is a last resort.
timeout --signal=KILL "$((SOAK_SECS + 300))" "$exe" --nocapture --test-threads 1 >>"$log" 2>&1
status=$?
echo "soak: finished in $(($(date +%s) - start)) s"
if [[ -f "$SOAK_REPORT" ]]; then
  cat "$SOAK_REPORT"
fi
if [[ $status -ne 0 ]]; then
  grep -E "^(thread|test |failures|error)|panicked" "$log" | tail -n 20
  echo "soak: FAIL (log: $log)"
  exit 1
fi
echo "soak: PASS (report: $SOAK_REPORT)"
