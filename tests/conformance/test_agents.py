"""The OpenAI Agents SDK (`openai-agents`) with its default model, `OpenAIResponsesModel`, against
POST /v1/responses: a `@function_tool` round trip through `Runner.run_sync` and
`Runner.run_streamed`. Tracing is off so the SDK never calls home."""

from __future__ import annotations

import asyncio

import pytest
from agents import (
    Agent,
    ModelSettings,
    OpenAIResponsesModel,
    RunConfig,
    Runner,
    function_tool,
    set_tracing_disabled,
)
from openai import AsyncOpenAI
from openai.types.responses import ResponseTextDeltaEvent
from openai.types.shared import Reasoning

from support import CLIENT_TIMEOUT, GREETING

set_tracing_disabled(True)

MODEL = "gemini-3-flash"


@pytest.fixture
def agent_client(base_url):
    return AsyncOpenAI(base_url=f"{base_url}/v1", api_key="conformance", max_retries=0, timeout=CLIENT_TIMEOUT)


def weather_agent(client, calls: list[str], model: str = MODEL) -> Agent:
    @function_tool
    def get_weather(location: str) -> str:
        """Get the current weather for a city.

        Args:
            location: City name.
        """
        calls.append(location)
        return f"18 degrees and sunny in {location}"

    return Agent(
        name="Weather",
        instructions="Answer questions about the weather with the get_weather tool.",
        # The SDK's default model class, pointed at the proxy instead of OpenAI.
        model=OpenAIResponsesModel(model=model, openai_client=client),
        tools=[get_weather],
    )


def tool_outputs(result) -> list[str]:
    return [str(item.output) for item in result.new_items if item.type == "tool_call_output_item"]


def test_run_sync_plain(agent_client):
    agent = Agent(
        name="Plain", instructions="Be brief.", model=OpenAIResponsesModel(model=MODEL, openai_client=agent_client)
    )
    result = Runner.run_sync(agent, "Hello agents")
    assert result.final_output.startswith(GREETING), result.final_output
    assert "You said: Hello agents" in result.final_output


@pytest.mark.parametrize("model", ["gemini-3-flash", "claude-sonnet-4-6"])
def test_run_sync_function_tool(agent_client, model):
    calls: list[str] = []
    result = Runner.run_sync(weather_agent(agent_client, calls, model), "Use get_weather for Madrid", max_turns=4)
    assert calls == ["Madrid"]
    assert tool_outputs(result) == ["18 degrees and sunny in Madrid"]
    # The second model turn saw the tool output.
    assert "18 degrees and sunny in Madrid" in result.final_output, result.final_output
    assert len(result.raw_responses) == 2


def test_run_streamed_function_tool(agent_client):
    calls: list[str] = []

    async def run():
        result = Runner.run_streamed(weather_agent(agent_client, calls), "Use get_weather for Vienna", max_turns=4)
        deltas: list[str] = []
        kinds: list[str] = []
        async for event in result.stream_events():
            if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent):
                deltas.append(event.data.delta)
            elif event.type == "run_item_stream_event":
                kinds.append(event.item.type)
        return result, deltas, kinds

    result, deltas, kinds = asyncio.run(run())
    assert calls == ["Vienna"]
    assert kinds[:2] == ["tool_call_item", "tool_call_output_item"], kinds
    assert "message_output_item" in kinds
    assert "".join(deltas) == result.final_output
    assert "18 degrees and sunny in Vienna" in result.final_output


def test_reasoning_model_settings(agent_client):
    agent = Agent(
        name="Thinker",
        instructions="Think first.",
        model=OpenAIResponsesModel(model="claude-sonnet-4-6-thinking", openai_client=agent_client),
        model_settings=ModelSettings(reasoning=Reasoning(effort="low", summary="auto")),
    )
    result = Runner.run_sync(agent, "Ponder this", run_config=RunConfig(tracing_disabled=True))
    assert "You said: Ponder this" in result.final_output
    assert any(item.type == "reasoning_item" for item in result.new_items)
