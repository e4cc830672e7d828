//! `anti-api-tui history [--json] [--limit N] [FILTER…]`: recorded requests, newest first, from
//! the data dir's history file (read-only, so it works while a server writes to it).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Local};

use crate::accounts::AccountPool;
use crate::cli::{HistoryArgs, ServeArgs};
use crate::events::{Bus, Outcome, RequestId};
use crate::filter::Filter;
use crate::paths::Paths;
use crate::startup;
use crate::store::{self, HistoryQuery, HistoryReader, RequestRow};

/// Rows read per round while filtering.
const PAGE: usize = 500;

pub fn run(paths: &Paths, args: &HistoryArgs, demo: bool) -> anyhow::Result<()> {
    let paths = if demo {
        paths.for_demo()
    } else {
        paths.clone()
    };
    let filter_text = join_terms(&args.filter);
    let filter = Filter::parse(&filter_text).context("in the filter")?;
    let path = store::default_path(&paths.data_dir);
    let text = if path.exists() {
        render(&path, &paths, args, &filter, &filter_text)?
    } else if args.json {
        "[]\n".to_owned()
    } else {
        format!(
            "no history yet ({} does not exist); requests are recorded while \
             `anti-api-tui serve` or the console runs\n",
            path.display()
        )
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        // Piped into `head`: the reader has seen enough.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// The output for an existing history file: JSON, the table, or why there is nothing to show.
fn render(
    path: &Path,
    paths: &Paths,
    args: &HistoryArgs,
    filter: &Filter,
    filter_text: &str,
) -> anyhow::Result<String> {
    let reader = HistoryReader::open(path)?;
    let emails = account_emails(paths);
    let rows = select(&reader, filter, args.limit, &emails)?;
    Ok(if args.json {
        let items: Vec<_> = rows.iter().map(|r| to_json(r, &emails)).collect();
        serde_json::to_string_pretty(&items)? + "\n"
    } else if rows.is_empty() && filter.is_empty() {
        "no requests recorded yet\n".to_owned()
    } else if rows.is_empty() {
        format!("no requests match `{filter_text}`\n")
    } else {
        let mut text = table(&rows, &emails, Local::now().date_naive());
        if args.limit != 0 && rows.len() == args.limit {
            let _ = writeln!(text, "(the newest {}; --limit 0 shows all)", args.limit);
        }
        text
    })
}

/// Shell words back into one filter; a word the shell unquoted that holds spaces (`"rate
/// limit"`) is quoted again so it stays one phrase.
pub fn join_terms(words: &[String]) -> String {
    words
        .iter()
        .map(|w| {
            if w.chars().any(char::is_whitespace) && !w.contains('"') {
                format!("\"{w}\"")
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Account id → e-mail from the accounts file (the rows hold ids; `acct:alice` means e-mails).
fn account_emails(paths: &Paths) -> HashMap<String, String> {
    let Ok(config) = startup::load_config(paths, &ServeArgs::default()) else {
        return HashMap::new();
    };
    AccountPool::load(paths.accounts_file(), config.accounts, Bus::new())
        .map(|pool| {
            pool.snapshot()
                .into_iter()
                .map(|a| (a.id, a.email))
                .collect()
        })
        .unwrap_or_default()
}

fn label<'a>(row: &RequestRow, emails: &'a HashMap<String, String>) -> Option<&'a str> {
    row.account
        .as_ref()
        .and_then(|a| emails.get(a))
        .map(String::as_str)
}

/// Pages through the history newest first, keeping rows that match, up to `limit` (0 = all).
fn select(
    reader: &HistoryReader,
    filter: &Filter,
    limit: usize,
    emails: &HashMap<String, String>,
) -> anyhow::Result<Vec<RequestRow>> {
    let mut out = Vec::new();
    let mut before: Option<RequestId> = None;
    loop {
        let page = reader.list(&HistoryQuery {
            filter: None,
            limit: PAGE,
            before,
        })?;
        let Some(last) = page.last() else { break };
        before = Some(last.id);
        let full = page.len() == PAGE;
        for row in page {
            if filter.matches_labelled(&row, label(&row, emails)) {
                out.push(row);
                if out.len() == limit {
                    return Ok(out);
                }
            }
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

fn to_json(row: &RequestRow, emails: &HashMap<String, String>) -> serde_json::Value {
    let mut value = serde_json::to_value(row).unwrap_or_default();
    if let (Some(map), Some(email)) = (value.as_object_mut(), label(row, emails)) {
        map.insert("account_email".into(), email.into());
    }
    value
}

/// The table: one line per request (80 columns), an indented line with the error of a failed
/// one, and a date line where the day changes (times are local).
fn table(
    rows: &[RequestRow],
    emails: &HashMap<String, String>,
    today: chrono::NaiveDate,
) -> String {
    let mut out = format!(
        "{:<8} {:<8} {:<3} {:<20} {:<8} {:>3} {:>5} {:>5} {:>9}\n",
        "TIME", "ID", "API", "MODEL", "ACCOUNT", "ST", "TTFT", "DUR", "TOKENS"
    );
    let mut day = today;
    for row in rows {
        let local: DateTime<Local> = row.at.with_timezone(&Local);
        if local.date_naive() != day {
            day = local.date_naive();
            let _ = writeln!(out, "── {} ──", day.format("%a %Y-%m-%d"));
        }
        let account = label(row, emails).or(row.account.as_deref()).unwrap_or("-");
        let flags = [(row.has_tool, 'T'), (row.replay_of.is_some(), 'R')]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, c)| *c)
            .collect::<String>();
        let line = format!(
            "{:<8} {:<8} {:<3} {:<20} {:<8} {:>3} {:>5} {:>5} {:>9} {flags}",
            local.format("%H:%M:%S"),
            short_id(row.id),
            row.api.short_label(),
            clip(&row.model, 20),
            clip(account, 8),
            row.status.map_or_else(|| "…".to_owned(), |s| s.to_string()),
            row.ttft_ms.map_or_else(|| "-".to_owned(), millis),
            row.duration_ms.map_or_else(|| "-".to_owned(), millis),
            format!("{}/{}", count(row.input_tokens), count(row.output_tokens)),
        );
        let _ = writeln!(out, "{}", line.trim_end());
        if row.outcome.is_some_and(|o| o != Outcome::Ok)
            && let Some(error) = &row.error
        {
            let _ = writeln!(out, "         ↳ {}", clip(error, 69));
        }
    }
    out
}

/// The last 8 hex digits: the random end of a time-ordered id, which `replay` accepts.
pub fn short_id(id: RequestId) -> String {
    let hex = id.0.simple().to_string();
    hex[hex.len() - 8..].to_owned()
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(width - 1).collect();
    s.push('…');
    s
}

/// `850ms`, `6.5s`, `42s`, `2m05s`: at most 5 characters.
fn millis(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms}ms"),
        1000..10_000 => format!("{}.{}s", ms / 1000, ms % 1000 / 100),
        10_000..60_000 => format!("{}s", ms / 1000),
        _ => format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1000),
    }
}

/// `340`, `1.2k`, `56k`, `1.2M`: at most 4 characters.
fn count(n: u64) -> String {
    match n {
        0..1000 => n.to_string(),
        1000..10_000 => format!("{}.{}k", n / 1000, n % 1000 / 100),
        10_000..1_000_000 => format!("{}k", n / 1000),
        _ => format!("{}.{}M", n / 1_000_000, n % 1_000_000 / 100_000),
    }
}

/// The history file of a data dir, for `replay` (which reads the same file).
pub fn open_reader(data_dir: &Path) -> anyhow::Result<HistoryReader> {
    let path = store::default_path(data_dir);
    if !path.exists() {
        anyhow::bail!(
            "no history at {} yet: requests are recorded while `anti-api-tui serve` runs",
            path.display()
        );
    }
    HistoryReader::open(&path)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn row(at: DateTime<Utc>) -> RequestRow {
        RequestRow {
            id: RequestId::new(),
            at,
            api: crate::translate::client_api::ApiFormat::Anthropic.into(),
            path: "/v1/messages".into(),
            model: "claude-opus-4-6-thinking-with-a-long-name".into(),
            model_routed: None,
            account: Some("3fa2b1c0".into()),
            status: Some(429),
            outcome: Some(Outcome::UpstreamError),
            stream: true,
            ttft_ms: Some(950),
            duration_ms: Some(125_000),
            input_tokens: 123_456,
            output_tokens: 1_234_567,
            error: Some("quota exhausted for claude-opus-4-6-thinking; resets in 4h 12m".into()),
            has_tool: true,
            replay_of: Some(RequestId::new()),
            attempts: 2,
        }
    }

    #[test]
    fn the_table_fits_80_columns_with_dates_errors_and_flags() {
        let now = Utc::now();
        let rows = [row(now), row(now - chrono::Duration::days(2))];
        let emails = HashMap::from([("3fa2b1c0".to_owned(), "alice@example.com".to_owned())]);
        let text = table(&rows, &emails, now.with_timezone(&Local).date_naive());
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{} chars: {line}",
                line.chars().count()
            );
        }
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 6, "{text}");
        assert!(lines[0].starts_with("TIME"), "{text}");
        assert!(
            lines[1].contains(" ant claude-opus-4-6-thi… alice@e… 429 950ms 2m05s 123k/1.2M TR"),
            "{text}"
        );
        assert!(lines[2].contains("↳ quota exhausted"), "{text}");
        assert!(
            lines[3].starts_with("── ") && lines[3].ends_with(" ──"),
            "{text}"
        );
    }

    #[test]
    fn shell_words_with_spaces_stay_phrases() {
        let words = [
            "err~x".to_owned(),
            "rate limit".to_owned(),
            "-status:200".to_owned(),
        ];
        assert_eq!(join_terms(&words), "err~x \"rate limit\" -status:200");
        let filter = Filter::parse(&join_terms(&words)).unwrap();
        let mut r = row(Utc::now());
        r.error = Some("x: Rate limit".into());
        assert!(filter.matches(&r));
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(millis(850), "850ms");
        assert_eq!(millis(6_549), "6.5s");
        assert_eq!(millis(42_000), "42s");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_250), "1.2k");
        assert_eq!(count(56_000), "56k");
        let id = RequestId::new();
        assert!(id.to_string().ends_with(&short_id(id)));
    }
}
