#!/usr/bin/env bash
# Claude Code (`claude -p`) against the proxy, fully offline: a Bash tool round trip
# ("run echo hi"), once with Claude Code's own default model id and once with --model.
#
# Needs: CLAUDE_BIN (the claude executable), PYTHON (a python3), ANTI_API_BASE (the proxy's base
# URL, no /v1). Optional: CONFORMANCE_SERVER_LOG (the server log, tailed on failure).
# Prints one PASS/FAIL line per run and a closing "claude-code: N passed, N failed" line;
# exits non-zero if any run failed.
set -euo pipefail

: "${CLAUDE_BIN:?set CLAUDE_BIN to the claude executable}"
: "${PYTHON:?set PYTHON to a python3 interpreter}"
: "${ANTI_API_BASE:?set ANTI_API_BASE to the proxy base URL}"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/anti-api-claude-code.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

passed=0
failed=0

# Checks one stream-json transcript; prints what is wrong and exits 1 if anything is.
check_transcript() {
    "$PYTHON" - "$1" <<'PY'
import json
import sys

lines = []
problems = []
with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
    for n, raw in enumerate(f, 1):
        raw = raw.strip()
        if not raw:
            continue
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            problems.append(f"line {n} is not JSON: {raw[:200]}")

init = next((l for l in lines if l.get("type") == "system" and l.get("subtype") == "init"), None)
if init:
    print(f"    model sent: {init.get('model')!r}")

def blocks(line):
    content = (line.get("message") or {}).get("content")
    return content if isinstance(content, list) else []

bash_ids = [
    b.get("id")
    for l in lines if l.get("type") == "assistant"
    for b in blocks(l)
    if b.get("type") == "tool_use" and b.get("name") == "Bash" and (b.get("input") or {}).get("command") == "echo hi"
]
if not bash_ids:
    problems.append('no assistant tool_use of Bash with command "echo hi"')

def result_text(block):
    content = block.get("content")
    if isinstance(content, list):
        return "".join(c.get("text", "") for c in content if isinstance(c, dict))
    return str(content or "")

results = [
    b
    for l in lines if l.get("type") == "user"
    for b in blocks(l)
    if b.get("type") == "tool_result" and b.get("tool_use_id") in bash_ids
]
if bash_ids and not results:
    problems.append("no user tool_result for the Bash call")
for r in results:
    if "hi" not in result_text(r):
        problems.append(f"tool_result does not contain 'hi': {result_text(r)!r}")
    if r.get("is_error"):
        problems.append(f"tool_result is an error: {result_text(r)!r}")

final = [l for l in lines if l.get("type") == "result"]
if not final:
    problems.append("no final result line")
else:
    last = final[-1]
    if last.get("subtype") != "success" or last.get("is_error") is not False:
        problems.append(
            f"result is not a success: subtype={last.get('subtype')!r} is_error={last.get('is_error')!r} "
            f"result={str(last.get('result'))[:300]!r}"
        )
    else:
        print(f"    result: {str(last.get('result'))[:120]!r} (num_turns={last.get('num_turns')}, "
              f"duration_ms={last.get('duration_ms')})")

for p in problems:
    print(f"    problem: {p}")
sys.exit(1 if problems else 0)
PY
}

# run_case NAME [extra claude args...]
run_case() {
    local name="$1"
    shift
    local dir="$WORK/$name"
    mkdir -p "$dir/home" "$dir/project"
    local out="$dir/stream.jsonl" err="$dir/stderr.log"
    local start end rc=0
    start=$(date +%s.%N)
    (
        cd "$dir/project"
        # An isolated environment: nothing of the caller's (API keys, config dirs) leaks in.
        env -i \
            PATH="$PATH" \
            HOME="$dir/home" \
            SHELL=/bin/bash \
            LANG=C.UTF-8 \
            TERM=dumb \
            TMPDIR="$dir" \
            ANTHROPIC_BASE_URL="$ANTI_API_BASE" \
            ANTHROPIC_AUTH_TOKEN=conformance \
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 \
            CLAUDE_CODE_MAX_RETRIES=0 \
            timeout 120 "$CLAUDE_BIN" -p "run echo hi" "$@" \
                --allowedTools 'Bash(echo:*)' \
                --output-format stream-json --verbose \
                <"/dev/null" >"$out" 2>"$err"
    ) || rc=$?
    end=$(date +%s.%N)
    local secs
    secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
    echo "claude-code [$name] ($*): exit $rc in ${secs}s"
    local ok=1
    if [ "$rc" -eq 124 ]; then
        echo "    problem: timed out after 120 s"
        ok=0
    elif [ "$rc" -ne 0 ]; then
        echo "    problem: claude exited with $rc"
        ok=0
    fi
    check_transcript "$out" || ok=0
    if [ "$ok" -eq 1 ]; then
        echo "PASS claude-code $name"
        passed=$((passed + 1))
    else
        echo "    --- stream-json (last 15 lines) ---"
        tail -n 15 "$out" | cut -c1-400 | sed 's/^/    /'
        echo "    --- claude stderr (last 15 lines) ---"
        tail -n 15 "$err" | sed 's/^/    /'
        if [ -n "${CONFORMANCE_SERVER_LOG:-}" ] && [ -f "$CONFORMANCE_SERVER_LOG" ]; then
            echo "    --- server log (last 20 lines) ---"
            tail -n 20 "$CONFORMANCE_SERVER_LOG" | sed 's/^/    /'
        fi
        echo "FAIL claude-code $name"
        failed=$((failed + 1))
    fi
}

echo "claude-code version: $("$CLAUDE_BIN" --version 2>/dev/null || echo unknown)"
run_case default-model
run_case sonnet --model claude-sonnet-4-6

echo "claude-code: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
