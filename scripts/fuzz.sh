#!/usr/bin/env bash
# Fuzzing on a budget: runs each property module of tests/properties.rs (the request parsers
# and what they build upstream, the response/SSE encoders, the upstream SSE reader and decoder,
# the schema cleaner, the failure classifier) in the release profile for a fixed share of the
# wall-clock budget, and reports per target: properties, cases executed, wall time, failures
# with proptest's minimized input. Writes a Markdown summary to target/fuzz/summary.md.
# (cargo-fuzz needs a nightly toolchain; proptest runs on stable.)
#
#   bash scripts/fuzz.sh                 # about 10 minutes of fuzzing after the build
#   BUDGET_SECS=120 bash scripts/fuzz.sh # total budget in seconds, split evenly
#   TARGETS="schema classify" bash scripts/fuzz.sh
#
# Each target runs in batches: CALIBRATION_CASES cases per property first to measure its speed,
# then batches sized to the rest of its share (at most MAX_CASES each), until less than a tenth
# of the share is left. Every batch draws new random inputs. A hard `timeout` at twice the
# share guards against a hang. Failing inputs are saved by proptest in
# tests/properties/<target>.proptest-regressions and replayed first on every later run.
set -uo pipefail
cd "$(dirname "$0")/.."

budget="${BUDGET_SECS:-600}"
targets=(${TARGETS:-openai_request anthropic_request encoders upstream_stream schema classify})
calibration="${CALIBRATION_CASES:-200}"
max_cases="${MAX_CASES:-2000000}"
out_dir=target/fuzz
mkdir -p "$out_dir"
summary="$out_dir/summary.md"
export RUST_BACKTRACE=0
# Shrinking a failure is bounded too (milliseconds), so a failing run still ends.
export PROPTEST_MAX_SHRINK_TIME="${PROPTEST_MAX_SHRINK_TIME:-60000}"

echo "==> building the property tests (release)"
build_started=$(date +%s)
build_log="$out_dir/build.log"
if ! cargo test --release --test properties --no-run >"$build_log" 2>&1; then
  tail -n 30 "$build_log"
  echo "fuzz: the build failed"
  exit 1
fi
bin=$(grep -oE 'target/release/deps/properties-[0-9a-f]+' "$build_log" | tail -n 1)
if [[ -z "$bin" || ! -x "$bin" ]]; then
  echo "fuzz: cannot find the test binary in $build_log"
  exit 1
fi
echo "    built in $(($(date +%s) - build_started)) s: $bin"

share=$((budget / ${#targets[@]}))
((share < 10)) && share=10
echo "==> ${#targets[@]} targets, ${share} s each (BUDGET_SECS=$budget)"

now_ms() { date +%s%3N; }

# run TARGET CASES LOG: runs one module with CASES cases per property under the hard timeout;
# prints the wall time in milliseconds; the exit status is the test binary's.
run() {
  local target=$1 cases=$2 log=$3 started status
  started=$(now_ms)
  PROPTEST_CASES="$cases" timeout --kill-after=10 $((share * 2)) \
    "$bin" "properties::${target}::" --test-threads 2 >"$log" 2>&1
  status=$?
  echo $(($(now_ms) - started))
  return $status
}

{
  echo "# Fuzzing summary"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, release profile, budget ${budget} s" \
    "(${share} s per target), \`$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\`."
  echo
  echo "| target | properties | cases per property | cases executed | wall time | result |"
  echo "|---|---:|---:|---:|---:|---|"
} >"$summary"

failed=0
details=""
total_cases=0
for target in "${targets[@]}"; do
  log="$out_dir/$target.log"
  # Batches until the share is spent: the first (CALIBRATION_CASES) measures the speed, each
  # next one is sized to 80% of what is left at the speed measured so far (process start-up
  # and replayed regressions included, so the estimate errs on the short side).
  cases=0
  wall_ms=0
  batch=$calibration
  status=0
  for _ in 1 2 3 4 5 6; do
    ms=$(run "$target" "$batch" "$log")
    status=$?
    cases=$((cases + batch))
    wall_ms=$((wall_ms + ms))
    ((status != 0)) && break
    rest_ms=$((share * 1000 - wall_ms))
    ((rest_ms < share * 100)) && break
    batch=$((wall_ms > 0 ? cases * rest_ms * 8 / 10 / wall_ms : max_cases))
    ((batch > max_cases)) && batch=$max_cases
    ((batch < calibration)) && break
  done
  props=$(grep -cE '^test properties::.* \.\.\. (ok|FAILED)$' "$log")
  executed=$((cases * props))
  if [[ $status -eq 0 ]]; then
    result="pass"
    total_cases=$((total_cases + executed))
  elif [[ $status -eq 124 || $status -eq 137 ]]; then
    result="TIMEOUT"
    failed=1
  else
    result="FAIL"
    failed=1
  fi
  secs=$(awk -v ms="$wall_ms" 'BEGIN { printf "%.1f", ms / 1000 }')
  printf '%-18s %2d properties  %9d cases/property  %11d cases  %7s s  %s\n' \
    "$target" "$props" "$cases" "$executed" "$secs" "$result"
  echo "| \`$target\` | $props | $cases | $executed | $secs s | $result |" >>"$summary"
  if [[ $result != pass ]]; then
    # proptest prints the failing property, the message and the minimized input.
    found=$(grep -E -A 40 '^(Test failed|thread .* panicked at tests/)' "$log" | head -n 120)
    echo "$found" | sed 's/^/    /'
    details+=$'\n'"### \`$target\`: $result"$'\n\n```\n'"$found"$'\n```\n'
  fi
done

{
  echo
  echo "Cases executed in passing targets: $total_cases."
  if [[ -n "$details" ]]; then
    echo
    echo "## Failures"
    echo "$details"
  else
    echo
    echo "No failures."
  fi
} >>"$summary"

echo "==> summary: $summary"
if [[ $failed -ne 0 ]]; then
  echo "fuzz: FAIL"
  exit 1
fi
echo "fuzz: PASS"
