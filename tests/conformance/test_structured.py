"""Structured output through the official `openai` SDK: `chat.completions.parse` and
`responses.parse` with a pydantic model return parsed objects, on a Gemini target (native JSON
mode upstream) and a Claude target (emulated with a forced function call)."""

from __future__ import annotations

import pydantic
import pytest

FAMILIES = ["gemini-3-flash", "claude-sonnet-4-6"]


class Address(pydantic.BaseModel):
    city: str


class Person(pydantic.BaseModel):
    name: str
    age: int
    tags: list[str]
    address: Address


@pytest.mark.parametrize("model", FAMILIES)
def test_chat_completions_parse_returns_the_model(oai, model):
    completion = oai.chat.completions.parse(
        model=model,
        messages=[{"role": "user", "content": "Describe a person"}],
        response_format=Person,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert not choice.message.tool_calls
    person = choice.message.parsed
    assert isinstance(person, Person), choice.message
    assert person.name and person.address.city
    assert len(person.tags) == 1


@pytest.mark.parametrize("model", FAMILIES)
def test_chat_completions_json_object_is_json(oai, model):
    import json

    completion = oai.chat.completions.create(
        model=model,
        messages=[{"role": "user", "content": "Answer in JSON"}],
        response_format={"type": "json_object"},
    )
    assert isinstance(json.loads(completion.choices[0].message.content), dict)


@pytest.mark.parametrize("model", FAMILIES)
def test_responses_parse_returns_the_model(oai, model):
    response = oai.responses.parse(model=model, input="Describe a person", text_format=Person)
    assert response.status == "completed"
    person = response.output_parsed
    assert isinstance(person, Person), response
    assert person.age == 1 and person.address.city


def test_a_bad_format_is_a_400_naming_the_field(oai):
    import openai

    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(
            model="gemini-3-flash",
            messages=[{"role": "user", "content": "hi"}],
            response_format={"type": "json_schema", "json_schema": {"name": "P"}},
        )
    assert "response_format.json_schema.schema" in str(caught.value)
