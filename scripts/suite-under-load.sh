#!/usr/bin/env bash
# The whole test suite, three times back to back, while every core is kept busy by another
# process: a test that leans on a fixed short deadline instead of waiting for a condition fails
# here first (docs/reliability.md, "A suite that passes the first time").
#
#   bash scripts/suite-under-load.sh            # 3 runs, one CPU burner per core
#   RUNS=5 BURNERS=4 bash scripts/suite-under-load.sh
#
# The test binaries are built before the load starts, so what is measured is the tests, not the
# compiler. Exits non-zero if any run fails; the output of each run is in target/suite-under-load/.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
BURNERS="${BURNERS:-$(nproc)}"
OUT=target/suite-under-load
mkdir -p "$OUT"

say() { printf '[suite-under-load] %s\n' "$*"; }

say "building the test binaries"
cargo test --locked --no-run >"$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }

burners=()
stop_burners() {
    for pid in "${burners[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap stop_burners EXIT
for _ in $(seq "$BURNERS"); do
    # A pure busy loop at normal priority: competes with the tests for every core.
    bash -c 'while :; do :; done' &
    burners+=("$!")
done
say "$BURNERS CPU burners running (pids ${burners[*]})"

failed=0
for run in $(seq "$RUNS"); do
    start=$(date +%s)
    if cargo test --locked >"$OUT/run-$run.log" 2>&1; then
        verdict=passed
    else
        verdict=FAILED
        failed=$((failed + 1))
    fi
    passed=$(grep -Eo '[0-9]+ passed' "$OUT/run-$run.log" | awk '{s+=$1} END {print s+0}')
    fails=$(grep -Eo '[0-9]+ failed' "$OUT/run-$run.log" | awk '{s+=$1} END {print s+0}')
    say "run $run/$RUNS: $verdict in $(($(date +%s) - start)) s ($passed tests passed, $fails failed)"
    if [ "$verdict" = FAILED ]; then
        grep -E '^(test .* FAILED|---- |thread .* panicked)' "$OUT/run-$run.log" | head -20 || true
    fi
done
stop_burners
trap - EXIT
say "$((RUNS - failed)) of $RUNS runs passed under load"
[ "$failed" -eq 0 ]
