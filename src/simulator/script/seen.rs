//! What the simulated model sees of the tool results in a user turn: each functionResponse's
//! result and the images that reach it. The real gateway shows a tool's images to the model only
//! when they sit inside `functionResponse.parts` as `inlineData` with a `mimeType`
//! (`CLIProxyAPI` 79ef3618d, #5070); sibling `inlineData` parts after the response are not seen.

use serde_json::Value;

/// One functionResponse as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ToolResult {
    pub name: String,
    pub result: String,
    /// Images the model saw with this result.
    pub images: usize,
}

/// The tool results among `parts`. `strict` is the real gateway (nested images with a mime type
/// only); the lenient one also shows a sibling image to the nearest response before it.
pub(crate) fn tool_results(parts: &[Value], strict: bool) -> Vec<ToolResult> {
    let mut out: Vec<ToolResult> = Vec::new();
    for part in parts {
        if let Some(resp) = part.get("functionResponse") {
            out.push(ToolResult {
                name: resp
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("tool")
                    .to_owned(),
                result: result_text(resp.get("response")),
                images: nested_images(resp, strict),
            });
        } else if !strict
            && part.get("inlineData").is_some()
            && let Some(last) = out.last_mut()
        {
            last.images += 1;
        }
    }
    out
}

fn result_text(response: Option<&Value>) -> String {
    match response {
        Some(r) => match r.get("result") {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => r.to_string(),
        },
        None => String::new(),
    }
}

fn nested_images(resp: &Value, strict: bool) -> usize {
    let parts = resp.get("parts").and_then(Value::as_array);
    parts
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("inlineData"))
        .filter(|d| {
            let has = |key: &str| {
                d.get(key)
                    .and_then(Value::as_str)
                    .is_some_and(|v| !v.is_empty())
            };
            has("data") && (!strict || has("mimeType"))
        })
        .count()
}

/// How a reply mentions what was seen: "" or " [saw 2 images]".
pub(crate) fn seen_note(images: usize) -> String {
    match images {
        0 => String::new(),
        1 => " [saw 1 image]".to_owned(),
        n => format!(" [saw {n} images]"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_nested_images_with_a_mime_type_are_seen_strictly() {
        let image = json!({"inlineData": {"mimeType": "image/png", "data": "iVBO"}});
        let untyped = json!({"inlineData": {"data": "iVBO"}});
        let parts = [
            json!({"functionResponse": {"name": "shot", "response": {"result": ""},
                "parts": [image, untyped]}}),
            json!({"functionResponse": {"name": "read", "response": {"result": "ok"}}}),
            image.clone(),
        ];
        let strict = tool_results(&parts, true);
        assert_eq!((strict[0].images, strict[1].images), (1, 0));
        assert_eq!(strict[1].result, "ok");
        let lenient = tool_results(&parts, false);
        assert_eq!((lenient[0].images, lenient[1].images), (2, 1));
        assert_eq!(seen_note(0), "");
        assert_eq!(seen_note(2), " [saw 2 images]");
    }
}
