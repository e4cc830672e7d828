//! A store attached to a real engine: rows, bodies per capture mode, redaction, the filter on
//! real rows, paging, restart, retention and file permissions.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anti_api_tui::accounts::account_id_for;
use anti_api_tui::capture::Stage;
use anti_api_tui::events::Outcome;
use anti_api_tui::filter::Filter;
use anti_api_tui::simulator::{Fault, FaultScope};
use anti_api_tui::store::{
    CaptureMode, HistoryOptions, HistoryQuery, HistoryStore, RequestDetail, RequestRow,
};
use anti_api_tui::translate::ir::ApiFormat;
use serde_json::{Value, json};

use crate::support::Harness;

fn options(capture: CaptureMode) -> HistoryOptions {
    HistoryOptions {
        capture,
        max_body_bytes: 256 * 1024,
        retention: Duration::from_secs(14 * 86_400),
        max_db_bytes: 200 * 1024 * 1024,
    }
}

async fn recorded(capture: CaptureMode) -> (Harness, HistoryStore, tempfile::TempDir, PathBuf) {
    let h = Harness::start(&["alice", "bob"]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/history.sqlite3");
    let store = HistoryStore::open(&path, options(capture)).unwrap();
    h.core.set_capture(store.attach(h.core.bus()));
    (h, store, dir, path)
}

fn weather_tool() -> Value {
    json!([{"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"location": {"type": "string"}}}}}])
}

/// Four requests, oldest first: a plain OpenAI one, an Anthropic stream, a 429 after two
/// attempts, and a tool call.
async fn send_four(h: &Harness) {
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "messages": [
                {"role": "user", "content": "hello, write to carol@example.com"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, events) = h
        .post_sse(
            "/v1/messages",
            &json!({"model": "claude-sonnet-4-6", "max_tokens": 100, "stream": true,
                    "messages": [{"role": "user", "content": "stream please"}]}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(!events.is_empty());
    h.sim
        .inject(Fault::QuotaExhausted, 2, FaultScope::default());
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-pro-agent", "messages": [
                {"role": "user", "content": "this one fails"}]}),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "claude-sonnet-4-6", "tools": weather_tool(), "messages": [
                {"role": "user", "content": "Use get_weather for Paris"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls", "{body}");
}

/// Flushes until `n` rows have finished and `ready` holds for their details: the guard's last
/// event and the response body's capture land just after the client has read the body.
async fn settle(
    store: &HistoryStore,
    n: usize,
    ready: impl Fn(&[RequestDetail]) -> bool,
) -> Vec<RequestDetail> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        store.flush().unwrap();
        let rows = store.list(HistoryQuery::default()).await.unwrap();
        let mut details = Vec::new();
        for row in &rows {
            details.push(store.detail(row.id).await.unwrap().unwrap());
        }
        let finished = rows.len() == n && rows.iter().all(|r| r.outcome.is_some());
        if finished && ready(&details) {
            return details;
        }
        assert!(
            Instant::now() < deadline,
            "history did not settle: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn stages(detail: &RequestDetail) -> Vec<(Stage, u32)> {
    detail.stages.iter().map(|s| (s.stage, s.seq)).collect()
}

fn has_response(d: &RequestDetail) -> bool {
    d.stages.iter().any(|s| s.stage == Stage::ClientResponse)
}

#[tokio::test]
async fn rows_bodies_redaction_filter_paging_and_restart_with_capture_all() {
    let (h, store, _dir, path) = recorded(CaptureMode::All).await;
    send_four(&h).await;
    let details = settle(&store, 4, |d| d.iter().all(has_response)).await;
    let rows: Vec<RequestRow> = details.iter().map(|d| d.row.clone()).collect();
    let [tool, failed, streamed, plain] = &rows[..] else {
        panic!("{rows:#?}")
    };
    let (alice, bob) = (
        account_id_for("alice@example.com"),
        account_id_for("bob@example.com"),
    );

    assert!(tool.id > failed.id && failed.id > streamed.id && streamed.id > plain.id);
    assert_eq!(
        (plain.api.format(), plain.model.as_str()),
        (Some(ApiFormat::OpenAi), "gemini-3-flash")
    );
    assert_eq!(plain.model_routed.as_deref(), Some("gemini-3-flash"));
    assert_eq!(plain.account.as_deref(), Some(alice.as_str()));
    assert_eq!(
        (plain.status, plain.outcome),
        (Some(200), Some(Outcome::Ok))
    );
    assert!(plain.ttft_ms.is_some() && plain.duration_ms.is_some());
    assert!(
        plain.input_tokens > 0 && plain.output_tokens > 0,
        "{plain:?}"
    );
    assert!(!plain.stream && !plain.has_tool && plain.error.is_none());
    assert_eq!(plain.attempts, 1);

    assert_eq!(
        (streamed.api.format(), streamed.stream),
        (Some(ApiFormat::Anthropic), true)
    );
    assert_eq!(streamed.status, Some(200));
    assert!(
        streamed.ttft_ms.is_some() && streamed.output_tokens > 0,
        "{streamed:?}"
    );

    assert_eq!(
        (failed.status, failed.outcome),
        (Some(429), Some(Outcome::UpstreamError))
    );
    assert_eq!(failed.attempts, 2, "{failed:?}");
    assert_eq!(
        failed.account.as_deref(),
        Some(bob.as_str()),
        "the last attempt's account"
    );
    assert_eq!(failed.ttft_ms, None);
    assert!(failed.error.is_some());

    assert!(tool.has_tool && tool.status == Some(200), "{tool:?}");

    // Bodies: every stage of the served requests; the failure's two upstream attempts.
    let all_four = [
        (Stage::ClientRequest, 0),
        (Stage::UpstreamRequest, 0),
        (Stage::UpstreamEvents, 0),
        (Stage::ClientResponse, 0),
    ];
    assert_eq!(stages(&details[3]), all_four);
    assert_eq!(stages(&details[2]), all_four);
    let failed_stages = stages(&details[1]);
    assert!(
        failed_stages.contains(&(Stage::UpstreamRequest, 1)),
        "{failed_stages:?}"
    );
    assert!(
        failed_stages.contains(&(Stage::ClientRequest, 0)),
        "{failed_stages:?}"
    );

    // Redaction: no project, e-mail or token survived anywhere; the request is still JSON.
    for detail in &details {
        for stage in &detail.stages {
            for secret in [
                "sim-project-",
                "@example.com",
                "sim-access-",
                "sim-refresh-",
            ] {
                assert!(
                    !stage.body.contains(secret),
                    "{secret} in {:?}: {}",
                    stage.stage,
                    stage.body
                );
            }
        }
    }
    let sent: Value = serde_json::from_str(&details[3].stages[0].body).unwrap();
    assert_eq!(sent["messages"][0]["content"], "hello, write to [redacted]");
    assert!(
        details[3].stages[1]
            .body
            .contains(r#""project":"[redacted]""#)
    );

    // The filter language on these rows.
    let pick = |f: &str| -> Vec<&RequestRow> {
        let filter = Filter::parse(f).unwrap();
        rows.iter().filter(|r| filter.matches(r)).collect()
    };
    assert_eq!(pick("status:429"), [failed]);
    assert_eq!(pick("status:2xx"), [tool, streamed, plain]);
    assert_eq!(pick("has:tool"), [tool]);
    assert_eq!(pick("has:error"), [failed]);
    assert_eq!(pick("api:anthropic"), [streamed]);
    assert_eq!(pick("stream:true"), [streamed]);
    assert_eq!(pick("model:PRO-AGENT"), [failed]);
    assert_eq!(pick(&format!("acct:{}", &bob[..4])), [failed]);
    assert_eq!(pick("-has:error api:openai"), [tool, plain]);
    assert_eq!(pick("replay:true"), Vec::<&RequestRow>::new());
    assert_eq!(pick("/v1/messages"), [streamed]);

    // Filtered paging through the store.
    let page = |before| {
        store.list(HistoryQuery {
            filter: Some(Filter::parse("status:2xx").unwrap()),
            limit: 2,
            before,
        })
    };
    let first = page(None).await.unwrap();
    assert_eq!(first, [tool.clone(), streamed.clone()]);
    let second = page(Some(first[1].id)).await.unwrap();
    assert_eq!(second, std::slice::from_ref(plain));

    // The file is private, and the rows survive a restart.
    assert_private(&path);
    drop(store);
    let store = HistoryStore::open(&path, options(CaptureMode::All)).unwrap();
    assert_eq!(store.list(HistoryQuery::default()).await.unwrap(), rows);
    assert_eq!(
        store.detail(plain.id).await.unwrap().unwrap(),
        details[3],
        "bodies too"
    );
}

#[cfg(unix)]
fn assert_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(path), 0o600);
    let wal = path.with_extension("sqlite3-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
}

#[cfg(not(unix))]
fn assert_private(_: &Path) {}

#[tokio::test]
async fn errors_mode_keeps_only_the_failures_bodies_and_none_keeps_none() {
    for capture in [CaptureMode::Errors, CaptureMode::None] {
        let (h, store, _dir, _) = recorded(capture).await;
        send_four(&h).await;
        let details = settle(&store, 4, |_| true).await;
        // Give late bodies (after the outcome) the chance to be wrongly stored.
        tokio::time::sleep(Duration::from_millis(100)).await;
        store.flush().unwrap();
        for (i, detail) in details.iter().enumerate() {
            let detail = store.detail(detail.row.id).await.unwrap().unwrap();
            let failed = detail.row.status == Some(429);
            assert_eq!(failed, i == 1);
            if failed && capture == CaptureMode::Errors {
                let got = stages(&detail);
                assert!(got.contains(&(Stage::ClientRequest, 0)), "{got:?}");
                assert!(got.contains(&(Stage::UpstreamRequest, 1)), "{got:?}");
            } else {
                assert_eq!(stages(&detail), [], "{capture:?} {:?}", detail.row);
            }
        }
    }
}

#[tokio::test]
async fn retention_by_age_and_by_size_on_recorded_requests() {
    let (h, store, _dir, path) = recorded(CaptureMode::All).await;
    send_four(&h).await;
    settle(&store, 4, |d| d.iter().all(has_response)).await;
    let full = store.prune().unwrap();
    assert_eq!((full.rows, full.bodies), (0, 0), "nothing is due yet");
    drop(store);
    let file_before = std::fs::metadata(&path).unwrap().len();

    // A budget below what is stored: bodies go first, then rows, and the file shrinks.
    let mut tiny = options(CaptureMode::All);
    tiny.max_db_bytes = 1;
    let store = HistoryStore::open(&path, tiny).unwrap();
    let pruned = store.prune().unwrap();
    assert!(
        pruned.bytes_after < full.bytes_after,
        "{pruned:?} vs {full:?}"
    );
    assert!(
        store
            .list(HistoryQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
    drop(store);
    assert!(std::fs::metadata(&path).unwrap().len() < file_before);

    // Age: rows recorded into a fresh store are all gone at the next open with a zero
    // retention (rows only: the engine's capture sink still points at the first store).
    let store = HistoryStore::open(&path, options(CaptureMode::All)).unwrap();
    store.attach(h.core.bus());
    let (status, _) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(status, 200);
    settle(&store, 1, |_| true).await;
    drop(store);
    let mut zero = options(CaptureMode::All);
    zero.retention = Duration::ZERO;
    let store = HistoryStore::open(&path, zero).unwrap();
    assert!(
        store
            .list(HistoryQuery::default())
            .await
            .unwrap()
            .is_empty()
    );
}

/// Every way a chat request ends (a body that does not parse, an unknown pinned account, an
/// upstream 429, a complete answer, a stream) answers only once its row is committed: a reader
/// on another connection sees the finished row as soon as the client has the whole answer,
/// without the test flushing anything.
#[tokio::test]
async fn every_ending_answers_only_after_its_row_is_committed() {
    let (h, store, _dir, path) = recorded(CaptureMode::All).await;
    h.core.set_commit_barrier(store.commit_barrier());
    let reader = anti_api_tui::store::HistoryReader::open(&path).unwrap();
    let newest = || {
        reader
            .list(&HistoryQuery {
                limit: 1,
                ..HistoryQuery::default()
            })
            .unwrap()
            .pop()
    };
    let committed = |what: &str, status: u16, outcome: Outcome| {
        let row = newest().unwrap_or_else(|| panic!("{what}: no row committed"));
        assert_eq!(
            (row.status, row.outcome),
            (Some(status), Some(outcome)),
            "{what}: {row:?}"
        );
        row.id
    };

    let resp = h
        .http
        .post(format!("{}/v1/chat/completions", h.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let _ = resp.bytes().await.unwrap();
    let first = committed("a body that does not parse", 400, Outcome::Rejected);

    let resp = h
        .http
        .post(format!("{}/v1/messages", h.base))
        .header("x-anti-api-account", "nobody@example.com")
        .json(&json!({"model": "gemini-3-flash", "max_tokens": 5,
                      "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let _ = resp.bytes().await.unwrap();
    let second = committed("an unknown pinned account", 400, Outcome::Rejected);
    assert_ne!(first, second);

    h.sim
        .inject(Fault::QuotaExhausted, 2, FaultScope::default());
    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-pro-high", "messages": [
                {"role": "user", "content": "this one fails"}]}),
        )
        .await;
    assert_eq!(status, 429, "{body}");
    committed("an upstream 429", 429, Outcome::UpstreamError);

    let (status, body) = h
        .post_json(
            "/v1/chat/completions",
            &json!({"model": "gemini-3-flash", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    committed("a complete answer", 200, Outcome::Ok);

    let (status, events) = h
        .post_sse(
            "/v1/messages",
            &json!({"model": "gemini-3-flash", "max_tokens": 50, "stream": true,
                    "messages": [{"role": "user", "content": "stream please"}]}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(!events.is_empty());
    committed("a stream", 200, Outcome::Ok);
}
