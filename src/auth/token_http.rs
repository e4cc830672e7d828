//! How token endpoint requests look on the wire. Antigravity makes them with Go's default HTTP
//! client (CPA `internal/runtime/executor/antigravity_executor_auth.go`: "Real Antigravity uses
//! Go's default User-Agent for OAuth token refresh"), so they are made the way that client makes
//! them: the form sorted by key and escaped as Go's `url.Values.Encode()` does, and a
//! `Go-http-client/<v>` User-Agent whose version is the HTTP version the request really goes
//! over. Go speaks HTTP/2 only when TLS negotiates it (every Google endpoint does) and HTTP/1.1
//! in clear text, so the version follows the URL's scheme and the connection is pinned to it:
//! the User-Agent cannot disagree with the connection. A fresh connection per request keeps
//! different accounts' refreshes off one connection (real clients run one process per account,
//! and an hourly refresh finds Go's 90 s idle connection closed anyway).

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::{Method, StatusCode};

use super::describe_transport;

/// How long a token request may take (connect included).
const TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP version of a token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    Http1,
    Http2,
}

impl Wire {
    /// What Go's default transport would use for `url`: HTTP/2 over TLS, HTTP/1.1 in clear.
    pub fn for_url(url: &str) -> Self {
        let https = url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"));
        if https { Self::Http2 } else { Self::Http1 }
    }

    /// Go's default User-Agent for this HTTP version.
    pub fn user_agent(self) -> &'static str {
        match self {
            Self::Http1 => "Go-http-client/1.1",
            Self::Http2 => "Go-http-client/2.0",
        }
    }

    /// A client that can speak only this version (HTTP/2: ALPN `h2` over TLS, prior knowledge
    /// in clear text), never following redirects, with title-case HTTP/1 header names as Go
    /// writes them.
    fn client(self) -> reqwest::Result<reqwest::Client> {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .pool_max_idle_per_host(0);
        match self {
            Self::Http1 => builder.http1_only().http1_title_case_headers(),
            Self::Http2 => builder.http2_prior_knowledge(),
        }
        .build()
    }
}

/// A finished answer.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// POSTs `pairs` as a Go-encoded form to `url` over the version `Wire::for_url` picks.
/// `headers` are added (the User-Agent and Content-Type are always this module's); errors are
/// described without the URL's query or any body.
pub(crate) async fn post_form(
    url: &str,
    pairs: &[(&str, &str)],
    headers: HeaderMap,
) -> Result<Answer, String> {
    post_form_over(Wire::for_url(url), url, pairs, headers).await
}

pub(crate) async fn post_form_over(
    wire: Wire,
    url: &str,
    pairs: &[(&str, &str)],
    mut headers: HeaderMap,
) -> Result<Answer, String> {
    let client = wire
        .client()
        .map_err(|e| format!("could not set up the HTTP client ({e})"))?;
    headers.insert(USER_AGENT, HeaderValue::from_static(wire.user_agent()));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    let resp = client
        .request(Method::POST, url)
        .headers(headers)
        .timeout(TIMEOUT)
        .body(go_form(pairs))
        .send()
        .await
        .map_err(|e| describe_transport(&e))?;
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.bytes().await.map_err(|e| describe_transport(&e))?;
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `url.Values.Encode()`: sorted by key (a key's values keep their order), each part escaped as
/// `url.QueryEscape` does — letters, digits and `-_.~` kept, space as `+`, all else `%XX`.
pub(crate) fn go_form(pairs: &[(&str, &str)]) -> String {
    let mut sorted = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::new();
    for (i, (k, v)) in sorted.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        query_escape(k, &mut out);
        out.push('=');
        query_escape(v, &mut out);
    }
    out
}

fn query_escape(text: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulator::{self, SimConfig};

    #[test]
    fn forms_are_encoded_as_go_encodes_them() {
        // Go: url.Values{...}.Encode() sorts keys and uses QueryEscape.
        assert_eq!(
            go_form(&[
                ("refresh_token", "1//0gAb~c*d e+f"),
                ("grant_type", "refresh_token"),
                ("client_secret", "GOCSPX-x_y.z"),
                ("client_id", "1-a.apps.googleusercontent.com"),
            ]),
            "client_id=1-a.apps.googleusercontent.com&client_secret=GOCSPX-x_y.z\
             &grant_type=refresh_token&refresh_token=1%2F%2F0gAb~c%2Ad+e%2Bf"
        );
        assert_eq!(
            go_form(&[
                ("redirect_uri", "http://localhost:51121/oauth-callback"),
                ("code", "4/0A")
            ]),
            "code=4%2F0A&redirect_uri=http%3A%2F%2Flocalhost%3A51121%2Foauth-callback"
        );
        assert_eq!(go_form(&[("k", "é")]), "k=%C3%A9");
        assert_eq!(go_form(&[]), "");
    }

    #[test]
    fn the_version_follows_the_scheme_like_gos_default_transport() {
        assert_eq!(
            Wire::for_url("https://oauth2.googleapis.com/token"),
            Wire::Http2
        );
        assert_eq!(Wire::for_url("HTTPS://example.com/token"), Wire::Http2);
        assert_eq!(Wire::for_url("http://127.0.0.1:9/token"), Wire::Http1);
        assert_eq!(Wire::Http2.user_agent(), "Go-http-client/2.0");
        assert_eq!(Wire::Http1.user_agent(), "Go-http-client/1.1");
    }

    /// The User-Agent names the version the request really went over, for both versions (the
    /// simulator speaks HTTP/2 with prior knowledge in clear text, as over TLS with ALPN).
    #[tokio::test]
    async fn the_user_agent_matches_the_http_version_on_the_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sim = simulator::start(listener, SimConfig::default()).await;
        let url = format!("{}/token", sim.base_url());
        let pairs = [
            ("grant_type", "refresh_token"),
            ("refresh_token", "sim-refresh-wes"),
        ];
        for wire in [Wire::Http1, Wire::Http2] {
            let answer = post_form_over(wire, &url, &pairs, HeaderMap::new())
                .await
                .unwrap();
            assert_eq!(answer.status, StatusCode::OK);
        }
        let seen = sim.stats().oauth_requests;
        let got: Vec<_> = seen
            .iter()
            .map(|r| (r.http_version.as_str(), r.user_agent.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("HTTP/1.1", Some("Go-http-client/1.1")),
                ("HTTP/2.0", Some("Go-http-client/2.0")),
            ]
        );
        assert_eq!(seen[0].form_keys, ["grant_type", "refresh_token"]);
        sim.shutdown();
    }
}
