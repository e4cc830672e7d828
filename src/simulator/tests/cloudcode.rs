//! Cloud Code account endpoints and the generate envelope checks.

use std::time::Duration;

use serde_json::{Value, json};

use super::{ask, envelope, sim, sim_with};
use crate::simulator::{ProjectForm, SimConfig};

const LOAD: &str = "/v1internal:loadCodeAssist";
const ONBOARD: &str = "/v1internal:onboardUser";
const MODELS: &str = "/v1internal:fetchAvailableModels";
const METADATA: &str = r#"{"metadata":{"ideType":"ANTIGRAVITY"}}"#;

fn metadata() -> Value {
    serde_json::from_str(METADATA).unwrap()
}

#[tokio::test]
async fn load_code_assist_returns_the_project_in_either_form() {
    let s = sim().await;
    let token = s.token("alice").await;
    let (status, body) = s.call_json(LOAD, &token, &metadata()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["cloudaicompanionProject"], "sim-project-alice");
    assert_eq!(body["currentTier"]["id"], "standard-tier");
    assert!(body["allowedTiers"].as_array().unwrap().len() >= 2);

    let s = sim_with(SimConfig {
        project_form: ProjectForm::Object,
        ..SimConfig::default()
    })
    .await;
    let token = s.token("alice").await;
    let (_, body) = s.call_json(LOAD, &token, &metadata()).await;
    assert_eq!(body["cloudaicompanionProject"]["id"], "sim-project-alice");
    assert!(body["cloudaicompanionProject"]["name"].is_string());
    assert_eq!(s.handle.stats().load_code_assist_calls, 1);
}

#[tokio::test]
async fn new_accounts_are_onboarded_by_polling() {
    let s = sim().await;
    let token = s.token("newbie").await;
    let (_, body) = s.call_json(LOAD, &token, &metadata()).await;
    assert!(body.get("cloudaicompanionProject").is_none(), "{body}");
    assert!(body.get("currentTier").is_none(), "{body}");
    // Generating before onboarding names a project the account does not have.
    let (status, _) = s.generate("newbie", "gemini-3-flash", ask("hi")).await;
    assert_eq!(status, 404);

    let (status, _) = s.call_json(ONBOARD, &token, &metadata()).await;
    assert_eq!(status, 400, "tierId is required");
    let request = json!({"tierId": "free-tier", "metadata": {"ideType": "ANTIGRAVITY"}});
    let (status, body) = s.call_json(ONBOARD, &token, &request).await;
    assert_eq!(status, 200);
    assert_eq!(body["done"], false, "{body}");
    let (_, body) = s.call_json(ONBOARD, &token, &request).await;
    assert_eq!(body["done"], true, "{body}");
    assert_eq!(
        body["response"]["cloudaicompanionProject"]["id"],
        "sim-project-newbie"
    );
    let (_, body) = s.call_json(LOAD, &token, &metadata()).await;
    assert_eq!(body["cloudaicompanionProject"], "sim-project-newbie");
    let (status, _) = s.generate("newbie", "gemini-3-flash", ask("hi")).await;
    assert_eq!(status, 200);
    assert_eq!(s.handle.stats().onboard_calls, 3);
}

#[tokio::test]
async fn models_list_the_catalogue_an_extra_model_and_quotas() {
    let s = sim().await;
    s.handle.set_quota(
        "alice",
        "claude-sonnet-4-6",
        0.25,
        Duration::from_secs(3600),
    );
    let token = s.token("alice").await;
    let (status, body) = s
        .call_json(MODELS, &token, &json!({"project": "sim-project-alice"}))
        .await;
    assert_eq!(status, 200, "{body}");
    let models = body["models"].as_object().unwrap();
    for id in [
        "claude-sonnet-4-6",
        "gemini-3-flash",
        "gpt-oss-120b-medium",
        "gemini-3.5-flash-sim",
    ] {
        assert!(models.contains_key(id), "{id} missing");
    }
    let sonnet = &models["claude-sonnet-4-6"];
    assert_eq!(sonnet["maxOutputTokens"], 64000);
    assert_eq!(sonnet["quotaInfo"]["remainingFraction"], 0.25);
    assert!(
        sonnet["quotaInfo"]["resetTime"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(
        models["gemini-3-flash"]["quotaInfo"]["remainingFraction"],
        1.0
    );
    assert_eq!(
        body["deprecatedModelIds"]["gemini-2.5-pro"]["newModelId"],
        "gemini-pro-agent"
    );
    // Another account is unaffected.
    let other = s.token("bob").await;
    let (_, body) = s.call_json(MODELS, &other, &json!({})).await;
    assert_eq!(
        body["models"]["claude-sonnet-4-6"]["quotaInfo"]["remainingFraction"],
        1.0
    );
    assert_eq!(s.handle.stats().fetch_models_calls, 2);
}

#[tokio::test]
async fn count_tokens_uses_chars_over_four() {
    let s = sim().await;
    let token = s.token("alice").await;
    let request = json!({"request": ask(&"x".repeat(400))});
    let (status, body) = s
        .call_json("/v1internal:countTokens", &token, &request)
        .await;
    assert_eq!(status, 200);
    let expected = request["request"].to_string().len() / 4;
    assert_eq!(body["totalTokens"], expected);
    assert_eq!(s.handle.stats().count_tokens_calls, 1);
}

#[tokio::test]
async fn generate_checks_the_envelope() {
    let s = sim().await;
    let token = s.token("alice").await;
    // Wrong user agent.
    let resp = s
        .http
        .post(format!("{}/v1internal:generateContent", s.base))
        .bearer_auth(&token)
        .header("user-agent", "google-api-nodejs-client/10.3.0")
        .json(&envelope("alice", "claude-sonnet-4-6", &ask("hi")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // No token.
    let (status, _) = s
        .call_json(
            "/v1internal:generateContent",
            "nope",
            &envelope("alice", "claude-sonnet-4-6", &ask("hi")),
        )
        .await;
    assert_eq!(status, 401);
    // Unknown model.
    let (status, body) = s.generate("alice", "gpt-4o", ask("hi")).await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["message"], "Requested entity was not found.");
    // Someone else's project.
    let mut wrong = envelope("alice", "claude-sonnet-4-6", &ask("hi"));
    wrong["project"] = json!("sim-project-bob");
    let (status, body) = s
        .call_json("/v1internal:generateContent", &token, &wrong)
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body["error"]["details"][0]["resourceName"],
        "projects/sim-project-bob"
    );
    let seen = s.handle.stats();
    assert_eq!(seen.generate_calls, 4);
    assert!(
        seen.rejected.is_empty(),
        "envelope refusals are not validation errors"
    );
    assert!(
        seen.user_agents
            .iter()
            .any(|ua| ua.starts_with("google-api-nodejs"))
    );
}

#[tokio::test]
async fn a_moved_project_makes_the_old_one_stale() {
    let s = sim().await;
    let (status, _) = s.generate("alice", "claude-sonnet-4-6", ask("hi")).await;
    assert_eq!(status, 200);
    s.handle
        .set_project("alice@example.com", "sim-project-moved");
    let (status, body) = s.generate("alice", "claude-sonnet-4-6", ask("hi")).await;
    assert_eq!(status, 404);
    assert_eq!(
        body["error"]["details"][0]["resourceName"],
        "projects/sim-project-alice"
    );
    let token = s.token("alice").await;
    let (_, body) = s.call_json(LOAD, &token, &metadata()).await;
    assert_eq!(body["cloudaicompanionProject"], "sim-project-moved");
    let mut moved = envelope("alice", "claude-sonnet-4-6", &ask("hi"));
    moved["project"] = json!("sim-project-moved");
    let (status, _) = s
        .call_json("/v1internal:generateContent", &token, &moved)
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn non_streaming_generate_aggregates_the_reply() {
    let s = sim().await;
    let (status, body) = s
        .generate("alice", "claude-sonnet-4-6", ask("hello there"))
        .await;
    assert_eq!(status, 200, "{body}");
    let parts = body["response"]["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap();
    assert_eq!(parts.len(), 1, "{body}");
    assert_eq!(
        parts[0]["text"],
        "Hello from the Antigravity simulator (claude-sonnet-4-6). You said: hello there"
    );
    assert_eq!(body["response"]["candidates"][0]["finishReason"], "STOP");
    assert!(
        body["response"]["usageMetadata"]["promptTokenCount"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(body["traceId"].is_string());
    let seen = s.handle.stats();
    assert_eq!((seen.generate_calls, seen.stream_calls), (1, 0));
    assert_eq!(seen.calls_by_account.get("alice@example.com"), Some(&1));
    assert_eq!(seen.last_request.unwrap()["model"], "claude-sonnet-4-6");
}
