"""Running the npm-installed clients (Codex CLI, Gemini CLI, the Anthropic TypeScript SDK) the
conformance tests drive: where run.sh put them, an isolated environment, a hard timeout, JSONL
transcripts (not a test module)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from support import REPO

# Every client run is killed after this long; a healthy run takes a few seconds.
RUN_TIMEOUT = 90.0


def npm_prefix() -> Path:
    """The npm prefix run.sh installs into (CONFORMANCE_NPM_PREFIX, else <cache>/npm)."""
    given = os.environ.get("CONFORMANCE_NPM_PREFIX")
    if given:
        return Path(given)
    cache = Path(os.environ.get("CONFORMANCE_CACHE") or REPO / ".ci-cache")
    return cache / "npm"


def npm_bin(name: str) -> Path:
    """An executable of the npm prefix; a missing one fails the test (never a silent skip)."""
    path = npm_prefix() / "node_modules" / ".bin" / name
    if not path.exists():
        pytest.fail(f"{path} is not installed: run `bash tests/conformance/run.sh` once to install the pinned clients")
    return path


@dataclass
class Run:
    """One finished client run."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def jsonl(self) -> list[dict]:
        """The stdout lines that are JSON objects (clients mix in the odd plain line)."""
        out = []
        for line in self.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
        return out

    def report(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit {self.returncode} after {self.seconds:.1f}s\n"
            f"--- stdout (tail) ---\n{self.stdout[-3000:]}\n--- stderr (tail) ---\n{self.stderr[-3000:]}"
        )


def run(args: list[str], *, cwd: Path, home: Path, env: dict[str, str], timeout: float = RUN_TIMEOUT) -> Run:
    """Runs a client with only PATH, a temporary HOME and `env`: nothing of the caller's (API keys,
    config dirs, proxies) leaks in. Standard input is empty, so no client waits for it."""
    full_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "TMPDIR": str(home),
        **env,
    }
    start = time.monotonic()
    try:
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        pytest.fail(f"timed out after {timeout:.0f}s: {' '.join(args)}\n--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-3000:]}")
    return Run([str(a) for a in args], proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
