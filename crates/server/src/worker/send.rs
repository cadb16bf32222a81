//! Sending one webhook message: the Standard Webhooks signature, an HTTP
//! client that follows no redirect, gives up quickly and connects only to
//! addresses a webhook may reach, and what the endpoint answered.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use followup_domain::webhooks::{check_target, forbidden_address, RESPONSE_BODY_KEPT, SECRET_PREFIX};
use hmac::{Hmac, Mac};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;

/// The `webhook-signature` of a message: `v1,` and the base64 HMAC-SHA256,
/// keyed with the secret's bytes, of `{id}.{timestamp}.{body}`.
pub fn signature(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .map_err(|e| format!("the webhook's secret is not base64: {e}"))?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// Resolves host names like the system does, then keeps only addresses a
/// webhook may reach: a name that resolves to a private address (or is
/// rebound to one after the check) is refused at connection time.
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> =
                found.into_iter().filter(|a| allow_private || !forbidden_address(a.ip())).collect();
            if allowed.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves only to loopback, private or link-local addresses").into();
                return Err(refused);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// The client every delivery of a process shares.
pub fn client(timeout: Duration, allow_private: bool) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .user_agent(concat!("Followup-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// What the endpoint did with a message.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: Option<u16>,
    pub elapsed: Duration,
    pub error: Option<String>,
    pub body: Option<String>,
}

impl Answer {
    pub fn succeeded(&self) -> bool {
        self.error.is_none() && self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// POST one signed message to `url`.
pub async fn post(
    client: &reqwest::Client,
    url: &str,
    allow_private: bool,
    id: &str,
    secrets: &[String],
    body: String,
) -> Answer {
    let started = Instant::now();
    let failed =
        |error: String| Answer { status: None, elapsed: started.elapsed(), error: Some(error), body: None };
    // A literal address is not resolved, so the resolver never sees it.
    if let Err(e) = check_target("url", url, allow_private) {
        return failed(format!("refused: the URL {}", e.message));
    }
    let timestamp = chrono::Utc::now().timestamp();
    // One signature per secret, space-separated, as the specification
    // allows while a secret is being rotated.
    let signed: Result<Vec<String>, String> =
        secrets.iter().map(|secret| signature(secret, id, timestamp, &body)).collect();
    let signature = match signed {
        Ok(s) => s.join(" "),
        Err(e) => return failed(e),
    };
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    let mut response = match sent {
        Ok(r) => r,
        Err(e) => return failed(describe(&e)),
    };
    let status = response.status();
    let mut kept = Vec::new();
    let mut read_error = None;
    while kept.len() < RESPONSE_BODY_KEPT {
        match response.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            Ok(None) => break,
            Err(e) => {
                read_error = Some(describe(&e));
                break;
            }
        }
    }
    kept.truncate(RESPONSE_BODY_KEPT);
    let error = if status.is_redirection() {
        let to = response.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("?");
        Some(format!("answered {} (redirects are not followed; Location: {to})", status.as_u16()))
    } else if status.is_success() {
        read_error
    } else {
        None
    };
    Answer {
        status: Some(status.as_u16()),
        elapsed: started.elapsed(),
        error,
        body: (!kept.is_empty()).then(|| String::from_utf8_lossy(&kept).into_owned()),
    }
}

/// A transport error in a sentence, with its causes.
fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "failed"
    };
    let mut text = what.to_owned();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::{signature, GuardedResolver};
    use reqwest::dns::Resolve;

    /// A name that resolves to loopback is refused unless private targets
    /// are allowed (a name can be rebound after the webhook was saved).
    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused() {
        let name = || "localhost".parse::<reqwest::dns::Name>().map_err(|e| e.to_string());
        let refused =
            GuardedResolver { allow_private: false }.resolve(name().unwrap_or_else(|e| panic!("{e}"))).await;
        assert!(refused.err().is_some_and(|e| e.to_string().contains("loopback")));
        let allowed =
            GuardedResolver { allow_private: true }.resolve(name().unwrap_or_else(|e| panic!("{e}"))).await;
        assert!(allowed.is_ok_and(|mut addrs| addrs.next().is_some_and(|a| a.ip().is_loopback())));
    }

    /// The example of the Standard Webhooks specification's test vectors.
    #[test]
    fn signs_as_the_specification_does() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(secret, id, 1_614_265_330, body).ok().as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }
}
