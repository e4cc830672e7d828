//! The `:` command line: parsing a line into a `Command`, and completing the word being typed
//! from the command names, model ids, flow names and filter keys.

use super::state::Tab;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit,
    /// An empty expression clears the filter.
    Filter(String),
    Search(String),
    /// What-if for a model or flow name.
    Route(String),
    /// To another model or flow, and/or on one account (`@alice@example.com`).
    Replay {
        model: Option<String>,
        account: Option<String>,
    },
    Edit,
    ExportCurl,
    ExportJson,
    Follow,
    Pause,
    Compare,
    Login,
    Tab(Tab),
    Help,
}

/// Every command with its one-line help (shown by `?` and used for completion).
pub const COMMANDS: &[(&str, &str)] = &[
    ("quit", "stop the proxy and leave"),
    (
        "filter",
        "show only matching requests: status:429 model:opus dur>5s -api:openai",
    ),
    (
        "search",
        "jump to requests matching an expression (n/N for next/previous)",
    ),
    ("route", "what-if: where would a model or flow name go now"),
    (
        "replay",
        "resend the selected request: `replay [MODEL] [@ACCOUNT]` (another model, flow or account)",
    ),
    ("edit", "edit the selected request in $EDITOR, then send it"),
    (
        "export",
        "export the selected request: `export curl` or `export json`",
    ),
    ("follow", "keep the newest request selected"),
    ("pause", "hold the list still while traffic continues"),
    (
        "compare",
        "mark the selected request; a second mark compares the two",
    ),
    ("login", "add an account"),
    ("help", "keys for the current screen"),
    ("dashboard", "go to the Dashboard tab"),
    ("requests", "go to the Requests tab"),
    ("models", "go to the Models tab"),
    ("accounts", "go to the Accounts tab"),
    ("routing", "go to the Routing tab"),
    ("logs", "go to the Logs tab"),
];

/// Filter terms offered when completing `:filter`.
pub const FILTER_KEYS: &[&str] = &[
    "status:",
    "model:",
    "acct:",
    "api:openai",
    "api:anthropic",
    "dur>",
    "ttft>",
    "has:tool",
    "err~",
];

pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim().trim_start_matches(':');
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    let arg = || (!rest.is_empty()).then(|| rest.to_owned());
    Ok(match word {
        "q" | "quit" | "exit" => Command::Quit,
        "filter" | "f" => Command::Filter(rest.to_owned()),
        "search" | "s" => Command::Search(rest.to_owned()),
        "route" => match arg() {
            Some(name) => Command::Route(name),
            None => return Err("usage: route MODEL_OR_FLOW".into()),
        },
        "replay" | "r" => parse_replay(rest)?,
        "edit" | "e" => Command::Edit,
        "export" => match rest {
            "" | "curl" => Command::ExportCurl,
            "json" | "bundle" => Command::ExportJson,
            other => return Err(format!("export what? `curl` or `json`, not {other:?}")),
        },
        "follow" => Command::Follow,
        "pause" => Command::Pause,
        "compare" => Command::Compare,
        "login" => Command::Login,
        "help" | "?" => Command::Help,
        "" => return Err("empty command".into()),
        other => match Tab::from_name(other) {
            Some(tab) => Command::Tab(tab),
            None => return Err(format!("unknown command {other:?} (Tab completes)")),
        },
    })
}

/// `replay [--model] MODEL [--account ACCOUNT | @ACCOUNT]`, in any order.
fn parse_replay(rest: &str) -> Result<Command, String> {
    let (mut model, mut account) = (None, None);
    let mut words = rest.split_whitespace();
    while let Some(word) = words.next() {
        match word {
            "--model" | "-m" => model = words.next().map(str::to_owned),
            "--account" | "-a" => account = words.next().map(str::to_owned),
            w if w.starts_with('@') && w.len() > 1 => account = Some(w[1..].to_owned()),
            w if model.is_none() => model = Some(w.to_owned()),
            w => return Err(format!("replay takes one model, not also {w:?}")),
        }
    }
    Ok(Command::Replay { model, account })
}

/// Completions for the last word of `line`, each the whole new line. `names` are model ids
/// and flow names; `accounts` the accounts' e-mails (offered as `@e-mail` to `replay`).
pub fn complete(line: &str, names: &[String], accounts: &[String]) -> Vec<String> {
    let line = line.trim_start_matches(':');
    match line.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|(c, _)| c.starts_with(line))
            .map(|(c, _)| format!("{c} "))
            .collect(),
        Some((command, rest)) => {
            let (head, last) = match rest.rsplit_once(' ') {
                Some((h, l)) => (format!("{command} {h} "), l),
                None => (format!("{command} "), rest),
            };
            let candidates: Vec<String> = match command {
                "route" => names.to_vec(),
                "replay" | "r" => names
                    .iter()
                    .cloned()
                    .chain(accounts.iter().map(|a| format!("@{a}")))
                    .collect(),
                "filter" | "f" | "search" | "s" => {
                    FILTER_KEYS.iter().map(|k| (*k).to_owned()).collect()
                }
                "export" => vec!["curl".into(), "json".into()],
                _ => Vec::new(),
            };
            candidates
                .into_iter()
                .filter(|c| c.starts_with(last) && c != last)
                .map(|c| format!("{head}{c}"))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_with_arguments() {
        assert_eq!(parse(":q"), Ok(Command::Quit));
        assert_eq!(
            parse("filter status:429 model:opus"),
            Ok(Command::Filter("status:429 model:opus".into()))
        );
        assert_eq!(parse("filter"), Ok(Command::Filter(String::new())));
        assert_eq!(parse("route opus"), Ok(Command::Route("opus".into())));
        assert_eq!(
            parse("replay --model gemini-3-flash"),
            Ok(Command::Replay {
                model: Some("gemini-3-flash".into()),
                account: None
            })
        );
        assert_eq!(
            parse("replay @bob@example.com opus"),
            Ok(Command::Replay {
                model: Some("opus".into()),
                account: Some("bob@example.com".into())
            })
        );
        assert_eq!(
            parse("replay --account b2"),
            Ok(Command::Replay {
                model: None,
                account: Some("b2".into())
            })
        );
        assert!(parse("replay opus flash").is_err());
        assert_eq!(
            parse("replay"),
            Ok(Command::Replay {
                model: None,
                account: None
            })
        );
        assert_eq!(parse("accounts"), Ok(Command::Tab(Tab::Accounts)));
        assert!(parse("route").is_err());
        assert!(parse("frobnicate").unwrap_err().contains("unknown command"));
    }

    #[test]
    fn replay_completes_accounts_after_an_at_sign() {
        let names = vec!["opus".to_owned()];
        let accounts = vec!["alice@example.com".to_owned(), "bob@example.com".to_owned()];
        assert_eq!(
            complete("replay @b", &names, &accounts),
            vec!["replay @bob@example.com"]
        );
        assert_eq!(
            complete("replay opus @", &names, &accounts),
            vec![
                "replay opus @alice@example.com",
                "replay opus @bob@example.com"
            ]
        );
        assert_eq!(complete("route @", &names, &accounts), Vec::<String>::new());
    }

    #[test]
    fn completes_commands_then_arguments() {
        assert_eq!(complete("ro", &[], &[]), vec!["route ", "routing "]);
        let names = vec!["opus".to_owned(), "gemini-3-flash".to_owned()];
        assert_eq!(complete("route o", &names, &[]), vec!["route opus"]);
        assert_eq!(
            complete("filter model:x st", &names, &[]),
            vec!["filter model:x status:"]
        );
        assert_eq!(complete("export j", &names, &[]), vec!["export json"]);
    }
}
