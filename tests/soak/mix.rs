//! The traffic mix: what request number `n` is (API, streaming, tools, thinking, an injected
//! 429, a client that leaves mid-stream), its body, and the model name that identifies it in the
//! history. Deterministic in `n`, so a run can be repeated and every request found again.

use std::fmt;

use serde_json::{Value, json};

/// Requests per cycle; one slot of each cycle is an injected 429, one a disconnect (5% each).
pub const CYCLE: u64 = 20;
const FAULT_SLOT: u64 = 0;
const DISCONNECT_SLOT: u64 = 10;

/// Which client API a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    OpenAi,
    Anthropic,
}

impl Api {
    pub fn path(self) -> &'static str {
        match self {
            Self::OpenAi => "/v1/chat/completions",
            Self::Anthropic => "/v1/messages",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
        }
    }
}

/// What the request is meant to provoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A plain answer (text).
    Text,
    /// Tools declared and named in the prompt: the answer is a tool call.
    ToolCall,
    /// A tool call and its result in the conversation: the answer is text about the result.
    ToolResult,
    /// Thinking asked for: the answer has a thinking part, then text.
    Thinking,
    /// `[[sim:fault=rate_limited]]` on every upstream call: the client must get a 429.
    Upstream429,
    /// `[[sim:slow]]` streaming; the client drops the connection after the first chunk.
    Disconnect,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::ToolCall => "tool call",
            Self::ToolResult => "tool result",
            Self::Thinking => "thinking",
            Self::Upstream429 => "injected 429",
            Self::Disconnect => "client gone",
        }
    }
}

/// Which model family serves the request (the upstream model it is routed to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `claude-haiku-soak-…`: the haiku family default, `claude-sonnet-4-6` (its thinking
    /// variant when thinking is asked for).
    Claude,
    /// `gemini-soak-…`: the gemini family default, `gemini-3-flash`.
    Gemini,
    /// `claude-opus-soak-…`: `claude-opus-4-6-thinking`, used by the injected 429s only, so the
    /// cooldowns they cause never touch the other requests' models.
    Faults,
}

/// One request of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub n: u64,
    pub api: Api,
    pub stream: bool,
    pub kind: Kind,
    pub family: Family,
}

/// The class a request is counted under in the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Class {
    pub api: Api,
    pub stream: bool,
    pub kind: Kind,
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.stream { "stream" } else { "non-stream" };
        write!(f, "{} {mode} {}", self.api.name(), self.kind.name())
    }
}

impl Planned {
    pub fn of(n: u64) -> Self {
        let (cycle, slot) = (n / CYCLE, n % CYCLE);
        let flip = |x: u64| (x + cycle).is_multiple_of(2);
        let api = if flip(slot) {
            Api::OpenAi
        } else {
            Api::Anthropic
        };
        let (kind, stream, family) = match slot {
            FAULT_SLOT => (Kind::Upstream429, cycle % 4 < 2, Family::Faults),
            DISCONNECT_SLOT => (Kind::Disconnect, true, family_of(slot / 4 + cycle)),
            s => {
                let kind = match s % 6 {
                    1 => Kind::ToolCall,
                    3 => Kind::Thinking,
                    5 => Kind::ToolResult,
                    _ => Kind::Text,
                };
                // A tool result needs the call's id and, for Gemini, its signature: Claude only.
                let family = if kind == Kind::ToolResult {
                    Family::Claude
                } else {
                    family_of(s / 4 + cycle)
                };
                (kind, flip(s / 2), family)
            }
        };
        Self {
            n,
            api,
            stream,
            kind,
            family,
        }
    }

    pub fn class(&self) -> Class {
        Class {
            api: self.api,
            stream: self.stream,
            kind: self.kind,
        }
    }

    /// The requested model name: unique per request, resolved by the family defaults.
    pub fn model(&self) -> String {
        let prefix = match self.family {
            Family::Claude => "claude-haiku-soak",
            Family::Gemini => "gemini-soak",
            Family::Faults => "claude-opus-soak",
        };
        format!("{prefix}-{}", self.n)
    }

    pub fn body(&self) -> Value {
        let mut prompt = format!("soak request {}.", self.n);
        match self.kind {
            Kind::ToolCall => prompt.push_str(" What is the weather in Oslo? Use get_weather."),
            Kind::Upstream429 => prompt.push_str(" [[sim:fault=rate_limited]]"),
            Kind::Disconnect => prompt.push_str(" [[sim:slow]]"),
            Kind::Text | Kind::Thinking | Kind::ToolResult => {}
        }
        let mut body = match self.api {
            Api::OpenAi => self.openai(&prompt),
            Api::Anthropic => self.anthropic(&prompt),
        };
        body["model"] = json!(self.model());
        body["stream"] = json!(self.stream);
        body
    }

    fn openai(&self, prompt: &str) -> Value {
        let call_id = format!("call_soak_{}", self.n);
        let messages = if self.kind == Kind::ToolResult {
            json!([
                {"role": "user", "content": "What is the weather in Oslo?"},
                {"role": "assistant", "content": null, "tool_calls": [{
                    "id": call_id, "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
                {"role": "tool", "tool_call_id": call_id, "content": format!("sunny ({prompt})")},
            ])
        } else {
            json!([{"role": "user", "content": prompt}])
        };
        let mut body = json!({"max_tokens": 256, "messages": messages});
        if matches!(self.kind, Kind::ToolCall | Kind::ToolResult) {
            body["tools"] = json!([{"type": "function", "function": weather_tool()}]);
        }
        if self.kind == Kind::Thinking {
            body["reasoning_effort"] = json!("low");
        }
        body
    }

    fn anthropic(&self, prompt: &str) -> Value {
        let call_id = format!("toolu_soak_{}", self.n);
        let messages = if self.kind == Kind::ToolResult {
            json!([
                {"role": "user", "content": "What is the weather in Oslo?"},
                {"role": "assistant", "content": [{"type": "tool_use", "id": call_id,
                    "name": "get_weather", "input": {"city": "Oslo"}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id,
                    "content": format!("sunny ({prompt})")}]},
            ])
        } else {
            json!([{"role": "user", "content": prompt}])
        };
        let mut body = json!({"max_tokens": 2048, "messages": messages});
        if matches!(self.kind, Kind::ToolCall | Kind::ToolResult) {
            let tool = weather_tool();
            body["tools"] = json!([{"name": tool["name"], "description": tool["description"],
                                    "input_schema": tool["parameters"]}]);
        }
        if self.kind == Kind::Thinking {
            body["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
        }
        body
    }
}

fn family_of(x: u64) -> Family {
    if x.is_multiple_of(2) {
        Family::Claude
    } else {
        Family::Gemini
    }
}

fn weather_tool() -> Value {
    json!({
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                       "required": ["city"]},
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_mix_covers_every_class_and_keeps_the_shares() {
        let plans: Vec<Planned> = (0..CYCLE * 4).map(Planned::of).collect();
        let classes: BTreeSet<Class> = plans.iter().map(Planned::class).collect();
        for api in [Api::OpenAi, Api::Anthropic] {
            for stream in [false, true] {
                for kind in [
                    Kind::Text,
                    Kind::ToolCall,
                    Kind::ToolResult,
                    Kind::Thinking,
                    Kind::Upstream429,
                ] {
                    let class = Class { api, stream, kind };
                    assert!(classes.contains(&class), "{class} missing");
                }
            }
            let gone = Class {
                api,
                stream: true,
                kind: Kind::Disconnect,
            };
            assert!(classes.contains(&gone), "{gone} missing");
        }
        let share = |k: Kind| plans.iter().filter(|p| p.kind == k).count();
        assert_eq!(share(Kind::Upstream429), 4);
        assert_eq!(share(Kind::Disconnect), 4);
        assert!(
            plans
                .iter()
                .all(|p| (p.kind == Kind::Upstream429) == (p.family == Family::Faults))
        );
    }
}
