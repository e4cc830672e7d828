//! The filter language (`status:429 model:opus -api:openai dur>5s …`, see `crate::filter`) as
//! a matcher over the console's rows; `acct:` and free text also match the account's e-mail.

use std::collections::HashMap;

use super::rows::{Row, RowMatcher};
use crate::filter::Filter;

/// Account id → e-mail, as the Accounts tab last listed them.
pub type AccountLabels = HashMap<String, String>;

/// Compiles `text`; an error names the term that is wrong and why.
pub fn compile(text: &str, labels: &AccountLabels) -> Result<Box<dyn RowMatcher + Send>, String> {
    Filter::parse(text)
        .map(|filter| {
            Box::new(Labelled {
                filter,
                labels: labels.clone(),
            }) as Box<dyn RowMatcher + Send>
        })
        .map_err(|e| e.to_string())
}

/// A filter that knows the accounts' e-mails (rows hold account ids).
struct Labelled {
    filter: Filter,
    labels: AccountLabels,
}

impl RowMatcher for Labelled {
    fn matches(&self, row: &Row) -> bool {
        let label = row
            .account
            .as_ref()
            .and_then(|id| self.labels.get(id))
            .map(String::as_str);
        self.filter.matches_labelled(row, label)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::RequestId;
    use crate::translate::ir::ApiFormat;

    fn row(account: &str) -> Row {
        Row {
            id: RequestId::new(),
            at: chrono::Utc::now(),
            api: ApiFormat::OpenAi.into(),
            path: "/v1/chat/completions".into(),
            model: "gemini-3-flash".into(),
            model_routed: None,
            account: Some(account.into()),
            status: Some(200),
            outcome: None,
            stream: false,
            ttft_ms: None,
            duration_ms: None,
            input_tokens: 0,
            output_tokens: 0,
            error: None,
            has_tool: false,
            replay_of: None,
            attempts: 1,
        }
    }

    #[test]
    fn acct_matches_the_email_of_the_rows_account_id() {
        let labels: AccountLabels = [("ab12cd34".to_owned(), "alice@example.com".to_owned())]
            .into_iter()
            .collect();
        let alice = row("ab12cd34");
        let other = row("ee99ff00");
        let by_email = compile("acct:alice", &labels).unwrap();
        assert!(by_email.matches(&alice));
        assert!(!by_email.matches(&other));
        assert!(compile("acct:ab12", &labels).unwrap().matches(&alice));
        assert!(compile("-acct:alice", &labels).unwrap().matches(&other));
        assert!(
            !compile("acct:alice", &AccountLabels::new())
                .unwrap()
                .matches(&alice),
            "without the mapping only the id can match"
        );
    }
}
