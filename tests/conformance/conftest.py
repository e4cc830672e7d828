"""Fixtures for the client conformance suite: the official `openai` and `anthropic` SDKs
against a running `anti-api-tui serve --demo` (the built-in simulated upstream, offline).

`ANTI_API_BASE` (e.g. http://127.0.0.1:18964) names a server that is already running; run.sh
sets it. Without it the suite starts its own server from `ANTI_API_BIN` (default
target/debug/anti-api-tui). Fault tests always get a fresh server of their own, because a quota
fault puts the demo account's model into a cooldown of about an hour for that process.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import Server, make_anthropic, make_openai, tail

# Server logs of the servers a test used, for the failure report.
_LOGS: dict[str, Path] = {}


@pytest.fixture(scope="session")
def base_url():
    """The shared server: ANTI_API_BASE if given, else one started for this session."""
    given = os.environ.get("ANTI_API_BASE")
    if given:
        log = os.environ.get("CONFORMANCE_SERVER_LOG")
        if log:
            _LOGS["shared"] = Path(log)
        yield given.rstrip("/")
        return
    server = Server()
    _LOGS["shared"] = server.log_path
    try:
        yield server.base
    finally:
        server.cleanup()


@pytest.fixture
def fresh_server():
    """A server of this test's own (for faults that leave a model cooling down)."""
    server = Server()
    _LOGS["fresh"] = server.log_path
    try:
        yield server
    finally:
        # The failure report (made before teardown) has already read the log.
        _LOGS.pop("fresh", None)
        server.cleanup()


@pytest.fixture
def oai(base_url):
    return make_openai(base_url)


@pytest.fixture
def ant(base_url):
    return make_anthropic(base_url)


@pytest.fixture
def ant_bearer(base_url):
    return make_anthropic(base_url, auth_token="conformance-bearer")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On failure, attach the tail of the server log(s) the test talked to."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for name, path in _LOGS.items():
            report.sections.append((f"{name} server log (tail)", tail(path, 30)))
