//! Console benchmarks (`cargo bench --bench console`): frame render time with 100,000 rows
//! (p50/p99), resident memory with 100,000 rows, and how far behind the bus the UI falls at
//! 500 proxied requests per second. Prints a table for docs/benchmarks.md.

#![allow(
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use anti_api_tui::app::action::Action;
use anti_api_tui::app::state::AppState;
use anti_api_tui::app::update::update;
use anti_api_tui::events::{Bus, Outcome, ProxyEvent, RequestId, RequestMeta};
use anti_api_tui::translate::ir::{ApiFormat, Usage};
use chrono::Utc;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn request(n: u64) -> Vec<ProxyEvent> {
    let id = RequestId::new();
    vec![
        ProxyEvent::RequestStarted {
            meta: Arc::new(RequestMeta {
                id,
                at: Utc::now(),
                api: if n.is_multiple_of(2) {
                    ApiFormat::OpenAi
                } else {
                    ApiFormat::Anthropic
                },
                path: "/v1/chat/completions".into(),
                model_requested: "claude-sonnet-4-6".into(),
                stream: n.is_multiple_of(3),
                user_agent: None,
                replay_of: None,
            }),
        },
        ProxyEvent::RequestRouted {
            id,
            model_routed: "claude-sonnet-4-6".into(),
            account: "acct-1".into(),
            attempt: 1,
        },
        ProxyEvent::RequestFinished {
            id,
            outcome: Outcome::Ok,
            status: if n.is_multiple_of(50) { 429 } else { 200 },
            usage: Usage {
                input_tokens: 1000,
                output_tokens: 300,
                ..Usage::default()
            },
            ttft_ms: Some(250),
            duration_ms: 1800,
            error: None,
        },
    ]
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(str::to_owned)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    let rss_before = rss_kib();
    let mut state = AppState::new(Utc::now(), (120, 40));
    for n in 0..100_000 {
        for event in request(n) {
            update(&mut state, Action::Proxy(event));
        }
    }
    let rss_after = rss_kib();
    println!("rows: {}", state.requests.list.len());
    println!(
        "RSS with 100,000 rows: {:.1} MB (process {:.1} MB)",
        (rss_after - rss_before) as f64 / 1024.0,
        rss_after as f64 / 1024.0
    );

    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut times = Vec::new();
    for frame in 0..1_000 {
        // Scroll around so frames differ.
        update(
            &mut state,
            if frame % 100 < 50 {
                Action::Down
            } else {
                Action::Up
            },
        );
        let start = Instant::now();
        terminal
            .draw(|f| anti_api_tui::ui::render(f, &state))
            .unwrap();
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "frame render (120x40, 100,000 rows): p50 {:?}  p99 {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );

    // 500 requests/s on a real bus for 5 s; the consumer works as the UI loop does (drain,
    // update, draw at most every 33 ms) and records how old each event is when applied.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let bus = Bus::new();
        let mut rx = bus.subscribe();
        let producer = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(2));
            for n in 0..2_500u64 {
                tick.tick().await;
                for event in request(n) {
                    bus.emit(event);
                }
            }
        });
        let mut state = AppState::new(Utc::now(), (120, 40));
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
        let mut lags = Vec::new();
        let mut last_draw = Instant::now();
        let mut lagged = 0;
        while !producer.is_finished() || !rx.is_empty() {
            let Ok(Ok(first)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await
            else {
                continue;
            };
            let mut batch = vec![first];
            while let Ok(e) = rx.try_recv() {
                batch.push(e);
                if batch.len() >= 1024 {
                    break;
                }
            }
            for event in batch {
                if let ProxyEvent::RequestStarted { meta } = &event {
                    lags.push((Utc::now() - meta.at).to_std().unwrap_or_default());
                }
                update(&mut state, Action::Proxy(event));
            }
            if state.dirty && last_draw.elapsed() >= Duration::from_millis(33) {
                terminal
                    .draw(|f| anti_api_tui::ui::render(f, &state))
                    .unwrap();
                state.dirty = false;
                last_draw = Instant::now();
            }
            lagged += usize::from(rx.len() > 4000);
        }
        lags.sort();
        println!(
            "event lag at 500 req/s: p50 {:?}  p99 {:?}  max {:?}  (bus near full: {lagged} times)",
            percentile(&lags, 0.5),
            percentile(&lags, 0.99),
            lags.last().unwrap()
        );
    });
}
