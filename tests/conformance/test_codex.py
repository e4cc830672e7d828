"""Codex CLI (`codex exec`, npm `@openai/codex`) against POST /v1/responses: a custom provider
with `wire_api = "responses"` in a temporary CODEX_HOME, no login, no update check, no plugin
sync (the only outside lookups Codex 0.171 makes with this config, checked with strace), and
`danger-full-access` + `approval_policy = "never"` so it runs the commands the model asks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import Run, npm_bin, run
from support import GREETING

# Codex's own shell tool; the simulator calls it when the prompt holds this directive.
ECHO_CALL = '[[sim:tool=exec_command {"cmd":"echo conformance-ok"}]]'

CONFIG = """\
model = "{model}"
model_provider = "anti"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false

[model_providers.anti]
name = "anti-api-tui"
base_url = "{base}/v1"
env_key = "ANTI_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[features]
# The curated-plugin sync at startup reaches api.github.com and chatgpt.com.
plugins = false
"""


class Codex:
    def __init__(self, base: str, tmp: Path, model: str = "gemini-3-flash") -> None:
        self.bin = npm_bin("codex")
        self.home = tmp / "codex-home"
        self.project = tmp / "project"
        self.home.mkdir()
        self.project.mkdir()
        (self.home / "config.toml").write_text(CONFIG.format(model=model, base=base))

    def exec(self, *args: str) -> Run:
        result = run(
            [str(self.bin), "exec", "--skip-git-repo-check", "--json", *args],
            cwd=self.project,
            home=self.home,
            env={"CODEX_HOME": str(self.home), "ANTI_KEY": "conformance"},
        )
        assert result.returncode == 0, result.report()
        return result


def items(events: list[dict], kind: str) -> list[dict]:
    return [e["item"] for e in events if e.get("type") == "item.completed" and e["item"].get("type") == kind]


def turn_usage(events: list[dict]) -> dict:
    [done] = [e for e in events if e.get("type") == "turn.completed"]
    return done["usage"]


def assert_no_failure(events: list[dict], result: Run) -> None:
    failed = [e for e in events if e.get("type") in ("turn.failed", "error")]
    assert not failed, result.report()


def test_plain_prompt(base_url, tmp_path):
    codex = Codex(base_url, tmp_path)
    result = codex.exec("Say hello to the conformance suite")
    events = result.jsonl()
    assert_no_failure(events, result)
    assert events[0]["type"] == "thread.started"
    [message] = items(events, "agent_message")
    assert message["text"].startswith(f"{GREETING}gemini-3-flash)"), message["text"]
    assert turn_usage(events)["input_tokens"] > 0


def test_streamed_answer(base_url, tmp_path):
    """Codex always streams; 60 upstream chunks must arrive whole and in order."""
    codex = Codex(base_url, tmp_path, model="claude-sonnet-4-6")
    result = codex.exec("Stream a long answer [[sim:long]]")
    events = result.jsonl()
    assert_no_failure(events, result)
    [message] = items(events, "agent_message")
    text = message["text"]
    assert text.startswith(f"{GREETING}claude-sonnet-4-6)"), text[:200]
    lines = [f" Simulated line {i}." for i in range(1, 61)]
    assert text.endswith("".join(lines)), text[-200:]
    assert turn_usage(events)["output_tokens"] > 0


@pytest.mark.parametrize("model", ["gemini-3-flash", "claude-sonnet-4-6-thinking", "gpt-oss-120b"])
def test_shell_tool_round_trip(base_url, tmp_path, model):
    codex = Codex(base_url, tmp_path, model=model)
    result = codex.exec(f"Check the shell works. {ECHO_CALL}")
    events = result.jsonl()
    assert_no_failure(events, result)
    [command] = items(events, "command_execution")
    assert "echo conformance-ok" in command["command"]
    assert command["exit_code"] == 0
    assert command["aggregated_output"].strip() == "conformance-ok"
    # The second model turn saw the command's output.
    messages = items(events, "agent_message")
    assert messages, result.report()
    assert "Tool exec_command returned:" in messages[-1]["text"]
    assert "conformance-ok" in messages[-1]["text"]
    if model.endswith("-thinking"):
        reasoning = items(events, "reasoning")
        assert reasoning and "Let me think" in reasoning[0]["text"], result.report()


def test_resume_second_turn(base_url, tmp_path):
    codex = Codex(base_url, tmp_path)
    first = codex.exec(f"First turn. {ECHO_CALL}")
    first_events = first.jsonl()
    thread_id = first_events[0]["thread_id"]
    assert items(first_events, "command_execution"), first.report()

    second = codex.exec("resume", thread_id, "Second turn, same thread")
    events = second.jsonl()
    assert_no_failure(events, second)
    assert events[0] == {"type": "thread.started", "thread_id": thread_id}
    [message] = items(events, "agent_message")
    assert message["text"].endswith("You said: Second turn, same thread"), message["text"]
    # The resumed request carried the first turn (prompt, call, output) upstream.
    assert turn_usage(events)["input_tokens"] > turn_usage(first_events)["input_tokens"]
