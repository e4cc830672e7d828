//! What a request does when the upstream says a model or the client version is no longer
//! served: a retired model (an in-band notice, or a 404 the live list explains) is replaced by
//! its successor, learnt so later requests go there at once; a refused client version ends as
//! a 503 that says which setting to change.

use std::sync::Arc;

use super::Core;
use crate::catalogue::{ModelSpec, ResolvedVia};
use crate::translate::antigravity::Notices;
use crate::translate::ir::ErrorInfo;
use crate::upstream::classify::UpstreamFailure;

impl Core {
    /// The phrase table the decoder checks answers against (built in plus `[upstream.notices]`).
    pub(super) fn notices(&self) -> Arc<Notices> {
        self.inner.notices.clone()
    }

    /// The model to use instead of `retired`, which the upstream just said is gone: what its
    /// lists already forward it to, else its family default (unless that is the same model).
    /// The answer is remembered as a forward for later requests; `None` when nothing fits.
    pub(super) fn successor_of_retired(
        &self,
        retired: &ModelSpec,
        account: &str,
    ) -> Option<Arc<ModelSpec>> {
        let successor = {
            let mut catalogue = self.inner.catalogue.write().expect("catalogue poisoned");
            let forwarded = catalogue
                .resolve(&retired.id)
                .ok()
                .filter(|r| matches!(r.via, ResolvedVia::Successor { .. }))
                .map(|r| r.spec);
            let successor = forwarded
                .or_else(|| catalogue.default_for(&retired.id).cloned())
                .filter(|s| s.upstream != retired.upstream)?;
            catalogue.forward(retired.id.clone(), successor.id.clone());
            if retired.upstream != retired.id {
                catalogue.forward(retired.upstream.clone(), successor.id.clone());
            }
            successor
        };
        tracing::warn!(
            retired = retired.id,
            successor = successor.id,
            "the upstream says the model is retired; using its successor from now on"
        );
        // The live list may say more (its `deprecatedModelIds`).
        self.refresh_quota_soon(account);
        Some(successor)
    }

    /// After a 404 for `model`: reads the account's live list again and answers the model it
    /// now resolves to, when that is another one (the list deprecates or no longer carries
    /// it). `None` keeps the 404: the model may just not be on this account's tier.
    pub(super) async fn successor_after_not_found(
        &self,
        model: &ModelSpec,
        account: &str,
    ) -> Option<Arc<ModelSpec>> {
        if let Err(e) = self.refresh_quota(account).await {
            tracing::debug!(account, "reading the live list after a 404 failed: {e:#}");
            return None;
        }
        let resolved = self.catalogue().resolve(&model.id).ok()?;
        (resolved.spec.upstream != model.upstream).then(|| {
            tracing::info!(
                model = model.id,
                successor = resolved.spec.id,
                "the upstream no longer serves the model; using its successor"
            );
            resolved.spec
        })
    }

    /// The client's error for a version refusal every endpoint gave: what was sent, what to set.
    pub(super) fn version_refused(&self, failure: &UpstreamFailure, model: &str) -> ErrorInfo {
        let mut error = failure.client_error(model);
        error.message = format!(
            "{} This proxy reported Antigravity {} (User-Agent \"{}\").",
            error.message,
            self.client_version(),
            self.upstream().user_agent()
        );
        error
    }
}
