"""Upstream faults as the SDKs see them. Each test gets a fresh server (`fresh_server`): with the
demo's single account a quota fault cools the model down for about an hour in that process."""

from __future__ import annotations

import anthropic
import openai
import pytest

from support import GREETING, make_anthropic, make_openai

QUOTA = "[[sim:fault=quota_exhausted]] hello"
BAD_REQUEST = "[[sim:fault=bad_request]] hello"
DISCONNECT = "[[sim:fault=disconnect]] hello"
FAULT_MODEL = "gemini-pro-agent"
# The simulator's quota fault says the quota resets in 1h16m0.667s (4560.667 s).
QUOTA_RESET = range(4500, 4600)


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def retry_after(err) -> int:
    value = err.response.headers.get("retry-after")
    assert value is not None, f"429 without Retry-After; headers: {dict(err.response.headers)}"
    seconds = int(value)
    assert seconds > 0, value
    return seconds


@pytest.mark.parametrize("stream", [False, True])
def test_openai_quota_exhausted_is_429(fresh_server, stream):
    oai = make_openai(fresh_server.base)
    with pytest.raises(openai.RateLimitError) as err:
        oai.chat.completions.create(model=FAULT_MODEL, messages=user(QUOTA), stream=stream)
    e = err.value
    assert e.status_code == 429
    assert FAULT_MODEL in e.message, e.message
    assert retry_after(e) in QUOTA_RESET

    # The model now cools down: a plain request is refused the same way, without a new fault.
    with pytest.raises(openai.RateLimitError) as again:
        oai.chat.completions.create(model=FAULT_MODEL, messages=user("plain request"))
    assert retry_after(again.value) in QUOTA_RESET

    # Other models are unaffected.
    ok = oai.chat.completions.create(model="claude-sonnet-4-6", messages=user("still alive"))
    assert ok.choices[0].message.content.startswith(GREETING)


@pytest.mark.parametrize("stream", [False, True])
def test_anthropic_quota_exhausted_is_429(fresh_server, stream):
    ant = make_anthropic(fresh_server.base)
    with pytest.raises(anthropic.RateLimitError) as err:
        if stream:
            with ant.messages.stream(model=FAULT_MODEL, max_tokens=64, messages=user(QUOTA)) as s:
                s.get_final_message()
        else:
            ant.messages.create(model=FAULT_MODEL, max_tokens=64, messages=user(QUOTA))
    e = err.value
    assert e.status_code == 429
    assert e.body["type"] == "error"
    assert e.body["error"]["type"] == "rate_limit_error"
    assert FAULT_MODEL in e.message, e.message
    assert retry_after(e) in QUOTA_RESET

    with pytest.raises(anthropic.RateLimitError) as again:
        ant.messages.create(model=FAULT_MODEL, max_tokens=64, messages=user("plain request"))
    assert retry_after(again.value) in QUOTA_RESET

    ok = ant.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=user("still alive"))
    assert ok.content[0].text.startswith(GREETING)


def test_openai_upstream_bad_request_is_400(fresh_server):
    oai = make_openai(fresh_server.base)
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model=FAULT_MODEL, messages=user(BAD_REQUEST))
    assert err.value.status_code == 400
    assert err.value.message
    # A client error does not cool the model down.
    ok = oai.chat.completions.create(model=FAULT_MODEL, messages=user("after the 400"))
    assert "You said: after the 400" in ok.choices[0].message.content


def test_anthropic_upstream_bad_request_is_400(fresh_server):
    ant = make_anthropic(fresh_server.base)
    with pytest.raises(anthropic.BadRequestError) as err:
        ant.messages.create(model=FAULT_MODEL, max_tokens=64, messages=user(BAD_REQUEST))
    assert err.value.status_code == 400
    assert err.value.body["error"]["type"] == "invalid_request_error"
    ok = ant.messages.create(model=FAULT_MODEL, max_tokens=64, messages=user("after the 400"))
    assert "You said: after the 400" in ok.content[0].text


def test_openai_disconnect_mid_stream_raises(fresh_server):
    """A broken upstream stream must reach the client as an error, not as a clean short answer."""
    oai = make_openai(fresh_server.base)
    with pytest.raises(openai.APIError) as err:
        for _ in oai.chat.completions.create(model=FAULT_MODEL, messages=user(DISCONNECT), stream=True):
            pass
    assert err.value.message
    ok = oai.chat.completions.create(model=FAULT_MODEL, messages=user("after the disconnect"))
    assert "You said: after the disconnect" in ok.choices[0].message.content


def test_anthropic_disconnect_mid_stream_raises(fresh_server):
    ant = make_anthropic(fresh_server.base)
    with pytest.raises(anthropic.APIError) as err:
        with ant.messages.stream(model=FAULT_MODEL, max_tokens=64, messages=user(DISCONNECT)) as s:
            s.get_final_message()
    assert err.value.message
    ok = ant.messages.create(model=FAULT_MODEL, max_tokens=64, messages=user("after the disconnect"))
    assert "You said: after the disconnect" in ok.content[0].text
