//! IR ⇄ Antigravity (Cloud Code `v1internal`, Gemini-shaped): request envelopes and the stream decoder.
