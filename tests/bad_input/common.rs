//! Cases that apply to both chat routes alike: broken JSON and UTF-8, bodies that are not
//! objects, wrong types for the shared fields, out-of-range numbers, deep nesting and huge
//! arrays, oversized bodies, wrong content types and methods.

use reqwest::Method;
use serde_json::json;

use super::runner::{Api, CT, Case};

/// Nesting far beyond any parser's recursion limit.
const DEEP: usize = 10_000;
/// Elements in the huge-array cases (each body stays under the 1 MiB limit).
const HUGE: usize = 100_000;

pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for api in [Api::OpenAi, Api::Anthropic] {
        syntax(api, &mut cases);
        shapes(api, &mut cases);
        types(api, &mut cases);
        ranges(api, &mut cases);
        sizes(api, &mut cases);
        transport(api, &mut cases);
    }
    cases
}

fn syntax(api: Api, out: &mut Vec<Case>) {
    let good = serde_json::to_vec(&api.good()).unwrap();
    let raw: Vec<(&str, Vec<u8>)> = vec![
        ("empty body", Vec::new()),
        ("whitespace body", b" \n\t ".to_vec()),
        (
            "truncated object",
            br#"{"model": "gemini-3-flash", "messages": ["#.to_vec(),
        ),
        ("single quotes", b"{'model': 'gemini-3-flash'}".to_vec()),
        (
            "trailing comma",
            br#"{"model": "gemini-3-flash",}"#.to_vec(),
        ),
        (
            "comment",
            br#"{"model": "gemini-3-flash" /* hi */}"#.to_vec(),
        ),
        (
            "NaN literal",
            br#"{"model": "gemini-3-flash", "temperature": NaN}"#.to_vec(),
        ),
        (
            "number beyond f64",
            br#"{"model": "gemini-3-flash", "temperature": 1e309}"#.to_vec(),
        ),
        ("lone surrogate escape", br#"{"model": "\ud800"}"#.to_vec()),
        ("bad escape", br#"{"model": "\q"}"#.to_vec()),
        (
            "control character in string",
            b"{\"model\": \"a\x01b\"}".to_vec(),
        ),
        (
            "invalid UTF-8 in a string",
            b"{\"model\": \"\xff\xfe\"}".to_vec(),
        ),
        ("invalid UTF-8 outside strings", b"\xff\xfe{}".to_vec()),
        ("UTF-16 body", utf16(&good)),
        (
            "byte order mark",
            [b"\xEF\xBB\xBF".as_slice(), &good].concat(),
        ),
        ("trailing garbage", [good.as_slice(), b" xyz"].concat()),
        ("two objects", [good.as_slice(), &good].concat()),
        ("NUL bytes", vec![0; 64]),
    ];
    for (name, body) in raw {
        out.push(Case::on(api, name, body).names("body"));
    }
}

fn shapes(api: Api, out: &mut Vec<Case>) {
    let good = api.good();
    for (name, body) in [
        ("null body", json!(null)),
        ("array body", json!([])),
        (
            "positional array body",
            json!([good["model"], good["messages"]]),
        ),
        ("string body", json!("hello")),
        ("number body", json!(42)),
        ("boolean body", json!(true)),
    ] {
        out.push(Case::on(api, name, serde_json::to_vec(&body).unwrap()).names("body"));
    }
    out.push(Case::on(api, "empty object", b"{}".to_vec()).names("model"));
    out.push(
        Case::on(
            api,
            "model missing",
            api.with(|v| drop(v.as_object_mut().unwrap().remove("model"))),
        )
        .names("model"),
    );
    out.push(Case::on(api, "model empty", api.with(|v| v["model"] = json!(""))).names("model"));
    out.push(
        Case::on(
            api,
            "model unknown",
            api.with(|v| v["model"] = json!("no-such-model-9")),
        )
        .names("no-such-model-9"),
    );
    out.push(
        Case::on(
            api,
            "messages missing",
            api.with(|v| drop(v.as_object_mut().unwrap().remove("messages"))),
        )
        .names("messages"),
    );
    out.push(
        Case::on(
            api,
            "messages empty",
            api.with(|v| v["messages"] = json!([])),
        )
        .names("messages"),
    );
    out.push(
        Case::on(
            api,
            "message null",
            api.with(|v| v["messages"] = json!([null])),
        )
        .names("messages[0]"),
    );
    out.push(
        Case::on(
            api,
            "message role missing",
            api.with(|v| v["messages"] = json!([{"content": "hi"}])),
        )
        .names("messages[0]"),
    );
    out.push(
        Case::on(
            api,
            "message role unknown",
            api.with(|v| v["messages"][0]["role"] = json!("wizard")),
        )
        .names("messages[0].role"),
    );
    out.push(
        Case::on(
            api,
            "content part unknown type",
            api.with(|v| v["messages"][0]["content"] = json!([{"type": "hologram"}])),
        )
        .names("messages[0].content[0].type"),
    );
    out.push(
        Case::on(
            api,
            "content part type missing",
            api.with(|v| v["messages"][0]["content"] = json!([{"text": "hi"}])),
        )
        .names("messages[0].content[0]"),
    );
    out.push(
        Case::on(
            api,
            "content part not an object",
            api.with(|v| v["messages"][0]["content"] = json!(["hi"])),
        )
        .names("messages[0].content[0]"),
    );
}

fn types(api: Api, out: &mut Vec<Case>) {
    let wrong: [(&str, &str, serde_json::Value); 12] = [
        ("model", "model", json!(7)),
        ("model", "model", json!(["gemini-3-flash"])),
        ("messages", "messages", json!("hi")),
        (
            "messages",
            "messages",
            json!({"role": "user", "content": "hi"}),
        ),
        ("stream", "stream", json!("yes")),
        ("temperature", "temperature", json!("hot")),
        ("top_p", "top_p", json!([0.5])),
        ("max_tokens", "max_tokens", json!("100")),
        ("max_tokens", "max_tokens", json!(1.5)),
        ("tools", "tools", json!({"name": "t"})),
        ("tools", "tools[0]", json!([7])),
        ("stop_sequences", "stop_sequences", json!({"a": 1})),
    ];
    for (field, names, value) in wrong {
        // OpenAI spells the stop field `stop`.
        let (field, names) = match (api, field) {
            (Api::OpenAi, "stop_sequences") => ("stop", names.replace("stop_sequences", "stop")),
            _ => (field, names.to_owned()),
        };
        let kind = value.to_string().chars().take(12).collect::<String>();
        out.push(
            Case::on(
                api,
                &format!("{field} is {kind}"),
                api.with(|v| v[field] = value),
            )
            .names(names),
        );
    }
    out.push(
        Case::on(
            api,
            "role is a number",
            api.with(|v| v["messages"][0]["role"] = json!(1)),
        )
        .names("messages[0].role"),
    );
    out.push(
        Case::on(
            api,
            "content is a number",
            api.with(|v| v["messages"][0]["content"] = json!(5)),
        )
        .names("messages[0].content"),
    );
    out.push(
        Case::on(
            api,
            "content is an object",
            api.with(|v| v["messages"][0]["content"] = json!({"text": "hi"})),
        )
        .names("messages[0].content"),
    );
    out.push(
        Case::on(
            api,
            "text part text is a number",
            api.with(|v| v["messages"][0]["content"] = json!([{"type": "text", "text": 3}])),
        )
        .names("messages[0].content[0].text"),
    );
}

fn ranges(api: Api, out: &mut Vec<Case>) {
    for (field, value) in [
        ("max_tokens", json!(-1)),
        ("max_tokens", json!(0)),
        ("max_tokens", json!(100_000_000_000_000_000_000_f64)),
        ("temperature", json!(99)),
        ("temperature", json!(-0.5)),
        ("top_p", json!(1.5)),
    ] {
        let name = format!("{field} = {value}");
        out.push(Case::on(api, &name, api.with(|v| v[field] = value)).names(field));
    }
    let literal = |field: &str, lit: &str| {
        let body = String::from_utf8(api.with(|_| {})).unwrap();
        body.replacen('{', &format!("{{\"{field}\": {lit}, "), 1)
            .into_bytes()
    };
    out.push(
        Case::on(
            api,
            "max_tokens = 2^64",
            literal("max_tokens", "18446744073709551616"),
        )
        .names("max_tokens"),
    );
    out.push(Case::on(api, "max_tokens = -1e309", literal("max_tokens", "-1e309")).names("body"));
}

fn sizes(api: Api, out: &mut Vec<Case>) {
    let nested = |open: &str, close: &str| format!("{}1{}", open.repeat(DEEP), close.repeat(DEEP));
    let deep_array = nested("[", "]");
    let deep_object = nested("{\"a\":", "}");
    let tool = |schema: &str| {
        let body = String::from_utf8(api.with(|v| {
            v["tools"] = match api {
                Api::OpenAi => {
                    json!([{"type": "function", "function": {"name": "t", "parameters": "@"}}])
                }
                Api::Anthropic => json!([{"name": "t", "input_schema": "@"}]),
                Api::Responses => json!([{"type": "function", "name": "t", "parameters": "@"}]),
                Api::Gemini => {
                    json!([{"functionDeclarations": [{"name": "t", "parameters": "@"}]}])
                }
            };
        }))
        .unwrap();
        body.replace("\"@\"", schema).into_bytes()
    };
    out.push(
        Case::on(api, "10k nested arrays as a tool schema", tool(&deep_array))
            .names("recursion limit"),
    );
    out.push(
        Case::on(
            api,
            "10k nested objects as a tool schema",
            tool(&deep_object),
        )
        .names("recursion limit"),
    );
    let in_content = {
        let body =
            String::from_utf8(api.with(|v| v["messages"][0]["content"] = json!("@"))).unwrap();
        body.replace("\"@\"", &deep_array).into_bytes()
    };
    // OpenAI reads content parts as typed structs (a type error at the first level); Anthropic
    // keeps blocks as JSON values (the parser's recursion limit).
    let names = match api {
        Api::OpenAi => "messages[0].content[0]",
        Api::Anthropic => "recursion limit",
        Api::Responses | Api::Gemini => unreachable!("the shared corpus runs on the chat routes"),
    };
    out.push(Case::on(api, "10k nested arrays as content", in_content).names(names));
    out.push(Case::on(api, "10k unclosed arrays", "[".repeat(DEEP).into_bytes()).names("body"));

    let ones = format!("[{}1]", "1,".repeat(HUGE - 1));
    let huge_messages = {
        let body = String::from_utf8(api.with(|v| v["messages"] = json!("@"))).unwrap();
        body.replace("\"@\"", &ones).into_bytes()
    };
    out.push(Case::on(api, "100k messages that are numbers", huge_messages).names("messages[0]"));
    let empty_objects = format!("[{}{{}}]", "{},".repeat(HUGE - 1));
    let huge_empty = {
        let body = String::from_utf8(api.with(|v| v["messages"] = json!("@"))).unwrap();
        body.replace("\"@\"", &empty_objects).into_bytes()
    };
    out.push(Case::on(api, "100k empty messages", huge_empty).names("messages[0]"));
    // A huge valid array before a broken field: the parser has to get through it first.
    let stop_field = if api == Api::OpenAi {
        "stop"
    } else {
        "stop_sequences"
    };
    let strings = format!("[{}\"a\"]", "\"a\",".repeat(HUGE - 1));
    let huge_then_bad = {
        let body = String::from_utf8(api.with(|v| v["model"] = json!(5))).unwrap();
        body.replacen('{', &format!("{{\"{stop_field}\": {strings}, "), 1)
            .into_bytes()
    };
    out.push(Case::on(api, "100k stop strings then a bad model", huge_then_bad).names("model"));

    let big = "x".repeat(1024 * 1024 + 1);
    let oversized = api.with(|v| v["messages"][0]["content"] = json!(big));
    out.push(
        Case::on(api, "body over 1 MiB", oversized.clone())
            .status(413)
            .names("MiB"),
    );
    out.push(
        Case::on(api, "chunked body over 1 MiB", oversized)
            .status(413)
            .chunked(),
    );
    out.push(Case::on(api, "garbage over 1 MiB", vec![b'x'; 3 * 1024 * 1024]).status(413));
}

fn transport(api: Api, out: &mut Vec<Case>) {
    let good = serde_json::to_vec(&api.good()).unwrap();
    out.push(
        Case::on(api, "text/plain prose", b"hello, model".to_vec())
            .content_type(Some("text/plain"))
            .names("body"),
    );
    out.push(
        Case::on(
            api,
            "form encoded",
            b"model=gemini-3-flash&messages=hi".to_vec(),
        )
        .content_type(Some("application/x-www-form-urlencoded"))
        .names("body"),
    );
    let multipart =
        b"--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngemini-3-flash\r\n--b--\r\n";
    out.push(
        Case::on(api, "multipart form", multipart.to_vec())
            .content_type(Some("multipart/form-data; boundary=b"))
            .names("body"),
    );
    out.push(
        Case::on(api, "no content type, not JSON", b"model: gemini".to_vec())
            .content_type(None)
            .names("body"),
    );
    for method in [Method::GET, Method::PUT, Method::DELETE, Method::PATCH] {
        out.push(
            Case::on(api, &format!("{method} on a POST route"), good.clone())
                .method(method.clone())
                .status(405)
                .names(method.as_str()),
        );
    }
    if api == Api::Anthropic {
        out.push(
            Case::post("anthropic/GET count_tokens", CT, Vec::new())
                .method(Method::GET)
                .status(405),
        );
    }
}

/// The body as UTF-16LE: valid text in the wrong encoding.
fn utf16(body: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(body)
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect()
}
