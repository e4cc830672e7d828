//! Anthropic Messages wire format ⇄ IR: request parsing, response bodies and the SSE encoder.
