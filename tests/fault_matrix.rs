//! The fault matrix as tests: every simulator fault × streaming or not × OpenAI or Anthropic
//! (the table is `fault_matrix/table.rs`; one test per row, each on both APIs), then the
//! network faults (refused, DNS, TLS, slow headers), client disconnects, and SIGTERM with 50
//! open streams.
//!
//! `FAULT_MATRIX_MD=path cargo test --test fault_matrix markdown` writes the table as Markdown.

mod fault_matrix {
    #[path = "../security/binary.rs"]
    #[allow(dead_code)]
    pub mod binary;
    pub mod network;
    pub mod observe;
    pub mod shutdown;
    pub mod table;

    #[path = "../proxy/support.rs"]
    #[allow(dead_code)]
    pub mod support;
}

use anti_api_tui::simulator::Fault;
use fault_matrix::observe::{
    Api, Client, PERSISTENT, Seen, describe_client, describe_history, describe_pool, observe,
    recorded_as,
};
use fault_matrix::table::{self, Row};

/// Runs the three situations of a row on both APIs at once and compares them with the table.
async fn check(fault: Fault, stream: bool) {
    tokio::join!(
        check_api(fault, stream, Api::Anthropic),
        check_api(fault, stream, Api::OpenAi)
    );
}

async fn check_api(fault: Fault, stream: bool, api: Api) {
    let row = table::find(fault, stream);
    let (once, always, failover) = tokio::join!(
        observe(fault, 1, false, &["alice"], api, stream),
        observe(fault, PERSISTENT, false, &["alice"], api, stream),
        observe(fault, PERSISTENT, true, &["alice", "bob"], api, stream),
    );
    // One account tried, unless bob answered after alice failed.
    let expect = |client: Client, pool, calls: (u64, u64)| {
        let (outcome, status) = recorded_as(client);
        let (accounts, last) = if client == Client::Ok && calls.1 > 0 {
            (2, "bob")
        } else {
            (1, "alice")
        };
        Seen {
            client: describe_client(client, api),
            pool: describe_pool(pool),
            calls,
            history: describe_history(outcome, status, accounts, last),
        }
    };
    let once_expected = expect(row.once.0, row.once.1, once.calls);
    assert_eq!(once, once_expected, "{fault} stream={stream} {api:?}: once");
    let always_expected = expect(row.always.0, row.pool, (row.always.1, 0));
    assert_eq!(
        always, always_expected,
        "{fault} stream={stream} {api:?}: always"
    );
    let failover_expected = expect(row.failover.0, row.pool, row.failover.1);
    assert_eq!(
        failover, failover_expected,
        "{fault} stream={stream} {api:?}: failover"
    );
}

/// One module per fault, one test per row (streaming or not), each covering both APIs.
macro_rules! matrix {
    ($($name:ident: $fault:ident;)*) => {$(
        mod $name {
            use super::{Fault, check};

            #[tokio::test]
            async fn non_stream() {
                check(Fault::$fault, false).await;
            }

            #[tokio::test]
            async fn stream() {
                check(Fault::$fault, true).await;
            }
        }
    )*};
}

matrix! {
    quota_exhausted: QuotaExhausted;
    rate_limited: RateLimited;
    capacity: Capacity;
    resource_exhausted: ResourceExhausted;
    unauthorized: Unauthorized;
    terms_of_service: TermsOfService;
    stale_project: StaleProject;
    bad_request: BadRequest;
    server_error: ServerError;
    unavailable: Unavailable;
    disconnect_mid_stream: DisconnectMidStream;
    stall: Stall;
    empty_stream: EmptyStream;
    version_rejected: VersionRejected;
    validation_required: ValidationRequired;
}

#[test]
fn the_table_has_one_row_per_fault_and_mode() {
    let rows = table::rows();
    assert_eq!(rows.len(), Fault::ALL.len() * 2);
    for fault in Fault::ALL {
        for stream in [false, true] {
            let n = rows
                .iter()
                .filter(|r| r.fault == fault && r.stream == stream)
                .count();
            assert_eq!(n, 1, "{fault} stream={stream}");
        }
    }
}

/// The table as Markdown, for `docs/reliability.md`.
fn markdown(rows: &[Row]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "| fault | mode | once (1 account) | every call (1 account) \
         | every call on alice, bob fine | pool: alice | history row: every call · alice failing |\n\
         | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for row in rows {
        let a = Api::Anthropic;
        let once = describe_client(row.once.0, a);
        let once = match describe_pool(row.once.1).as_str() {
            "nothing" => once,
            pool => format!("{once}; {pool}"),
        };
        let row_of = |client: Client| {
            let (outcome, status) = recorded_as(client);
            let outcome = serde_json::to_value(outcome).unwrap();
            let served_by_bob = if client == Client::Ok && row.failover.1.1 > 0 {
                " (bob, 2nd account)"
            } else {
                ""
            };
            format!("`{} {status}`{served_by_bob}", outcome.as_str().unwrap())
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} ({} call{}) | {} (calls {}/{}) | {} | {} · {} |",
            row.fault,
            if row.stream { "stream" } else { "non-stream" },
            once,
            describe_client(row.always.0, a),
            row.always.1,
            if row.always.1 == 1 { "" } else { "s" },
            describe_client(row.failover.0, a),
            row.failover.1.0,
            row.failover.1.1,
            describe_pool(row.pool),
            row_of(row.always.0),
            row_of(row.failover.0),
        );
    }
    out
}

#[test]
fn markdown_table() {
    let mut rows = table::rows();
    rows.sort_by_key(|r| (Fault::ALL.iter().position(|f| *f == r.fault), r.stream));
    let text = markdown(&rows);
    assert_eq!(text.lines().count(), rows.len() + 2);
    if let Some(path) = std::env::var_os("FAULT_MATRIX_MD") {
        std::fs::write(path, text).unwrap();
    }
}
