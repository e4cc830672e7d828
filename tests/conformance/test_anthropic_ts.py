"""The Anthropic TypeScript SDK (npm `@anthropic-ai/sdk`) beta `toolRunner` with one tool against
POST /v1/messages, run by node from `tool_runner.cjs`: its default (message threads, since 1.16)
and `thread: false` (the whole history every turn)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from cli import npm_prefix, run

SCRIPT = Path(__file__).with_name("tool_runner.cjs")


def tool_runner(base: str, tmp: Path, *args: str) -> dict:
    node = shutil.which("node")
    assert node, "node is not on PATH"
    modules = npm_prefix() / "node_modules"
    if not (modules / "@anthropic-ai" / "sdk").exists():
        pytest.fail(f"@anthropic-ai/sdk is not installed under {modules}: run `bash tests/conformance/run.sh` once")
    result = run(
        [node, str(SCRIPT), *args],
        cwd=tmp,
        home=tmp,
        env={"NODE_PATH": str(modules), "ANTI_API_BASE": base},
        timeout=60,
    )
    assert result.returncode == 0, result.report()
    [line] = result.jsonl()
    return line


def assert_round_trip(out: dict) -> None:
    assert out["ok"], out
    assert out["calls"] == [{"location": "Paris"}]
    assert out["turns"] == 2
    final = out["final"]
    assert final["stop_reason"] == "end_turn"
    text = "".join(b.get("text", "") for b in final["content"] if b["type"] == "text")
    assert text == "Tool get_weather returned: 18 degrees and sunny in Paris", final


def test_tool_runner_without_threads(base_url, tmp_path):
    assert_round_trip(tool_runner(base_url, tmp_path, "--no-thread"))


def test_tool_runner_default_message_threads(base_url, tmp_path):
    assert_round_trip(tool_runner(base_url, tmp_path))
