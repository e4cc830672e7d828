//! The fault matrix: for every fault the simulator injects, streaming and not, what the client
//! gets and what the account pool does, in three situations: the fault once on the only account
//! (transient), on every call to the only account (persistent), and on every call to `alice`
//! while `bob` is fine (failover). Each row runs as two tests, one per API; error types are
//! written with their Anthropic names (OpenAI's follow from them).

use anti_api_tui::simulator::Fault;

use super::observe::{Client, Pool};

pub struct Row {
    pub fault: Fault,
    pub stream: bool,
    /// One account, the fault once: client, pool.
    pub once: (Client, Pool),
    /// One account, the fault on every call: client, upstream calls made.
    pub always: (Client, u64),
    /// `alice` always failing, `bob` fine: client, calls to (alice, bob).
    pub failover: (Client, (u64, u64)),
    /// What the persistent fault does to `alice` (the same with or without `bob`).
    pub pool: Pool,
}

use Client::{InBand, Ok, Status};
use Pool::{Cooling, Nothing, Quarantined};

const RATE: &str = "rate_limit_error";
const OVERLOADED: &str = "overloaded_error";

/// Rows whose behaviour does not depend on streaming appear once per mode, identical.
pub fn rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for stream in [false, true] {
        let same = |fault, once, always, failover, pool| Row {
            fault,
            stream,
            once,
            always,
            failover,
            pool,
        };
        rows.extend([
            // The upstream's reset time is used as is: cool that model on that account.
            same(
                Fault::QuotaExhausted,
                (Status(429, RATE), Cooling("QUOTA_EXHAUSTED")),
                (Status(429, RATE), 1),
                (Ok, (1, 1)),
                Cooling("QUOTA_EXHAUSTED"),
            ),
            // A short rate limit (0.48 s) is waited out once on the same account.
            same(
                Fault::RateLimited,
                (Ok, Nothing),
                (Status(429, RATE), 2),
                (Ok, (2, 1)),
                Cooling("RATE_LIMIT_EXCEEDED"),
            ),
            same(
                Fault::Capacity,
                (Status(429, RATE), Cooling("MODEL_CAPACITY_EXHAUSTED")),
                (Status(429, RATE), 1),
                (Ok, (1, 1)),
                Cooling("MODEL_CAPACITY_EXHAUSTED"),
            ),
            // A bare RESOURCE_EXHAUSTED: retried once; twice for the same body is the gateway
            // refusing the prompt, so nobody is cooled and no other account is tried.
            same(
                Fault::ResourceExhausted,
                (Ok, Nothing),
                (Status(400, "invalid_request_error"), 2),
                (Status(400, "invalid_request_error"), (2, 0)),
                Nothing,
            ),
            // The access token is refreshed once and the call retried.
            same(
                Fault::Unauthorized,
                (Ok, Nothing),
                (Status(401, "authentication_error"), 2),
                (Ok, (2, 1)),
                Nothing,
            ),
            same(
                Fault::TermsOfService,
                (Status(403, "permission_error"), Quarantined),
                (Status(403, "permission_error"), 1),
                (Ok, (1, 1)),
                Quarantined,
            ),
            // Google wants the account verified: marked (with the link) until enabled again;
            // the 403 is not replayed on another host.
            same(
                Fault::ValidationRequired,
                (Status(403, "permission_error"), Quarantined),
                (Status(403, "permission_error"), 1),
                (Ok, (1, 1)),
                Quarantined,
            ),
            // The project is discovered again once and the call retried.
            same(
                Fault::StaleProject,
                (Ok, Nothing),
                (Status(404, "not_found_error"), 2),
                (Ok, (2, 1)),
                Nothing,
            ),
            // The request itself is wrong: no other account is tried.
            same(
                Fault::BadRequest,
                (Status(400, "invalid_request_error"), Nothing),
                (Status(400, "invalid_request_error"), 1),
                (Status(400, "invalid_request_error"), (1, 0)),
                Nothing,
            ),
            same(
                Fault::ServerError,
                (Status(503, OVERLOADED), Nothing),
                (Status(503, OVERLOADED), 1),
                (Ok, (1, 1)),
                Nothing,
            ),
            // A 503 "No capacity available" is capacity: cooled briefly, like MODEL_CAPACITY.
            same(
                Fault::Unavailable,
                (Status(429, RATE), Cooling("UNAVAILABLE")),
                (Status(429, RATE), 1),
                (Ok, (1, 1)),
                Cooling("UNAVAILABLE"),
            ),
            // Retried once on the same account, then the next one.
            same(
                Fault::EmptyStream,
                (Ok, Nothing),
                (Status(503, OVERLOADED), 2),
                (Ok, (2, 1)),
                Nothing,
            ),
            // Every account would be refused alike: stop, and say which setting to change.
            same(
                Fault::VersionRejected,
                (Status(503, "api_error"), Nothing),
                (Status(503, "api_error"), 1),
                (Status(503, "api_error"), (1, 0)),
                Nothing,
            ),
        ]);
        // A cut or a stall after the first event. A streaming client has seen the answer begin,
        // so it gets the error in-band after the 200 and nothing is moved; a non-streaming one
        // has seen nothing yet, so the next account answers (no cooldown: not the account's
        // fault).
        for fault in [Fault::DisconnectMidStream, Fault::Stall] {
            rows.push(if stream {
                same(
                    fault,
                    (InBand(OVERLOADED), Nothing),
                    (InBand(OVERLOADED), 1),
                    (InBand(OVERLOADED), (1, 0)),
                    Nothing,
                )
            } else {
                same(
                    fault,
                    (Status(503, OVERLOADED), Nothing),
                    (Status(503, OVERLOADED), 1),
                    (Ok, (1, 1)),
                    Nothing,
                )
            });
        }
    }
    rows
}

pub fn find(fault: Fault, stream: bool) -> Row {
    rows()
        .into_iter()
        .find(|r| r.fault == fault && r.stream == stream)
        .unwrap_or_else(|| panic!("no row for {fault} stream={stream}"))
}
