//! Performs effects off the UI path: store reads on blocking threads, replays and test prompts
//! as real HTTP requests to the proxy's own address (so they show up like any other request),
//! account and flow changes through the engine, logins in their own task.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chrono::Utc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::super::action::Action;
use super::super::history;
use super::super::rows::Row;
use super::super::state::StageText;
use super::super::state::{AccountView, CooldownView, ModelView, QuotaView, family_of_upstream};
use super::{Effect, curl_command, redact, redacted_bundle};
use crate::auth::ide;
use crate::auth::login::{self, LoginContext, LoginOptions};
use crate::capture::Stage;
use crate::config::{Config, FlowConfig};
use crate::core::Core;
use crate::events::RequestId;
use crate::proxy::{ACCOUNT_HEADER, REPLAY_HEADER};
use crate::routing;
use crate::store::HistoryStore;
use crate::translate::client_api::{ApiFormat, Endpoint, Inbound};

struct LoginSession {
    paste: mpsc::Sender<String>,
    forward: JoinHandle<()>,
}

#[derive(Clone)]
pub struct EffectRunner {
    core: Core,
    history: Option<HistoryStore>,
    http: reqwest::Client,
    actions: mpsc::UnboundedSender<Action>,
    /// Effects only the loop can perform (they write to the terminal).
    terminal: mpsc::UnboundedSender<Effect>,
    data_dir: PathBuf,
    config_file: PathBuf,
    demo: bool,
    login: Arc<Mutex<Option<LoginSession>>>,
}

impl EffectRunner {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        core: Core,
        history: Option<HistoryStore>,
        actions: mpsc::UnboundedSender<Action>,
        terminal: mpsc::UnboundedSender<Effect>,
        data_dir: PathBuf,
        config_file: PathBuf,
        demo: bool,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder().no_proxy().build()?;
        Ok(Self {
            core,
            history,
            http,
            actions,
            terminal,
            data_dir,
            config_file,
            demo,
            login: Arc::default(),
        })
    }

    fn send(&self, action: Action) {
        let _ = self.actions.send(action);
    }

    fn notice(&self, text: impl Into<String>) {
        self.send(Action::Notice(text.into()));
    }

    /// Shows `text` in the footer.
    pub fn run_notice(&self, text: String) {
        self.notice(text);
    }

    /// Sends an edited body as a replay of `id`.
    pub fn replay_edited(&self, id: RequestId, body: String) {
        self.spawn(async move |me| me.replay(id, None, None, Some(body)).await);
    }

    /// Starts `effect`; never blocks the caller.
    pub fn run(&self, effect: Effect) {
        match effect {
            Effect::LoadHistory => {
                let me = self.clone();
                tokio::spawn(async move {
                    let Some(store) = &me.history else { return };
                    match history::recent(store).await {
                        Ok(rows) => me.send(Action::HistoryLoaded(rows)),
                        Err(e) => me.notice(format!("history: {e:#}")),
                    }
                });
            }
            Effect::LoadDetail(id) => {
                let me = self.clone();
                tokio::spawn(async move {
                    let stages = match me.detail(id).await {
                        Ok((_, stages)) => stages
                            .into_iter()
                            .map(|s| StageText {
                                body: history::pretty(&s.body),
                                ..s
                            })
                            .collect(),
                        Err(_) => Vec::new(),
                    };
                    me.send(Action::DetailLoaded(id, stages));
                });
            }
            Effect::Replay { id, model, account } => {
                self.spawn(async move |me| {
                    me.replay(id, model.as_deref(), account.as_deref(), None)
                        .await
                });
            }
            Effect::ExportCurl(id) => self.spawn(async move |me| me.export_curl(id).await),
            Effect::DryRun(id) => {
                let me = self.clone();
                tokio::spawn(async move {
                    let text = match me.dry_run(id).await {
                        Ok(text) => text,
                        Err(e) => format!("dry run failed: {e:#}"),
                    };
                    me.send(Action::DryRunAnswered(id, text));
                });
            }
            Effect::ExportBundle(id) => self.spawn(async move |me| me.export_bundle(id).await),
            Effect::LoadAccounts => self.load_accounts(),
            Effect::SetAccountDisabled { id, disabled } => {
                if self.core.accounts().set_disabled(&id, disabled) {
                    self.notice(format!(
                        "{id} {}",
                        if disabled { "disabled" } else { "enabled" }
                    ));
                }
                self.load_accounts();
            }
            Effect::RemoveAccount(id) => {
                match self.core.accounts().remove(&id) {
                    Ok(Some(gone)) => self.notice(format!("removed {}", gone.email)),
                    Ok(None) => self.notice(format!("no account {id}")),
                    Err(e) => self.notice(format!("remove failed: {e:#}")),
                }
                self.load_accounts();
            }
            Effect::BeginLogin => self.begin_login(),
            Effect::ImportIdeAccount => self.spawn(async move |me| {
                let context = LoginContext::new(me.core.config(), me.core.accounts().clone())?;
                let done = ide::import(&context, None).await;
                me.load_accounts();
                let done = done?;
                Ok(format!(
                    "imported {} from the Antigravity IDE (project {})",
                    done.account.email, done.account.project
                ))
            }),
            Effect::LoginPaste(text) => {
                if let Some(session) = self.login.lock().expect("login lock").as_ref() {
                    let _ = session.paste.try_send(text);
                }
            }
            Effect::CancelLogin => {
                if let Some(session) = self.login.lock().expect("login lock").take() {
                    // Dropping the login handle inside the task cancels the login.
                    session.forward.abort();
                }
            }
            Effect::LoadModels => {
                let catalogue = self.core.catalogue();
                let models = catalogue.models().iter().map(|m| ModelView {
                    id: m.id.clone(),
                    display_name: m.display_name.clone(),
                    family: m.family.as_str().to_owned(),
                    upstream: m.upstream.clone(),
                    thinking: m.can_think(),
                    images: m.images,
                    max_output: m.max_output,
                });
                self.send(Action::ModelsLoaded(models.collect()));
            }
            Effect::LoadFlows => self.load_flows(),
            Effect::SaveFlows(flows) => self.blocking(move |me| {
                me.report(
                    me.save_flows(flows)
                        .map(|()| "routing saved to config.toml".into()),
                );
                me.load_flows();
            }),
            Effect::WhatIf(name) => {
                let lines = self.what_if(&name);
                self.send(Action::WhatIfAnswered(name, lines));
            }
            Effect::TestPrompt { model, prompt } => self.spawn(async move |me| {
                let body = serde_json::json!({
                    "model": model,
                    "stream": true,
                    "messages": [{"role": "user", "content": prompt}],
                });
                let api = ApiFormat::OpenAi;
                me.post(
                    api.canonical_path(Endpoint::Chat),
                    api.replay_headers(),
                    body.to_string(),
                    None,
                    None,
                )
                .await
                .map(|status| format!("test prompt to {model}: HTTP {status}"))
            }),
            Effect::EditAndReplay(_) | Effect::Clipboard(_) => {
                let _ = self.terminal.send(effect);
            }
        }
    }

    fn blocking(&self, job: impl FnOnce(&Self) + Send + 'static) {
        let me = self.clone();
        tokio::task::spawn_blocking(move || job(&me));
    }

    fn spawn<F>(&self, job: impl FnOnce(Self) -> F + Send + 'static)
    where
        F: Future<Output = anyhow::Result<String>> + Send + 'static,
    {
        let me = self.clone();
        tokio::spawn(async move {
            let reporter = me.clone();
            reporter.report(job(me).await);
        });
    }

    fn report(&self, result: anyhow::Result<String>) {
        match result {
            Ok(text) => self.notice(text),
            Err(e) => self.notice(format!("{e:#}")),
        }
    }

    fn base_url(&self) -> anyhow::Result<String> {
        let addr: SocketAddr = self
            .core
            .listen_addr()
            .context("the proxy is not listening")?;
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            addr.ip().to_string()
        };
        Ok(format!("http://{host}:{}", addr.port()))
    }

    /// POSTs `body` to `path` with a client API's replay `headers` and reads the whole answer
    /// (so the request completes); the status.
    async fn post(
        &self,
        path: &str,
        headers: &[(&str, &str)],
        body: String,
        replay_of: Option<RequestId>,
        account: Option<&str>,
    ) -> anyhow::Result<u16> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base_url()?))
            .header("content-type", "application/json")
            .header("user-agent", "anti-api-tui console")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(api_key) = &self.core.config().server.api_key {
            request = request.header("x-api-key", api_key);
        }
        if let Some(parent) = replay_of {
            request = request.header(REPLAY_HEADER, parent.to_string());
        }
        if let Some(account) = account {
            request = request.header(ACCOUNT_HEADER, account);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        let _ = response.bytes().await;
        Ok(status)
    }

    async fn detail(&self, id: RequestId) -> anyhow::Result<(Row, Vec<StageText>)> {
        let store = self.history.as_ref().context("no history store")?;
        history::detail(store, id)
            .await?
            .context("not in the history store (yet)")
    }

    /// The stored client request of `id`: its row and body.
    pub async fn client_request(&self, id: RequestId) -> anyhow::Result<(Row, String)> {
        let (row, stages) = self.detail(id).await?;
        let stage = stages
            .into_iter()
            .find(|s| s.stage == Stage::ClientRequest)
            .context("the client request body was not captured (capture mode)")?;
        if stage.truncated {
            anyhow::bail!("the stored client request was cut at the capture limit");
        }
        Ok((row, stage.body))
    }

    /// Sends the stored request again (optionally another body or model) as a linked row.
    pub async fn replay(
        &self,
        id: RequestId,
        model: Option<&str>,
        account: Option<&str>,
        body: Option<String>,
    ) -> anyhow::Result<String> {
        let (row, stored) = self.client_request(id).await?;
        let mut body = body.unwrap_or(stored);
        if let Some(model) = model {
            let mut json: serde_json::Value =
                serde_json::from_str(&body).context("the stored request is not JSON")?;
            json["model"] = model.into();
            body = json.to_string();
        }
        let status = self
            .post(&row.path, row.api.replay_headers(), body, Some(id), account)
            .await?;
        Ok(match account {
            Some(a) => format!("replay of {} on {a} answered HTTP {status}", short(id)),
            None => format!("replay of {} answered HTTP {status}", short(id)),
        })
    }

    /// Translates the stored client request of `id` as the proxy would now (route, first
    /// target, upstream body) without sending anything; the account's project is a placeholder.
    async fn dry_run(&self, id: RequestId) -> anyhow::Result<String> {
        let (row, stages) = self.detail(id).await?;
        let stage = stages
            .into_iter()
            .find(|s| s.stage == Stage::ClientRequest)
            .context("the client request body was not captured (capture mode)")?;
        if stage.truncated {
            anyhow::bail!("the stored client request was cut at the capture limit");
        }
        let api = row.api.format().with_context(|| {
            format!(
                "the request came in on the api `{}`, which this build does not serve",
                row.api
            )
        })?;
        Ok(self.core.dry_run(
            api,
            &Inbound {
                path: &row.path,
                query: None,
                body: stage.body.as_bytes(),
            },
            Utc::now().timestamp_millis(),
        ))
    }

    fn secrets(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        for account in self.core.accounts().snapshot() {
            secrets.push(account.email.clone());
            secrets.push(account.refresh_token.clone());
            secrets.extend(account.access_token.clone());
            secrets.extend(account.project.clone());
        }
        secrets.extend(self.core.config().server.api_key.clone());
        secrets
    }

    fn export_dir(&self) -> anyhow::Result<PathBuf> {
        let dir = self.data_dir.join("exports");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    async fn export_curl(&self, id: RequestId) -> anyhow::Result<String> {
        let (row, body) = self.client_request(id).await?;
        let command = curl_command(
            &self.base_url()?,
            &row.path,
            row.api.replay_headers(),
            &redact(&body, &self.secrets()),
            row.stream,
        );
        let file = self.export_dir()?.join(format!("{id}.curl.sh"));
        std::fs::write(&file, &command).with_context(|| format!("writing {}", file.display()))?;
        let _ = self.terminal.send(Effect::Clipboard(command));
        Ok(format!(
            "curl copied to the clipboard and saved to {}",
            file.display()
        ))
    }

    async fn export_bundle(&self, id: RequestId) -> anyhow::Result<String> {
        let (row, stages) = self.detail(id).await?;
        let bundle = redacted_bundle(&row, &stages, &self.secrets());
        let file = self.export_dir()?.join(format!("{id}.json"));
        std::fs::write(&file, serde_json::to_string_pretty(&bundle)?)
            .with_context(|| format!("writing {}", file.display()))?;
        Ok(format!("redacted bundle saved to {}", file.display()))
    }

    fn load_accounts(&self) {
        // The console is about to show quota: accounts whose report is stale are polled
        // (staggered; the views update when the answers arrive).
        self.core.poll_stale_quotas();
        let now = Utc::now();
        let families: std::collections::HashMap<String, &'static str> = self
            .core
            .catalogue()
            .models()
            .iter()
            .map(|m| (m.upstream.clone(), m.family.as_str()))
            .collect();
        let views = self
            .core
            .accounts()
            .snapshot()
            .into_iter()
            .map(|a| AccountView {
                status: a.status(now).as_str().to_owned(),
                detail: a.quarantined.clone().or_else(|| a.needs_login.clone()),
                cooldowns: a
                    .cooldowns
                    .iter()
                    .filter(|c| c.until > now)
                    .map(|c| CooldownView {
                        model: c.model.clone(),
                        until: c.until,
                        reason: c.reason.clone(),
                    })
                    .collect(),
                quota: a
                    .quota
                    .iter()
                    .map(|(model, q)| QuotaView {
                        family: families
                            .get(model)
                            .copied()
                            .unwrap_or_else(|| family_of_upstream(model))
                            .to_owned(),
                        model: model.clone(),
                        remaining_pct: quota_percent(q.remaining_fraction),
                        reset: q.reset_time,
                    })
                    .collect(),
                id: a.id,
                email: a.email,
                project: a.project,
                tier: a.tier,
            });
        self.send(Action::AccountsLoaded(views.collect()));
    }

    fn load_flows(&self) {
        let configured = self.core.flows();
        let builtin = routing::builtin_flows()
            .into_iter()
            .filter(|b| !configured.iter().any(|c| c.name == b.name))
            .map(|b| b.name)
            .collect();
        self.send(Action::FlowsLoaded {
            flows: routing::all_flows(&configured),
            builtin,
        });
    }

    /// Writes the flows into config.toml (as it is on disk, not the running demo overrides)
    /// and uses them for new requests. Built-in flows left unchanged are not written.
    fn save_flows(&self, flows: Vec<FlowConfig>) -> anyhow::Result<()> {
        let builtin = routing::builtin_flows();
        let flows: Vec<FlowConfig> = flows.into_iter().filter(|f| !builtin.contains(f)).collect();
        let (mut config, _) = Config::load(&self.config_file)?;
        config.flows.clone_from(&flows);
        config.save(&self.config_file)?;
        self.core.set_flows(flows);
        Ok(())
    }

    fn what_if(&self, name: &str) -> Vec<String> {
        match self.core.plan(name, false, None) {
            Ok(plan) => plan.describe(),
            Err(e) => vec![format!("error: {}", e.message)],
        }
    }

    fn begin_login(&self) {
        let context = match LoginContext::new(self.core.config(), self.core.accounts().clone()) {
            Ok(c) => c,
            Err(e) => {
                return self.send(Action::Login(login::LoginProgress::Failed {
                    message: format!("{e:#}"),
                }));
            }
        };
        let options = LoginOptions {
            open_browser: !self.demo,
            ..LoginOptions::default()
        };
        let mut handle = login::spawn(context, options);
        let paste = handle.paste_sender();
        let me = self.clone();
        let forward = tokio::spawn(async move {
            while let Some(progress) = handle.next().await {
                let done = progress.is_final();
                me.send(Action::Login(progress));
                if done {
                    me.load_accounts();
                    break;
                }
            }
        });
        if let Some(old) = self
            .login
            .lock()
            .expect("login lock")
            .replace(LoginSession { paste, forward })
        {
            old.forward.abort();
        }
    }
}

/// The last 8 hex digits of a request id (the random part), enough to tell rows apart.
pub fn short(id: RequestId) -> String {
    let text = id.to_string();
    text[text.len() - 8..].to_owned()
}

/// A remaining fraction as a whole percentage (0–100), rounded down so "1%" still means some
/// is left and "0%" means none.
pub fn quota_percent(fraction: f64) -> u8 {
    if fraction.is_nan() || fraction <= 0.0 {
        return 0;
    }
    // Clamped to 0–100 first, so the cast cannot truncate.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let pct = (fraction.min(1.0) * 100.0).floor() as u8;
    if pct == 0 { 1 } else { pct }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_percent_rounds_down_but_keeps_some() {
        assert_eq!(quota_percent(1.0), 100);
        assert_eq!(quota_percent(1.5), 100);
        assert_eq!(quota_percent(0.759), 75);
        assert_eq!(quota_percent(0.001), 1);
        assert_eq!(quota_percent(0.0), 0);
        assert_eq!(quota_percent(f64::NAN), 0);
    }
}
