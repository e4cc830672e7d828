//! One Cloud Code client, and so one connection pool, per account: the native client is one
//! process per credential, so two identities must never share a TCP/TLS connection (CPA
//! c33a33e14/516ec3a00, `docs/upstream.md` "Transport").

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{AntigravityClient, account_http_client};

/// Hands out each account's client, creating its pool on first use.
#[derive(Debug)]
pub struct AccountClients {
    /// Endpoints, User-Agent and timeouts every account's client shares.
    template: AntigravityClient,
    connect_timeout: Duration,
    clients: Mutex<HashMap<String, Arc<AntigravityClient>>>,
}

impl AccountClients {
    /// `template` carries the settings; its own HTTP client is never used for an account.
    pub fn new(template: AntigravityClient, connect_timeout: Duration) -> Self {
        Self {
            template,
            connect_timeout,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// The settings every account's client shares (endpoints, the User-Agent, which all clones
    /// share, so a new client version set here reaches every account).
    pub fn template(&self) -> &AntigravityClient {
        &self.template
    }

    /// The client of `account` (an account id), with a connection pool of its own.
    pub fn get(&self, account: &str) -> anyhow::Result<Arc<AntigravityClient>> {
        let mut clients = self.clients.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(client) = clients.get(account) {
            return Ok(client.clone());
        }
        let http = account_http_client(self.connect_timeout)?;
        let client = Arc::new(self.template.with_http(http));
        clients.insert(account.to_owned(), client.clone());
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients() -> AccountClients {
        let template = AntigravityClient::new(
            reqwest::Client::new(),
            vec!["http://127.0.0.1:9".into()],
            "antigravity/test".into(),
            Duration::from_secs(1),
            Duration::from_secs(1),
        );
        AccountClients::new(template, Duration::from_secs(1))
    }

    #[test]
    fn each_account_gets_its_own_client_and_keeps_it() {
        let clients = clients();
        let a = clients.get("a").unwrap();
        let b = clients.get("b").unwrap();
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&a, &clients.get("a").unwrap()));
        assert_eq!(b.user_agent(), "antigravity/test");
    }
}
