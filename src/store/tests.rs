//! The store on synthetic bus events and captures: a request's row through its life, capture
//! modes, lag, retention by age and size, restart, and write throughput.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::Utc;

use super::*;
use crate::events::{Progress, ProxyEvent, RequestMeta};
use crate::translate::client_api::ApiName;
use crate::translate::ir::{ApiFormat, Usage};

fn options(capture: CaptureMode) -> HistoryOptions {
    HistoryOptions {
        capture,
        max_body_bytes: 1024,
        retention: Duration::from_secs(86_400),
        max_db_bytes: 100 * 1024 * 1024,
    }
}

fn started(bus: &Bus, at: DateTime<Utc>, model: &str) -> RequestId {
    let id = RequestId::new();
    bus.emit(ProxyEvent::RequestStarted {
        meta: Arc::new(RequestMeta {
            id,
            at,
            api: ApiFormat::OpenAi,
            path: "/v1/chat/completions".into(),
            model_requested: model.into(),
            stream: true,
            user_agent: Some("test".into()),
            replay_of: None,
        }),
    });
    id
}

fn finished(bus: &Bus, id: RequestId, outcome: Outcome, status: u16) {
    bus.emit(ProxyEvent::RequestFinished {
        id,
        outcome,
        status,
        usage: Usage {
            input_tokens: 7,
            output_tokens: 9,
            ..Usage::default()
        },
        ttft_ms: None,
        duration_ms: 1234,
        error: (outcome != Outcome::Ok).then(|| "quota for alice@example.com".into()),
    });
}

fn all_rows(store: &HistoryStore) -> Vec<RequestRow> {
    futures::executor::block_on(store.list(HistoryQuery::default())).unwrap()
}

#[test]
fn a_request_row_follows_started_routed_progress_finished() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        HistoryStore::open(&dir.path().join("h.sqlite3"), options(CaptureMode::All)).unwrap();
    let bus = Bus::new();
    let sink = store.attach(&bus);
    let id = started(&bus, Utc::now(), "opus");
    for (attempt, account) in [(1, "aaaa1111"), (2, "bbbb2222")] {
        bus.emit(ProxyEvent::RequestRouted {
            id,
            model_routed: "claude-opus-4-6-thinking".into(),
            account: account.into(),
            attempt,
        });
    }
    let progress = [
        Progress::FirstToken { ttft_ms: 321 },
        Progress::Text { text: "hi".into() },
        Progress::ToolCall {
            name: "Read".into(),
        },
        Progress::Usage {
            usage: Usage {
                input_tokens: 5,
                output_tokens: 3,
                ..Usage::default()
            },
        },
    ];
    for progress in progress {
        bus.emit(ProxyEvent::RequestProgress { id, progress });
    }
    let before_finish = {
        store.flush().unwrap();
        all_rows(&store).remove(0)
    };
    assert_eq!(before_finish.outcome, None);
    assert_eq!(
        (before_finish.input_tokens, before_finish.output_tokens),
        (5, 3)
    );
    finished(&bus, id, Outcome::Ok, 200);
    sink.record(
        id,
        Stage::ClientRequest,
        Bytes::from_static(b"{\"project\":\"p\"}"),
    );
    store.flush().unwrap();
    let row = all_rows(&store).remove(0);
    assert_eq!(row.id, id);
    assert_eq!(row.model, "opus");
    assert_eq!(
        row.model_routed.as_deref(),
        Some("claude-opus-4-6-thinking")
    );
    assert_eq!(row.account.as_deref(), Some("bbbb2222"));
    assert_eq!(row.attempts, 2);
    assert_eq!(row.ttft_ms, Some(321));
    assert_eq!((row.status, row.outcome), (Some(200), Some(Outcome::Ok)));
    assert_eq!(
        (row.input_tokens, row.output_tokens, row.duration_ms),
        (7, 9, Some(1234))
    );
    assert!(row.has_tool && row.stream && row.error.is_none());
    let detail = futures::executor::block_on(store.detail(id))
        .unwrap()
        .unwrap();
    assert_eq!(detail.stages.len(), 1);
    assert_eq!(detail.stages[0].body, r#"{"project":"[redacted]"}"#);
}

/// A row written by a build that knows another client API (or edited by hand) is listed with
/// its name kept; it must not fail the whole listing.
#[test]
fn a_row_with_an_api_name_this_build_does_not_know_is_listed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let store = HistoryStore::open(&path, options(CaptureMode::All)).unwrap();
    let bus = Bus::new();
    let _sink = store.attach(&bus);
    let strange = started(&bus, Utc::now(), "a");
    let known = started(&bus, Utc::now(), "b");
    store.flush().unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE requests SET api = 'responses-v9' WHERE id = ?1",
            [strange.to_string()],
        )
        .unwrap();
    let rows = all_rows(&store);
    assert_eq!(rows.len(), 2, "{rows:?}");
    let by_id = |id: RequestId| rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(by_id(strange).api, ApiName::Unknown("responses-v9".into()));
    assert_eq!(by_id(strange).api.short_label(), "?");
    assert!(by_id(known).api == ApiFormat::OpenAi);
    let detail = futures::executor::block_on(store.detail(strange))
        .unwrap()
        .unwrap();
    assert_eq!(detail.row.api.to_string(), "responses-v9");
}

#[test]
fn errors_mode_keeps_only_failed_requests_bodies_and_none_keeps_nothing() {
    for mode in [CaptureMode::Errors, CaptureMode::None] {
        let dir = tempfile::tempdir().unwrap();
        let store = HistoryStore::open(&dir.path().join("h.sqlite3"), options(mode)).unwrap();
        let bus = Bus::new();
        let sink = store.attach(&bus);
        assert_eq!(sink.is_enabled(), mode != CaptureMode::None);
        let ok = started(&bus, Utc::now(), "m");
        let bad = started(&bus, Utc::now(), "m");
        // One body before the outcome, one after: both follow the outcome.
        sink.record(ok, Stage::ClientRequest, Bytes::from_static(b"{}"));
        sink.record(bad, Stage::ClientRequest, Bytes::from_static(b"{}"));
        store.flush().unwrap();
        finished(&bus, ok, Outcome::Ok, 200);
        finished(&bus, bad, Outcome::UpstreamError, 429);
        store.flush().unwrap();
        sink.record(ok, Stage::ClientResponse, Bytes::from_static(b"ok"));
        sink.record(bad, Stage::ClientResponse, Bytes::from_static(b"err"));
        store.flush().unwrap();
        let stages = |id| {
            futures::executor::block_on(store.detail(id))
                .unwrap()
                .unwrap()
                .stages
                .len()
        };
        assert_eq!(stages(ok), 0, "{mode:?}");
        let kept = if mode == CaptureMode::Errors { 2 } else { 0 };
        assert_eq!(stages(bad), kept, "{mode:?}");
        let row = all_rows(&store).remove(0);
        assert_eq!(
            row.error.as_deref(),
            Some("quota for [redacted]"),
            "errors are redacted"
        );
    }
}

#[test]
fn bodies_are_capped_and_numbered_per_stage() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        HistoryStore::open(&dir.path().join("h.sqlite3"), options(CaptureMode::All)).unwrap();
    let bus = Bus::new();
    let sink = store.attach(&bus);
    let id = started(&bus, Utc::now(), "m");
    sink.record(id, Stage::UpstreamRequest, Bytes::from(vec![b'a'; 2000]));
    sink.record(id, Stage::UpstreamRequest, Bytes::from_static(b"second"));
    sink.record(id, Stage::ClientRequest, Bytes::from_static(b"first"));
    store.flush().unwrap();
    let detail = futures::executor::block_on(store.detail(id))
        .unwrap()
        .unwrap();
    let got: Vec<_> = detail
        .stages
        .iter()
        .map(|s| (s.stage, s.seq, s.truncated, s.body.len()))
        .collect();
    assert_eq!(
        got,
        [
            (Stage::ClientRequest, 0, false, 5),
            (Stage::UpstreamRequest, 0, true, 1024),
            (Stage::UpstreamRequest, 1, false, 6),
        ]
    );
}

#[test]
fn opening_twice_shares_the_writer_and_attaching_twice_keeps_both_sinks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let first = HistoryStore::open(&path, options(CaptureMode::All)).unwrap();
    let second = HistoryStore::open(
        &dir.path().join(".").join("h.sqlite3"),
        options(CaptureMode::All),
    )
    .unwrap();
    assert!(Arc::ptr_eq(&first.inner, &second.inner));
    let bus = Bus::new();
    let sink_a = first.attach(&bus);
    let sink_b = second.attach(&bus);
    let id = started(&bus, Utc::now(), "m");
    finished(&bus, id, Outcome::Ok, 200);
    sink_a.record(id, Stage::ClientRequest, Bytes::from_static(b"a"));
    sink_b.record(id, Stage::ClientResponse, Bytes::from_static(b"b"));
    second.flush().unwrap();
    let rows = all_rows(&first);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, Some(200));
    let detail = futures::executor::block_on(first.detail(id))
        .unwrap()
        .unwrap();
    assert_eq!(detail.stages.len(), 2, "both sinks deliver, once each");
    drop((first, second));
    // Closed for good once every handle is gone: a new open starts a new writer.
    let again = HistoryStore::open(&path, options(CaptureMode::All)).unwrap();
    assert_eq!(all_rows(&again).len(), 1);
}

#[test]
fn a_lagging_bus_is_survived() {
    let dir = tempfile::tempdir().unwrap();
    let store =
        HistoryStore::open(&dir.path().join("h.sqlite3"), options(CaptureMode::None)).unwrap();
    let bus = Bus::new();
    store.attach(&bus);
    // More events than the bus holds before the writer can look: the oldest are lost.
    let ids: Vec<_> = (0..Bus::CAPACITY + 100)
        .map(|_| started(&bus, Utc::now(), "m"))
        .collect();
    store.flush().unwrap();
    let late = started(&bus, Utc::now(), "late");
    store.flush().unwrap();
    let rows = all_rows(&store);
    assert_eq!(rows[0].id, late);
    assert_eq!(rows[1].id, *ids.last().unwrap());
    assert!(rows.len() >= Bus::CAPACITY, "{}", rows.len());
}

#[test]
fn retention_by_age_and_size_and_rows_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let mut opts = options(CaptureMode::All);
    opts.max_body_bytes = 64 * 1024;
    let store = HistoryStore::open(&path, opts.clone()).unwrap();
    let bus = Bus::new();
    let sink = store.attach(&bus);
    let old = started(&bus, Utc::now() - chrono::Duration::days(3), "old");
    let mut recent = Vec::new();
    for _ in 0..40 {
        let id = started(&bus, Utc::now(), "recent");
        sink.record(id, Stage::ClientRequest, Bytes::from(vec![b'x'; 60 * 1024]));
        recent.push(id);
        // Keep the capture queue from overflowing.
        store.flush().unwrap();
    }
    drop(store);

    // Restart: rows are still there; pruning at open removes the 3-day-old row.
    let store = HistoryStore::open(&path, opts.clone()).unwrap();
    let rows = all_rows(&store);
    assert_eq!(rows.len(), 40);
    assert!(rows.iter().all(|r| r.id != old));
    assert_eq!(rows[0].id, *recent.last().unwrap());

    // A 1 MiB budget: the oldest bodies go, the newest bodies and every row stay.
    let mut small = opts;
    small.max_db_bytes = 1024 * 1024;
    drop(store);
    let store = HistoryStore::open(&path, small).unwrap();
    let stats = store.prune().unwrap();
    assert!(stats.bytes_after <= 1024 * 1024, "{stats:?}");
    let body_count = |id| {
        futures::executor::block_on(store.detail(id))
            .unwrap()
            .unwrap()
            .stages
            .len()
    };
    assert_eq!(body_count(recent[0]), 0, "oldest body pruned");
    assert_eq!(body_count(*recent.last().unwrap()), 1, "newest body kept");
    assert_eq!(all_rows(&store).len(), 40);
    let file = std::fs::metadata(&path).unwrap().len();
    assert!(file < 2 * 1024 * 1024, "the file shrank: {file}");
}

/// Prints what the report quotes: rows per second and bytes per 1,000 rows.
#[test]
fn write_throughput_and_size_per_thousand_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let store = HistoryStore::open(&path, options(CaptureMode::None)).unwrap();
    let bus = Bus::new();
    store.attach(&bus);
    let n = 10_000;
    let start = Instant::now();
    for i in 0..n {
        let id = started(&bus, Utc::now(), "claude-sonnet-4-6");
        bus.emit(ProxyEvent::RequestRouted {
            id,
            model_routed: "claude-sonnet-4-6".into(),
            account: "abcd1234".into(),
            attempt: 1,
        });
        finished(&bus, id, Outcome::Ok, 200);
        if i % 1000 == 999 {
            store.flush().unwrap();
        }
    }
    store.flush().unwrap();
    let elapsed = start.elapsed();
    let rows = all_rows(&store);
    assert_eq!(rows.len(), n);
    let bytes = store.prune().unwrap().bytes_after;
    #[allow(clippy::print_stderr, clippy::cast_precision_loss)]
    {
        eprintln!(
            "history: {n} requests (3 events each) in {elapsed:?} = {:.0} rows/s; {} bytes per 1,000 rows",
            n as f64 / elapsed.as_secs_f64(),
            bytes / (n as u64 / 1000)
        );
    }
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
}

/// The same with four 4 KiB JSON bodies per request (redacted on the way in).
#[test]
fn write_throughput_with_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let store = HistoryStore::open(
        &dir.path().join("h.sqlite3"),
        HistoryOptions {
            max_body_bytes: 8 * 1024,
            ..options(CaptureMode::All)
        },
    )
    .unwrap();
    let bus = Bus::new();
    let sink = store.attach(&bus);
    let body = format!(
        r#"{{"project":"p","requestId":"r","messages":[{{"role":"user","content":"{}"}}]}}"#,
        "write to bob@example.com. ".repeat(150)
    );
    let n: u32 = 1_000;
    let start = Instant::now();
    for i in 0..n {
        let id = started(&bus, Utc::now(), "claude-sonnet-4-6");
        for stage in [
            Stage::ClientRequest,
            Stage::UpstreamRequest,
            Stage::UpstreamEvents,
            Stage::ClientResponse,
        ] {
            sink.record(id, stage, Bytes::from(body.clone()));
        }
        finished(&bus, id, Outcome::Ok, 200);
        // The capture queue holds 256 bodies; a real proxy produces them far more slowly.
        if i % 50 == 49 {
            store.flush().unwrap();
        }
    }
    store.flush().unwrap();
    let elapsed = start.elapsed();
    let stats = store.prune().unwrap();
    let detail = futures::executor::block_on(store.detail(all_rows(&store)[0].id))
        .unwrap()
        .unwrap();
    assert_eq!(detail.stages.len(), 4);
    assert!(!detail.stages[0].body.contains("@example.com"));
    #[allow(clippy::print_stderr, clippy::cast_precision_loss)]
    {
        eprintln!(
            "history: {n} requests with 4 x {} B bodies in {elapsed:?} = {:.0} requests/s; {} bytes per request",
            body.len(),
            f64::from(n) / elapsed.as_secs_f64(),
            stats.bytes_after / u64::from(n)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_commit_barrier_returns_once_rows_are_readable_from_another_connection() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let store = HistoryStore::open(&path, options(CaptureMode::All)).unwrap();
    let bus = Bus::new();
    let sink = store.attach(&bus);
    let barrier = store.commit_barrier();
    let reader = HistoryReader::open(&path).unwrap();
    let mut ids = Vec::new();
    for round in 0..20 {
        // Several requests finishing together share the waits (group commit).
        let mut waits = Vec::new();
        for n in 0..4 {
            let id = started(&bus, Utc::now(), &format!("m-{round}-{n}"));
            sink.record(id, Stage::ClientResponse, Bytes::from_static(b"{\"ok\":1}"));
            finished(&bus, id, Outcome::Ok, 200);
            ids.push(id);
            let barrier = barrier.clone();
            waits.push(tokio::spawn(async move { barrier.wait().await }));
        }
        for wait in waits {
            tokio::time::timeout(Duration::from_secs(1), wait)
                .await
                .expect("the barrier answers well within the batch window")
                .unwrap();
        }
        // No flush: what the barrier promised is already in the file.
        let rows = reader.list(&HistoryQuery::default()).unwrap();
        for id in &ids {
            let row = rows.iter().find(|r| r.id == *id).expect("row committed");
            assert_eq!(row.status, Some(200));
        }
    }
    drop(store);
    // With the writer gone the barrier returns at once instead of hanging the request.
    tokio::time::timeout(Duration::from_millis(500), barrier.wait())
        .await
        .expect("no writer, no wait");
}
