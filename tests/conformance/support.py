"""Constants and the server launcher shared by the conformance tests (not a test module)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import anthropic
import openai
import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT_TIMEOUT = 30.0
STARTUP_TIMEOUT = 30.0

# The simulator's scripted reply to a plain user message starts with this.
GREETING = "Hello from the Antigravity simulator ("
# The built-in catalogue's public ids (the brief's model list).
CATALOGUE = [
    "claude-sonnet-4-6",
    "claude-sonnet-4-6-thinking",
    "claude-opus-4-6-thinking",
    "gemini-3-flash",
    "gemini-pro-agent",
    "gpt-oss-120b",
]
# The built-in routing entries that /v1/models also lists.
ROUTES = ["fast", "opus"]

# A weather tool in both wire shapes; the simulator fills the required `location` with the last
# capitalised word of the user text.
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {
        "location": {"type": "string", "description": "City name"},
        "unit": {"type": "string", "description": "celsius or fahrenheit"},
    },
    "required": ["location"],
}
OPENAI_WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather for a city",
        "parameters": WEATHER_SCHEMA,
    },
}
ANTHROPIC_WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "input_schema": WEATHER_SCHEMA,
}
TOOL_RESULT = "18 degrees and sunny"


def binary_path() -> Path:
    return Path(os.environ.get("ANTI_API_BIN") or REPO / "target" / "debug" / "anti-api-tui")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return "(no server log available)"
    text = path.read_text(errors="replace").splitlines()
    return "\n".join(text[-lines:])


class Server:
    """A `serve --demo` process on a free loopback port with its own temporary home."""

    def __init__(self) -> None:
        binary = binary_path()
        if not binary.exists():
            pytest.fail(f"anti-api-tui binary not found at {binary} (build it or set ANTI_API_BIN)")
        self._tmp = tempfile.TemporaryDirectory(prefix="anti-api-conformance-")
        home = Path(self._tmp.name) / "home"
        home.mkdir()
        self.log_path = Path(self._tmp.name) / "server.log"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [str(binary), "--home", str(home), "serve", "--demo", "--port", str(self.port)],
            stdin=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1"},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                log = tail(self.log_path)
                self.stop()
                pytest.fail(f"server exited with {self.proc.returncode} before answering /health:\n{log}")
            if health_ok(self.base):
                break
            if time.monotonic() > deadline:
                log = tail(self.log_path)
                self.stop()
                pytest.fail(f"server did not answer /health within {STARTUP_TIMEOUT:.0f} s:\n{log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def cleanup(self) -> None:
        self.stop()
        self._tmp.cleanup()


def health_ok(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=2) as r:
            return r.status == 200 and json.load(r).get("status") == "ok"
    except (OSError, urllib.error.URLError, ValueError):
        return False


def make_openai(base: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key="conformance", max_retries=0, timeout=CLIENT_TIMEOUT)


def make_anthropic(base: str, **auth) -> anthropic.Anthropic:
    if not auth:
        auth = {"api_key": "conformance"}
    return anthropic.Anthropic(base_url=base, max_retries=0, timeout=CLIENT_TIMEOUT, **auth)
