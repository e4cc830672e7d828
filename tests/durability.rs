//! Durability: `kill -9` of the server during heavy traffic (which makes it rewrite the
//! accounts file and fill the history) and of a process rewriting the config and the accounts
//! file, then the checks in `durability/checks.rs`, then a restart on the same files.
//!
//! The default run does 3 iterations; `DURABILITY_ITERATIONS=20` (what
//! `scripts/durability.sh` runs) does more and prints a line per iteration.

mod durability {
    #[path = "../security/binary.rs"]
    #[allow(dead_code)]
    pub mod binary;
    pub mod checks;
    pub mod file_size;
    #[path = "../proxy/support.rs"]
    #[allow(dead_code)]
    pub mod support;
    pub mod traffic;
}

use std::os::unix::process::ExitStatusExt as _;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anti_api_tui::accounts::AccountPool;
use anti_api_tui::config::{AccountsConfig, Config, FlowConfig, FlowEntry};
use anti_api_tui::events::Bus;
use anti_api_tui::paths::Paths;
use anti_api_tui::simulator::{self, SimConfig, SimHandle};

use durability::binary::{self, Server};
use durability::{checks, traffic};

const WRITER_ENV: &str = "DURABILITY_WRITER_HOME";

fn cli(home: &std::path::Path, sim: &SimHandle) -> Command {
    let mut cmd = binary::against_simulator(home, &sim.base_url());
    // `DURABILITY_HISTORY_DURABLE=false` shows what the check catches without the commit barrier.
    if let Ok(durable) = std::env::var("DURABILITY_HISTORY_DURABLE") {
        cmd.env("ANTI_API_HISTORY_DURABLE", durable);
    }
    cmd
}

/// This test binary again, running only `durability_writer_child` (below) in `home`.
fn spawn_writer(home: &std::path::Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "durability_writer_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(WRITER_ENV, home)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Not a test of its own: the body of the writer process `spawn_writer` starts. It rewrites the
/// config and the accounts file as fast as it can until it is killed (or for a minute at most).
#[test]
fn durability_writer_child() {
    let Some(home) = std::env::var_os(WRITER_ENV) else {
        return;
    };
    let paths = Paths::under(std::path::Path::new(&home));
    let started = Instant::now();
    let mut n: u16 = 0;
    while started.elapsed() < Duration::from_secs(60) {
        n = n.wrapping_add(1);
        let mut config = Config::load(&paths.config_file)
            .map(|(c, _)| c)
            .unwrap_or_default();
        config.server.port = 20_000 + n % 1000;
        config.flows = vec![FlowConfig {
            name: format!("flow{}", n % 7),
            entries: vec![FlowEntry {
                model: "gemini-3-flash".into(),
                account: None,
            }],
        }];
        config.save(&paths.config_file).unwrap();
        let pool = AccountPool::load(paths.accounts_file(), AccountsConfig::default(), Bus::new())
            .unwrap();
        pool.set_disabled("bob@example.com", n.is_multiple_of(2));
        pool.save_now().unwrap();
    }
}

/// Milliseconds of traffic before the kill, varied per iteration (deterministically).
fn traffic_ms(iteration: usize) -> u64 {
    900 + (iteration as u64 * 373) % 700
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::print_stdout)] // the per-kill lines are what scripts/durability.sh shows
async fn kill_9_during_traffic_and_writes_leaves_files_that_open() {
    let iterations: usize = std::env::var("DURABILITY_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sim = simulator::start(listener, SimConfig::default()).await;
    let home = tempfile::tempdir().unwrap();
    let home = home.path().to_owned();
    binary::add_accounts(|| cli(&home, &sim), &["alice", "bob"]).await;
    Config::default()
        .save(&Paths::under(&home).config_file)
        .unwrap();

    let mut totals = checks::Report::default();
    for iteration in 0..iterations {
        let mut serve = cli(&home, &sim);
        serve.args(["serve", "--port", "0"]);
        let mut server = tokio::task::block_in_place(|| Server::start(serve));
        let mut writer = spawn_writer(&home);
        let stop = Arc::new(AtomicBool::new(false));
        let driving = tokio::spawn(traffic::drive(
            server.base.clone(),
            iteration,
            8,
            stop.clone(),
        ));
        let provoking = tokio::spawn(traffic::provoke_account_writes(sim.clone(), stop.clone()));
        let run_for = traffic_ms(iteration);
        tokio::time::sleep(Duration::from_millis(run_for)).await;
        let writer_status = tokio::task::block_in_place(|| {
            server.kill9();
            let _ = writer.kill();
            writer.wait().unwrap()
        });
        // Killed while writing, not stopped early by a failure of its own.
        assert_eq!(writer_status.signal(), Some(9), "writer: {writer_status:?}");
        let (config, _) = Config::load(&Paths::under(&home).config_file).unwrap();
        assert!(
            config.server.port >= 20_000,
            "the writer was rewriting the config"
        );
        let killed_at = Instant::now();
        stop.store(true, Ordering::SeqCst);
        let completed = driving.await.unwrap();
        provoking.await.unwrap();
        let report = checks::after_kill(&home, &completed, killed_at)
            .unwrap_or_else(|e| panic!("iteration {iteration}, killed after {run_for} ms: {e}"));
        println!(
            "iteration {iteration:>2}: killed after {run_for} ms; {} completed, {} in history; \
             {} temp files left",
            report.completed, report.recorded, report.leftovers
        );
        assert!(
            report.completed > 0,
            "iteration {iteration}: no traffic got through"
        );
        totals.completed += report.completed;
        totals.recorded += report.recorded;
        totals.leftovers = report.leftovers;
    }
    // The files the last kill left still serve: a clean start, a request, a clean stop.
    let mut serve = cli(&home, &sim);
    serve.args(["serve", "--port", "0"]);
    let mut server = tokio::task::block_in_place(|| Server::start(serve));
    // Wait for a condition (one complete answer), not a fixed time: a restarted server on a
    // loaded 2-core machine can take seconds to answer its first request.
    let answered = traffic::first_complete(&server.base, Duration::from_secs(60)).await;
    assert!(answered.is_some(), "serves after the crashes");
    let status = tokio::task::block_in_place(|| server.terminate(Duration::from_secs(15)));
    assert!(status.is_some_and(|s| s.success()), "{}", server.stderr());
    println!(
        "durability: {iterations} kills; {} requests completed, all {} in history; {} temp files \
         left; accounts, config and history opened every time",
        totals.completed, totals.recorded, totals.leftovers
    );
    sim.shutdown();
}
