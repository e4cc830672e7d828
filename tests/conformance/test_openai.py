"""The official `openai` Python SDK against POST /v1/chat/completions and GET /v1/models."""

from __future__ import annotations

import json

import openai
import pytest

from support import CATALOGUE, GREETING, OPENAI_WEATHER_TOOL, ROUTES, TOOL_RESULT

FAMILIES = ["claude-sonnet-4-6", "gemini-3-flash", "gpt-oss-120b"]


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def collect_stream(stream) -> tuple[list, str, list]:
    """All chunks, the concatenated content, and the non-null finish reasons in order."""
    chunks = list(stream)
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    finishes = [ch.finish_reason for c in chunks for ch in c.choices if ch.finish_reason is not None]
    return chunks, content, finishes


def accumulate_tool_calls(chunks) -> dict[int, dict]:
    calls: dict[int, dict] = {}
    for c in chunks:
        for choice in c.choices:
            for tc in choice.delta.tool_calls or []:
                call = calls.setdefault(tc.index, {"id": None, "type": None, "name": "", "arguments": ""})
                if tc.id:
                    assert call["id"] in (None, tc.id), f"tool call id changed mid-stream: {call['id']} -> {tc.id}"
                    call["id"] = tc.id
                if tc.type:
                    call["type"] = tc.type
                if tc.function is not None:
                    call["name"] += tc.function.name or ""
                    call["arguments"] += tc.function.arguments or ""
    return calls


# --- plain text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILIES)
def test_non_stream(oai, model):
    resp = oai.chat.completions.create(model=model, messages=user("Ping from the conformance suite"))
    assert resp.object == "chat.completion"
    assert resp.id
    assert resp.model
    assert len(resp.choices) == 1
    choice = resp.choices[0]
    assert choice.index == 0
    assert choice.message.role == "assistant"
    assert choice.message.content.startswith(GREETING), choice.message.content
    assert "You said: Ping from the conformance suite" in choice.message.content
    assert choice.finish_reason == "stop"
    assert resp.usage is not None
    assert resp.usage.prompt_tokens > 0
    assert resp.usage.completion_tokens > 0
    assert resp.usage.total_tokens >= resp.usage.prompt_tokens + resp.usage.completion_tokens


def test_system_and_multi_turn_history(oai):
    resp = oai.chat.completions.create(
        model="claude-sonnet-4-6",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": [{"type": "text", "text": "second question"}]},
        ],
    )
    text = resp.choices[0].message.content
    assert text.startswith(GREETING)
    assert "You said: second question" in text
    assert "first question" not in text


@pytest.mark.parametrize("model", FAMILIES)
def test_stream(oai, model):
    stream = oai.chat.completions.create(model=model, messages=user("stream this please"), stream=True)
    chunks, content, finishes = collect_stream(stream)
    assert len(chunks) >= 2
    for c in chunks:
        assert c.object == "chat.completion.chunk", c
        assert c.id, c
        assert c.created, c
        assert c.model, c
    assert len({c.id for c in chunks}) == 1, "all chunks of one completion share its id"
    assert any(ch.delta.role == "assistant" for c in chunks for ch in c.choices)
    assert content.startswith(GREETING), content
    assert "You said: stream this please" in content
    assert finishes == ["stop"], f"exactly one finish_reason expected, got {finishes}"
    # Without stream_options.include_usage no chunk is a usage-only chunk.
    assert all(c.choices for c in chunks), "a choices:[] chunk without include_usage"


def test_stream_helper_final_completion(oai):
    events = []
    with oai.chat.completions.stream(model="claude-sonnet-4-6", messages=user("use the helper")) as stream:
        for event in stream:
            events.append(event)
        final = stream.get_final_completion()
    types = [e.type for e in events]
    assert "chunk" in types
    assert "content.delta" in types
    done = [e for e in events if e.type == "content.done"]
    assert len(done) == 1
    message = final.choices[0].message
    assert message.content.startswith(GREETING)
    assert "You said: use the helper" in message.content
    assert done[0].content == message.content
    assert final.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("model", ["claude-sonnet-4-6", "gemini-3-flash"])
def test_stream_include_usage(oai, model):
    stream = oai.chat.completions.create(
        model=model,
        messages=user("count my tokens"),
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks, content, finishes = collect_stream(stream)
    assert content.startswith(GREETING)
    assert finishes == ["stop"]
    with_usage = [c for c in chunks if c.usage is not None]
    assert len(with_usage) == 1, f"exactly one usage chunk expected, got {len(with_usage)}"
    last = chunks[-1]
    assert last is with_usage[0], "the usage chunk is the last one"
    assert last.choices == []
    assert last.object == "chat.completion.chunk"
    assert last.usage.prompt_tokens > 0
    assert last.usage.completion_tokens > 0
    assert last.usage.total_tokens >= last.usage.prompt_tokens + last.usage.completion_tokens


def test_max_tokens_finish_is_length(oai):
    resp = oai.chat.completions.create(model="claude-sonnet-4-6", messages=user("cut me off [[sim:max_tokens]]"))
    assert resp.choices[0].finish_reason == "length"
    assert resp.choices[0].message.content.startswith(GREETING)
    stream = oai.chat.completions.create(
        model="claude-sonnet-4-6", messages=user("cut me off [[sim:max_tokens]]"), stream=True
    )
    _, content, finishes = collect_stream(stream)
    assert content.startswith(GREETING)
    assert finishes == ["length"]


# --- tools --------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILIES)
def test_tools_non_stream(oai, model):
    resp = oai.chat.completions.create(
        model=model,
        messages=user("What does get_weather say about the weather in Paris?"),
        tools=[OPENAI_WEATHER_TOOL],
    )
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.role == "assistant"
    calls = choice.message.tool_calls
    assert calls is not None and len(calls) == 1, choice.message
    call = calls[0]
    assert call.id
    assert call.type == "function"
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"location": "Paris"}


@pytest.mark.parametrize("model", FAMILIES)
def test_tools_stream(oai, model):
    stream = oai.chat.completions.create(
        model=model,
        messages=user("Call get_weather for Tokyo"),
        tools=[OPENAI_WEATHER_TOOL],
        stream=True,
    )
    chunks, _, finishes = collect_stream(stream)
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert finishes == ["tool_calls"]
    calls = accumulate_tool_calls(chunks)
    assert list(calls) == [0], calls
    call = calls[0]
    assert call["id"]
    assert call["type"] == "function"
    assert call["name"] == "get_weather"
    assert json.loads(call["arguments"]) == {"location": "Tokyo"}


def test_tools_stream_helper(oai):
    with oai.chat.completions.stream(
        model="claude-sonnet-4-6",
        messages=user("Call get_weather for Lisbon"),
        tools=[OPENAI_WEATHER_TOOL],
    ) as stream:
        events = list(stream)
        final = stream.get_final_completion()
    done = [e for e in events if e.type == "tool_calls.function.arguments.done"]
    assert len(done) == 1
    assert done[0].name == "get_weather"
    assert json.loads(done[0].arguments) == {"location": "Lisbon"}
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"location": "Lisbon"}
    assert final.choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("model", "stream_first"),
    [("claude-sonnet-4-6", False), ("gemini-3-flash", False), ("gemini-3-flash", True), ("gpt-oss-120b", False)],
)
def test_tool_round_trip(oai, model, stream_first):
    messages = user("Use get_weather for Rome")
    if stream_first:
        chunks, content, finishes = collect_stream(
            oai.chat.completions.create(model=model, messages=messages, tools=[OPENAI_WEATHER_TOOL], stream=True)
        )
        assert finishes == ["tool_calls"]
        acc = accumulate_tool_calls(chunks)[0]
        call_id, name, arguments = acc["id"], acc["name"], acc["arguments"]
    else:
        first = oai.chat.completions.create(model=model, messages=messages, tools=[OPENAI_WEATHER_TOOL])
        assert first.choices[0].finish_reason == "tool_calls"
        tc = first.choices[0].message.tool_calls[0]
        content = first.choices[0].message.content
        call_id, name, arguments = tc.id, tc.function.name, tc.function.arguments
    assert name == "get_weather"
    assert json.loads(arguments) == {"location": "Rome"}
    messages = messages + [
        {
            "role": "assistant",
            "content": content or None,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
        },
        {"role": "tool", "tool_call_id": call_id, "content": TOOL_RESULT},
    ]
    second = oai.chat.completions.create(model=model, messages=messages, tools=[OPENAI_WEATHER_TOOL])
    choice = second.choices[0]
    assert choice.finish_reason == "stop"
    assert not choice.message.tool_calls
    assert "Tool get_weather returned:" in choice.message.content, choice.message.content
    assert TOOL_RESULT in choice.message.content


# --- reasoning ----------------------------------------------------------------------------------


def test_reasoning_effort_on_thinking_model(oai):
    resp = oai.chat.completions.create(
        model="claude-sonnet-4-6-thinking",
        messages=user("think first"),
        reasoning_effort="high",
    )
    message = resp.choices[0].message
    assert message.content.startswith(GREETING)
    assert "You said: think first" in message.content
    assert resp.choices[0].finish_reason == "stop"
    reasoning = (message.model_extra or {}).get("reasoning_content")
    assert isinstance(reasoning, str) and "think" in reasoning, message
    assert resp.usage.completion_tokens_details is not None
    assert resp.usage.completion_tokens_details.reasoning_tokens > 0


@pytest.mark.parametrize("effort", ["low", "medium", "high"])
def test_reasoning_effort_levels(oai, effort):
    resp = oai.chat.completions.create(
        model="gemini-3-flash", messages=user(f"effort {effort}"), reasoning_effort=effort
    )
    assert resp.choices[0].message.content.startswith(GREETING)
    assert f"You said: effort {effort}" in resp.choices[0].message.content
    assert resp.choices[0].finish_reason == "stop"


def test_reasoning_effort_streamed(oai):
    stream = oai.chat.completions.create(
        model="claude-sonnet-4-6-thinking", messages=user("think in a stream"), reasoning_effort="medium", stream=True
    )
    chunks, content, finishes = collect_stream(stream)
    assert content.startswith(GREETING)
    assert finishes == ["stop"]
    reasoning = "".join(
        (ch.delta.model_extra or {}).get("reasoning_content") or "" for c in chunks for ch in c.choices
    )
    assert "think" in reasoning


def test_unknown_reasoning_effort_is_400(oai):
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model="claude-sonnet-4-6", messages=user("hi"), reasoning_effort="ludicrous")
    assert err.value.status_code == 400
    assert "ludicrous" in err.value.message or "reasoning_effort" in err.value.message


# --- models and errors --------------------------------------------------------------------------


def test_models_list(oai):
    models = list(oai.models.list())
    ids = [m.id for m in models]
    for expected in CATALOGUE + ROUTES:
        assert expected in ids, f"{expected} missing from /v1/models: {ids}"
    assert len(ids) == len(set(ids)), f"duplicate ids: {ids}"
    for m in models:
        assert m.object == "model"
        assert m.owned_by


def test_unknown_model_is_400_naming_it(oai):
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model="llama-3.3-70b", messages=user("hi"))
    e = err.value
    assert e.status_code == 400
    assert "llama-3.3-70b" in e.message, e.message
    assert "claude-sonnet-4-6" in e.message, f"the error should list the available ids: {e.message}"


def test_unknown_model_streamed_is_400(oai):
    with pytest.raises(openai.BadRequestError) as err:
        oai.chat.completions.create(model="llama-3.3-70b", messages=user("hi"), stream=True)
    assert "llama-3.3-70b" in err.value.message


def test_claude_family_name_is_mapped(oai):
    resp = oai.chat.completions.create(model="claude-opus-4-8", messages=user("mapped name"))
    assert resp.choices[0].message.content.startswith(GREETING)
    assert "You said: mapped name" in resp.choices[0].message.content


@pytest.mark.parametrize("route", ROUTES)
def test_routes_answer(oai, route):
    resp = oai.chat.completions.create(model=route, messages=user(f"via {route}"))
    assert resp.choices[0].message.content.startswith(GREETING)
    assert f"You said: via {route}" in resp.choices[0].message.content
