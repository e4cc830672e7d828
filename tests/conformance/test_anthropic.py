"""The official `anthropic` Python SDK against POST /v1/messages, /v1/messages/count_tokens and
GET /v1/models (base URL without /v1, as the SDK expects)."""

from __future__ import annotations

import json

import anthropic
import pytest

from support import ANTHROPIC_WEATHER_TOOL, CATALOGUE, GREETING, TOOL_RESULT

FAMILIES = ["claude-sonnet-4-6", "gemini-3-flash", "gpt-oss-120b"]
THINKING = {"type": "enabled", "budget_tokens": 2048}


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def texts(message) -> str:
    return "".join(b.text for b in message.content if b.type == "text")


def block_dict(block) -> dict:
    """An assistant content block as the client sends it back in the next turn."""
    if block.type == "text":
        return {"type": "text", "text": block.text}
    if block.type == "thinking":
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature}
    if block.type == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.data}
    if block.type == "tool_use":
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    raise AssertionError(f"unexpected block type {block.type}")


def raw_events(client, **params) -> list:
    return list(client.messages.create(stream=True, **params))


def check_event_order(events) -> None:
    types = [e.type for e in events]
    assert types, "the SDK saw no events at all (are the `event:` lines missing?)"
    assert types[0] == "message_start", types
    assert types[-1] == "message_stop", types
    assert types.count("message_delta") == 1, types
    assert types[-2] == "message_delta", types
    start = events[0].message
    assert start.role == "assistant"
    assert start.id
    assert start.usage is not None
    # Blocks open, get deltas and close in order; no interleaving of two open blocks.
    open_index = None
    seen = []
    for e in events[1:-2]:
        if e.type == "ping":
            continue
        if e.type == "content_block_start":
            assert open_index is None, f"block {e.index} opened while {open_index} is open"
            assert e.index == len(seen), f"block index {e.index}, expected {len(seen)}"
            open_index = e.index
            seen.append(e.content_block.type)
        elif e.type == "content_block_delta":
            assert e.index == open_index, f"delta for {e.index} while {open_index} is open"
        elif e.type == "content_block_stop":
            assert e.index == open_index
            open_index = None
        else:
            raise AssertionError(f"unexpected event {e.type} between message_start and message_delta")
    assert open_index is None, "a content block was never closed"
    delta = events[-2]
    assert delta.usage is not None and delta.usage.output_tokens > 0, delta


# --- plain text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILIES + ["claude-opus-4-8", "claude-opus-5-5"])
def test_non_stream(ant, model):
    msg = ant.messages.create(model=model, max_tokens=256, messages=user("Ping from the conformance suite"))
    assert msg.type == "message"
    assert msg.role == "assistant"
    assert msg.id.startswith("msg_"), msg.id
    assert msg.model
    assert [b.type for b in msg.content] == ["text"], msg.content
    assert msg.content[0].text.startswith(GREETING), msg.content[0].text
    assert "You said: Ping from the conformance suite" in msg.content[0].text
    assert msg.stop_reason == "end_turn"
    assert msg.usage.input_tokens > 0
    assert msg.usage.output_tokens > 0


def test_system_blocks_and_history(ant):
    msg = ant.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=256,
        system=[
            {"type": "text", "text": "You are terse."},
            {"type": "text", "text": "Answer briefly.", "cache_control": {"type": "ephemeral"}},
        ],
        messages=[
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": [{"type": "text", "text": "first answer"}]},
            {
                "role": "user",
                "content": [{"type": "text", "text": "second question", "cache_control": {"type": "ephemeral"}}],
            },
        ],
    )
    assert texts(msg).startswith(GREETING)
    assert "You said: second question" in texts(msg)


def test_stream_helper_final_message(ant):
    with ant.messages.stream(
        model="claude-sonnet-4-6", max_tokens=256, messages=user("stream via the helper")
    ) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed.startswith(GREETING), streamed
    assert "You said: stream via the helper" in streamed
    assert texts(final) == streamed
    assert final.stop_reason == "end_turn"
    assert final.usage.output_tokens > 0
    assert final.id.startswith("msg_")


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "gemini-3-flash"])
def test_raw_stream_event_order(ant, model):
    events = raw_events(ant, model=model, max_tokens=256, messages=user("raw events please"))
    check_event_order(events)
    starts = [e for e in events if e.type == "content_block_start"]
    assert [s.content_block.type for s in starts] == ["text"]
    deltas = [e.delta for e in events if e.type == "content_block_delta"]
    assert all(d.type == "text_delta" for d in deltas)
    text = "".join(d.text for d in deltas)
    assert text.startswith(GREETING)
    assert "You said: raw events please" in text
    assert events[-2].delta.stop_reason == "end_turn"


def test_max_tokens_stop_reason(ant):
    msg = ant.messages.create(model="claude-sonnet-4-6", max_tokens=256, messages=user("stop [[sim:max_tokens]]"))
    assert msg.stop_reason == "max_tokens"
    assert texts(msg).startswith(GREETING)
    events = raw_events(ant, model="claude-sonnet-4-6", max_tokens=256, messages=user("stop [[sim:max_tokens]]"))
    check_event_order(events)
    assert events[-2].delta.stop_reason == "max_tokens"


# --- tools --------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILIES)
def test_tools_non_stream(ant, model):
    msg = ant.messages.create(
        model=model,
        max_tokens=512,
        tools=[ANTHROPIC_WEATHER_TOOL],
        messages=user("Use get_weather for Berlin"),
    )
    assert msg.stop_reason == "tool_use"
    uses = [b for b in msg.content if b.type == "tool_use"]
    assert len(uses) == 1, msg.content
    assert uses[0].id
    assert uses[0].name == "get_weather"
    assert uses[0].input == {"location": "Berlin"}


@pytest.mark.parametrize("model", FAMILIES)
def test_tools_stream(ant, model):
    params = dict(
        model=model, max_tokens=512, tools=[ANTHROPIC_WEATHER_TOOL], messages=user("Use get_weather for Vienna")
    )
    events = raw_events(ant, **params)
    check_event_order(events)
    starts = [e for e in events if e.type == "content_block_start" and e.content_block.type == "tool_use"]
    assert len(starts) == 1
    block = starts[0].content_block
    assert block.id
    assert block.name == "get_weather"
    partial = "".join(
        e.delta.partial_json
        for e in events
        if e.type == "content_block_delta" and e.index == starts[0].index and e.delta.type == "input_json_delta"
    )
    assert json.loads(partial) == {"location": "Vienna"}
    assert events[-2].delta.stop_reason == "tool_use"

    with ant.messages.stream(**params) as stream:
        final = stream.get_final_message()
    uses = [b for b in final.content if b.type == "tool_use"]
    assert len(uses) == 1
    assert uses[0].input == {"location": "Vienna"}
    assert final.stop_reason == "tool_use"


@pytest.mark.parametrize(
    ("model", "result_content"),
    [
        ("claude-sonnet-4-6", TOOL_RESULT),
        ("gemini-3-flash", TOOL_RESULT),
        # Claude Code's shape: a list of text blocks, is_error and cache_control.
        ("claude-sonnet-4-6", [{"type": "text", "text": TOOL_RESULT}]),
        ("gpt-oss-120b", TOOL_RESULT),
    ],
)
def test_tool_round_trip(ant, model, result_content):
    messages = user("Use get_weather for Oslo")
    first = ant.messages.create(model=model, max_tokens=512, tools=[ANTHROPIC_WEATHER_TOOL], messages=messages)
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.input == {"location": "Oslo"}
    result = {"type": "tool_result", "tool_use_id": use.id, "content": result_content}
    if isinstance(result_content, list):
        result.update(is_error=False, cache_control={"type": "ephemeral"})
    messages = messages + [
        {"role": "assistant", "content": [block_dict(b) for b in first.content]},
        {"role": "user", "content": [result]},
    ]
    second = ant.messages.create(model=model, max_tokens=512, tools=[ANTHROPIC_WEATHER_TOOL], messages=messages)
    assert second.stop_reason == "end_turn"
    assert not [b for b in second.content if b.type == "tool_use"]
    assert "Tool get_weather returned:" in texts(second), second.content
    assert TOOL_RESULT in texts(second)


# --- thinking -----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "claude-sonnet-4-6-thinking"])
def test_thinking_then_replay(ant, model):
    messages = user("Use get_weather for Madrid")
    first = ant.messages.create(
        model=model, max_tokens=4096, thinking=THINKING, tools=[ANTHROPIC_WEATHER_TOOL], messages=messages
    )
    types = [b.type for b in first.content]
    assert types[0] == "thinking", types
    assert "tool_use" in types, types
    thinking = first.content[0]
    assert thinking.thinking, "empty thinking text"
    assert thinking.signature, "thinking block without signature"
    assert first.stop_reason == "tool_use"
    use = next(b for b in first.content if b.type == "tool_use")
    assert use.input == {"location": "Madrid"}

    messages = messages + [
        {"role": "assistant", "content": [block_dict(b) for b in first.content]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": TOOL_RESULT}]},
    ]
    second = ant.messages.create(
        model=model, max_tokens=4096, thinking=THINKING, tools=[ANTHROPIC_WEATHER_TOOL], messages=messages
    )
    assert second.stop_reason == "end_turn"
    assert "Tool get_weather returned:" in texts(second), second.content
    assert TOOL_RESULT in texts(second)


def test_thinking_plain_text(ant):
    msg = ant.messages.create(model="claude-sonnet-4-6", max_tokens=4096, thinking=THINKING, messages=user("ponder"))
    assert [b.type for b in msg.content] == ["thinking", "text"], msg.content
    assert msg.content[0].thinking
    assert msg.content[0].signature
    assert msg.content[1].text.startswith(GREETING)
    assert "You said: ponder" in msg.content[1].text


def test_thinking_streamed(ant):
    params = dict(model="claude-sonnet-4-6", max_tokens=4096, thinking=THINKING, messages=user("ponder in a stream"))
    events = raw_events(ant, **params)
    check_event_order(events)
    starts = [e for e in events if e.type == "content_block_start"]
    assert [s.content_block.type for s in starts] == ["thinking", "text"]
    thinking_start = starts[0].content_block
    assert thinking_start.thinking == "" and thinking_start.signature == ""
    delta_types = [e.delta.type for e in events if e.type == "content_block_delta" and e.index == starts[0].index]
    assert "thinking_delta" in delta_types
    assert "signature_delta" in delta_types
    assert delta_types.index("signature_delta") > delta_types.index("thinking_delta")

    with ant.messages.stream(**params) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text"]
    assert final.content[0].thinking
    assert final.content[0].signature
    assert final.content[1].text.startswith(GREETING)


# --- count_tokens, models, auth, errors ---------------------------------------------------------


def test_count_tokens(ant):
    short = ant.messages.count_tokens(model="claude-sonnet-4-6", messages=user("hi"))
    assert isinstance(short.input_tokens, int)
    assert short.input_tokens > 0
    longer = ant.messages.count_tokens(
        model="claude-sonnet-4-6",
        system="You are a helpful assistant. " * 20,
        tools=[ANTHROPIC_WEATHER_TOOL],
        messages=user("Tell me a long story about the weather in many cities. " * 20),
    )
    assert longer.input_tokens > short.input_tokens


def test_models_list(ant):
    page = ant.models.list()
    ids = [m.id for m in page.data]
    for expected in CATALOGUE:
        assert expected in ids, f"{expected} missing from /v1/models: {ids}"
    for m in page.data:
        assert m.type == "model"
        assert m.display_name


def test_bearer_auth_token(ant_bearer):
    msg = ant_bearer.messages.create(model="claude-sonnet-4-6", max_tokens=128, messages=user("bearer here"))
    assert texts(msg).startswith(GREETING)
    assert "You said: bearer here" in texts(msg)
    with ant_bearer.messages.stream(model="claude-sonnet-4-6", max_tokens=128, messages=user("bearer stream")) as s:
        final = s.get_final_message()
    assert "You said: bearer stream" in texts(final)


def test_beta_endpoint_with_claude_code_shapes(ant):
    """What Claude Code sends: /v1/messages?beta=true, $schema and additionalProperties in tool
    schemas, a mid-conversation system message."""
    bash = {
        "name": "Bash",
        "description": "Run a shell command",
        "input_schema": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "description": {"type": "string"},
            },
            "required": ["command"],
            "additionalProperties": False,
        },
    }
    msg = ant.beta.messages.create(
        model="claude-sonnet-4-6",
        max_tokens=1024,
        tools=[bash],
        betas=["claude-code-20250219", "interleaved-thinking-2025-05-14"],
        messages=[
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": [{"type": "text", "text": "hello back"}]},
            {"role": "system", "content": [{"type": "text", "text": "Reminder: be careful with shell commands."}]},
            {"role": "user", "content": [{"type": "text", "text": "run echo hi", "cache_control": {"type": "ephemeral"}}]},
        ],
    )
    uses = [b for b in msg.content if b.type == "tool_use"]
    assert len(uses) == 1, msg.content
    assert uses[0].name == "Bash"
    assert uses[0].input.get("command") == "echo hi"
    assert msg.stop_reason == "tool_use"


def test_unknown_model_is_400(ant):
    with pytest.raises(anthropic.BadRequestError) as err:
        ant.messages.create(model="llama-3.3-70b", max_tokens=64, messages=user("hi"))
    e = err.value
    assert e.status_code == 400
    assert "llama-3.3-70b" in e.message, e.message
    assert e.body["type"] == "error"
    assert e.body["error"]["type"] == "invalid_request_error"


def test_unknown_model_streamed_is_400(ant):
    with pytest.raises(anthropic.BadRequestError) as err:
        with ant.messages.stream(model="llama-3.3-70b", max_tokens=64, messages=user("hi")) as s:
            s.get_final_message()
    assert "llama-3.3-70b" in err.value.message

