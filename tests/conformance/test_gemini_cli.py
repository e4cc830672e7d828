"""Gemini CLI (`gemini -p`, npm `@google/gemini-cli`) against the public Gemini API routes
(`/v1beta/models/{model}:streamGenerateContent?alt=sse`): an API key, GOOGLE_GEMINI_BASE_URL at
the proxy, a trusted workspace, and settings in a temporary HOME that turn off telemetry, usage
statistics and update checks (with them strace shows no outside lookup)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import Run, npm_bin, run
from support import GREETING

SETTINGS = {
    "security": {"auth": {"selectedType": "gemini-api-key"}},
    "privacy": {"usageStatisticsEnabled": False},
    "telemetry": {"enabled": False},
    "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
}
NOTE = "conformance file content 4711"


class Gemini:
    def __init__(self, base: str, tmp: Path) -> None:
        self.bin = npm_bin("gemini")
        self.base = base
        self.home = tmp / "home"
        self.project = tmp / "project"
        (self.home / ".gemini").mkdir(parents=True)
        self.project.mkdir()
        (self.home / ".gemini" / "settings.json").write_text(json.dumps(SETTINGS))
        (self.project / "notes.txt").write_text(NOTE + "\n")

    def prompt(self, text: str, *args: str) -> Run:
        result = run(
            [str(self.bin), "-p", text, *args],
            cwd=self.project,
            home=self.home,
            env={
                "GEMINI_API_KEY": "conformance",
                "GOOGLE_GEMINI_BASE_URL": self.base,
                "GEMINI_CLI_TRUST_WORKSPACE": "true",
            },
        )
        assert result.returncode == 0, result.report()
        return result


def final_result(events: list[dict], result: Run) -> dict:
    [done] = [e for e in events if e.get("type") == "result"]
    assert done["status"] == "success", result.report()
    return done


def assistant_text(events: list[dict]) -> str:
    return "".join(e["content"] for e in events if e.get("type") == "message" and e.get("role") == "assistant")


@pytest.mark.parametrize("model", [None, "gemini-3-flash"])
def test_plain_prompt(base_url, tmp_path, model):
    """With no -m the CLI picks its own default (and first asks a router model, see the README)."""
    gemini = Gemini(base_url, tmp_path)
    args = ["--output-format", "json"] + (["-m", model] if model else [])
    result = gemini.prompt("Say hello to the conformance suite", *args)
    answer = json.loads(result.stdout)
    assert answer["response"].startswith(GREETING), result.report()
    used = answer["stats"]["models"]
    # At least one model answered without an error.
    assert any(m["api"]["totalErrors"] == 0 and m["tokens"]["candidates"] > 0 for m in used.values()), used


def test_streamed_answer(base_url, tmp_path):
    gemini = Gemini(base_url, tmp_path)
    result = gemini.prompt("Stream a long answer [[sim:long]]", "-m", "gemini-3-flash", "--output-format", "stream-json")
    events = result.jsonl()
    final_result(events, result)
    deltas = [e for e in events if e.get("type") == "message" and e.get("role") == "assistant"]
    assert len(deltas) >= 30, len(deltas)
    assert assistant_text(events).endswith("Simulated line 60."), assistant_text(events)[-200:]


@pytest.mark.parametrize(
    ("tool", "args", "expect"),
    [
        ("read_file", {"file_path": "notes.txt"}, NOTE),
        ("list_directory", {"dir_path": "."}, "notes.txt"),
    ],
)
def test_tool_round_trip(base_url, tmp_path, tool, args, expect):
    gemini = Gemini(base_url, tmp_path)
    directive = f"[[sim:tool={tool} {json.dumps(args)}]]"
    result = gemini.prompt(directive, "-m", "gemini-3-flash", "--output-format", "stream-json")
    events = result.jsonl()
    [use] = [e for e in events if e.get("type") == "tool_use"]
    assert use["tool_name"] == tool and use["parameters"] == args, result.report()
    [res] = [e for e in events if e.get("type") == "tool_result"]
    assert res["tool_id"] == use["tool_id"] and res["status"] == "success", result.report()
    done = final_result(events, result)
    assert done["stats"]["tool_calls"] == 1
    # The model's second turn saw the tool's output (the file's text, the directory's entries).
    text = assistant_text(events)
    assert text.startswith(f"Tool {tool} returned:"), text
    assert expect in text, text
