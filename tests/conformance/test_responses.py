"""The official `openai` Python SDK against the Responses API: POST /v1/responses (stream and
not), `previous_response_id`, GET /v1/responses/{id}, POST /v1/responses/input_tokens and the
`responses.stream()` helper."""

from __future__ import annotations

import json

import openai
import pytest

from support import GREETING, TOOL_RESULT, WEATHER_SCHEMA

FAMILIES = ["claude-sonnet-4-6", "gemini-3-flash", "gpt-oss-120b"]

# The Responses API's function tool is flat: no nested `function` object.
RESPONSES_WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city",
    "parameters": WEATHER_SCHEMA,
}


def function_calls(resp) -> list:
    return [item for item in resp.output if item.type == "function_call"]


def messages(resp) -> list:
    return [item for item in resp.output if item.type == "message"]


# --- plain text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILIES)
def test_create_non_stream(oai, model):
    resp = oai.responses.create(model=model, input="Ping from the responses suite")
    assert resp.object == "response"
    assert resp.id
    assert resp.status == "completed"
    assert resp.output_text.startswith(GREETING), resp.output_text
    assert "You said: Ping from the responses suite" in resp.output_text
    [msg] = messages(resp)
    assert msg.role == "assistant"
    assert msg.content[0].type == "output_text"
    assert resp.usage is not None and resp.usage.input_tokens > 0 and resp.usage.output_tokens > 0


def test_instructions_and_message_items(oai):
    resp = oai.responses.create(
        model="gemini-3-flash",
        instructions="You are terse.",
        input=[
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Be brief."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello items"}]},
        ],
    )
    assert "You said: Hello items" in resp.output_text


@pytest.mark.parametrize("model", FAMILIES)
def test_create_stream_events(oai, model):
    events = list(oai.responses.create(model=model, input="Stream me [[sim:long]]", stream=True))
    types = [e.type for e in events]
    assert types[0] == "response.created", types
    assert types[-1] == "response.completed", types
    assert "response.output_text.delta" in types
    # Sequence numbers count up from 0 without gaps.
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    # [[sim:long]] gives 60 upstream chunks; they arrive as separate deltas.
    assert len(deltas) >= 30, len(deltas)
    text = "".join(d.delta for d in deltas)
    assert text.startswith(GREETING) and text.endswith("Simulated line 60."), text[-80:]
    done = next(e for e in events if e.type == "response.output_text.done")
    assert done.text == text
    final = events[-1].response
    assert final.status == "completed"
    assert final.output_text == text
    assert final.usage is not None and final.usage.output_tokens > 0


def test_stream_helper(oai):
    seen: list[str] = []
    with oai.responses.stream(model="claude-sonnet-4-6", input="Helper stream") as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                seen.append(event.delta)
        final = stream.get_final_response()
    assert final.status == "completed"
    assert final.output_text == "".join(seen)
    assert "You said: Helper stream" in final.output_text


# --- tools --------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", FAMILIES)
def test_function_tool_round_trip(oai, model):
    first = oai.responses.create(
        model=model, input="Use get_weather for Tokyo", tools=[RESPONSES_WEATHER_TOOL]
    )
    [call] = function_calls(first)
    assert call.name == "get_weather"
    assert call.call_id
    assert json.loads(call.arguments) == {"location": "Tokyo"}
    # The stateless round trip: the whole history, the call item replayed as it came.
    second = oai.responses.create(
        model=model,
        tools=[RESPONSES_WEATHER_TOOL],
        input=[
            {"role": "user", "content": "Use get_weather for Tokyo"},
            *[item.model_dump(exclude_none=True) for item in first.output],
            {"type": "function_call_output", "call_id": call.call_id, "output": TOOL_RESULT},
        ],
    )
    assert not function_calls(second)
    assert TOOL_RESULT in second.output_text, second.output_text


def test_streamed_function_call(oai):
    events = list(
        oai.responses.create(
            model="gemini-3-flash", input="Use get_weather for Oslo", tools=[RESPONSES_WEATHER_TOOL], stream=True
        )
    )
    types = [e.type for e in events]
    assert "response.function_call_arguments.delta" in types, types
    arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert json.loads(arguments) == {"location": "Oslo"}
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert json.loads(done.arguments) == {"location": "Oslo"}
    [call] = function_calls(events[-1].response)
    assert call.name == "get_weather"


def test_previous_response_id_tool_round_trip(oai):
    """The stateful round trip: only the tool output, the rest comes from the stored response."""
    first = oai.responses.create(
        model="gemini-3-flash", input="Use get_weather for Lima", tools=[RESPONSES_WEATHER_TOOL]
    )
    [call] = function_calls(first)
    second = oai.responses.create(
        model="gemini-3-flash",
        previous_response_id=first.id,
        tools=[RESPONSES_WEATHER_TOOL],
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": TOOL_RESULT}],
    )
    assert second.previous_response_id == first.id
    assert TOOL_RESULT in second.output_text, second.output_text


def test_previous_response_id_carries_the_conversation(oai):
    first = oai.responses.create(model="claude-sonnet-4-6", input="Remember the word conformance")
    second = oai.responses.create(model="claude-sonnet-4-6", previous_response_id=first.id, input="And again")
    assert "You said: And again" in second.output_text
    # The second request carried the first turn upstream, so it counted more input.
    assert second.usage.input_tokens > first.usage.input_tokens


def test_unknown_previous_response_id_is_a_bad_request(oai):
    with pytest.raises(openai.BadRequestError) as err:
        oai.responses.create(model="gemini-3-flash", previous_response_id="resp_does_not_exist", input="hi")
    assert "resp_does_not_exist" in str(err.value)


def test_retrieve_stored_response(oai):
    created = oai.responses.create(model="gemini-3-flash", input="Keep this one")
    got = oai.responses.retrieve(created.id)
    assert got.id == created.id
    assert got.output_text == created.output_text


# --- reasoning ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["claude-sonnet-4-6-thinking", "gemini-3-flash"])
def test_reasoning_items(oai, model):
    resp = oai.responses.create(
        model=model,
        input="Think about it",
        reasoning={"effort": "medium", "summary": "auto"},
        include=["reasoning.encrypted_content"],
    )
    reasoning = [item for item in resp.output if item.type == "reasoning"]
    assert reasoning, [item.type for item in resp.output]
    summary = "".join(s.text for s in reasoning[0].summary)
    assert "Let me think" in summary, summary
    assert reasoning[0].encrypted_content, "asked for reasoning.encrypted_content"
    assert resp.output_text.startswith(GREETING)
    assert resp.usage.output_tokens_details.reasoning_tokens > 0


def test_reasoning_replayed_with_a_tool_round_trip(oai):
    """The reasoning item (with its encrypted content) goes back in the next request's input."""
    first = oai.responses.create(
        model="claude-sonnet-4-6-thinking",
        input="Use get_weather for Rome",
        tools=[RESPONSES_WEATHER_TOOL],
        reasoning={"effort": "low"},
        include=["reasoning.encrypted_content"],
        store=False,
    )
    [call] = function_calls(first)
    assert any(item.type == "reasoning" for item in first.output)
    second = oai.responses.create(
        model="claude-sonnet-4-6-thinking",
        tools=[RESPONSES_WEATHER_TOOL],
        reasoning={"effort": "low"},
        include=["reasoning.encrypted_content"],
        store=False,
        input=[
            {"role": "user", "content": "Use get_weather for Rome"},
            *[item.model_dump(exclude_none=True) for item in first.output],
            {"type": "function_call_output", "call_id": call.call_id, "output": TOOL_RESULT},
        ],
    )
    assert TOOL_RESULT in second.output_text, second.output_text


def test_reasoning_stream_events(oai):
    events = list(
        oai.responses.create(
            model="claude-sonnet-4-6-thinking", input="Stream thoughts", reasoning={"summary": "auto"}, stream=True
        )
    )
    types = [e.type for e in events]
    assert "response.reasoning_summary_text.delta" in types, types
    thought = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert "Let me think" in thought
    # The reasoning item comes before the message.
    kinds = [item.type for item in events[-1].response.output]
    assert kinds.index("reasoning") < kinds.index("message"), kinds


# --- input tokens and errors --------------------------------------------------------------------


def test_input_tokens_count(oai):
    short = oai.responses.input_tokens.count(model="gemini-3-flash", input="hi")
    longer = oai.responses.input_tokens.count(
        model="gemini-3-flash", input="hi " * 200, tools=[RESPONSES_WEATHER_TOOL]
    )
    assert short.object == "response.input_tokens"
    assert 0 < short.input_tokens < longer.input_tokens


def test_unknown_model_is_a_bad_request(oai):
    with pytest.raises(openai.BadRequestError) as err:
        oai.responses.create(model="llama-3.3-70b", input="hi")
    assert "llama-3.3-70b" in str(err.value)
