#!/usr/bin/env bash
# Speed and memory benchmarks of the proxy (issue 5 §1); results go to target/bench/ (BENCH_OUT).
#
#   scripts/bench.sh                  everything: proxy end to end (+ LiteLLM side by side) and
#                                     the criterion benches of the translators and SSE code
#   scripts/bench.sh --no-litellm     skip installing and running LiteLLM
#   scripts/bench.sh --quick          short runs, to check the bench itself (numbers are rough)
#   scripts/bench.sh --proxy-only | --translate-only
#
# Not part of CI (.ci/run): it takes minutes and installs LiteLLM from PyPI into
# .ci-cache/litellm-venv. Loopback only; every load loop is bounded and stops by itself.
# Writes: proxy.md / proxy.json (end to end), translate.md (criterion summary), *.log, and
# runtimes.txt. Copy the tables into docs/benchmarks.md (## Proxy) when they change.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

litellm=1 quick=0 proxy=1 translate=1
for arg in "$@"; do
  case "$arg" in
    --no-litellm) litellm=0 ;;
    --quick) quick=1 ;;
    --proxy-only) translate=0 ;;
    --translate-only) proxy=0 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

out="${BENCH_OUT:-$PWD/target/bench}"
mkdir -p "$out"
export BENCH_OUT="$out"
[ "$quick" = 1 ] && export BENCH_QUICK=1
# 1,000 streams through the proxy need about 2,000 descriptors in it.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

t0=$(date +%s)
: > "$out/runtimes.txt"
stamp() { echo "$1: $(( $(date +%s) - $2 )) s" | tee -a "$out/runtimes.txt"; }

if [ "$proxy" = 1 ]; then
  if [ "$litellm" = 1 ]; then
    t=$(date +%s)
    bash scripts/litellm/install.sh
    export BENCH_LITELLM="$PWD/scripts/litellm/run.sh"
    stamp "litellm install" "$t"
  else
    unset BENCH_LITELLM
  fi
  t=$(date +%s)
  # Builds the release binary too (benches get the package's binaries, release profile).
  cargo bench --locked --bench proxy --no-run 2>&1 | tail -n 3
  stamp "build (release)" "$t"
  t=$(date +%s)
  cargo bench --locked --bench proxy 2>&1 | tee "$out/proxy.log"
  stamp "proxy bench" "$t"
fi

if [ "$translate" = 1 ]; then
  t=$(date +%s)
  args=()
  [ "$quick" = 1 ] && args=(--warm-up-time 0.2 --measurement-time 0.5)
  cargo bench --locked --bench translate -- "${args[@]}" 2>&1 | tee "$out/translate.log"
  # Summarise criterion's estimates into a table (median time, throughput).
  python3 - "${CARGO_TARGET_DIR:-target}/criterion" "$out/translate.md" <<'PY'
import json, pathlib, sys
root, dest = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
rows = []
for bench in sorted(root.glob("**/new/benchmark.json")):
    meta = json.loads(bench.read_text())
    est = json.loads((bench.parent / "estimates.json").read_text())
    median_ns = est["median"]["point_estimate"]
    tp = (meta.get("throughput") or {}).get("Bytes")
    mibs = f"{tp / (median_ns / 1e9) / 2**20:,.0f}" if tp else "—"
    rows.append((meta["full_id"], tp or 0, median_ns / 1e3, mibs))
lines = ["| benchmark | bytes | median time (µs) | MiB/s |", "| --- | --- | --- | --- |"]
lines += [f"| {i} | {b:,} | {t:,.1f} | {m} |" for i, b, t, m in rows]
dest.write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
  stamp "translate benches (criterion)" "$t"
fi
stamp "total" "$t0"
echo "results in $out"
