//! API keys for integrators (a programme office's messaging gateway, a
//! funder's M&E system): a key reads one programme as an observer of it
//! does — every plan but drafts, the figures, never a mentors-only comment —
//! through its own service account, which never signs in as a person; a key
//! with the `webhooks` scope also manages the programme's webhooks. No key
//! sees a `mentors` comment. Only a hash of its secret is kept; it is shown
//! once and revoked at once.

use chrono::{DateTime, Utc};

use crate::ids::{ApiKeyId, ProgramId, UserId};
use crate::values::ApiKeyScope;

/// The prefix of every API key's secret, so a key is recognised (and found
/// by secret scanners) at a glance: `fuk_<key id>_<secret>`.
pub const KEY_PREFIX: &str = "fuk_";

#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub program_id: ProgramId,
    /// The key's service account (an observer of the programme).
    pub user_id: UserId,
    pub name: String,
    /// What it may do; always `read`.
    pub scopes: Vec<ApiKeyScope>,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    /// When the key last authenticated a request (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key to create for a programme.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    pub id: ApiKeyId,
    pub program_id: ProgramId,
    pub name: String,
    pub scopes: Vec<ApiKeyScope>,
}

/// The scopes a key holds, in one order, each once, `read` always among
/// them.
pub fn normalise_scopes(asked: &[ApiKeyScope]) -> Vec<ApiKeyScope> {
    ApiKeyScope::ALL.iter().copied().filter(|s| *s == ApiKeyScope::Read || asked.contains(s)).collect()
}

/// A key's bearer secret: `fuk_<key id, 32 hex digits>_<secret>`.
pub fn format_key(id: ApiKeyId, secret: &str) -> String {
    format!("{KEY_PREFIX}{}_{secret}", id.as_uuid().simple())
}

/// The key id and secret of a bearer value shaped as an API key; `None` for
/// anything else (an access token, junk).
pub fn parse_key(bearer: &str) -> Option<(ApiKeyId, &str)> {
    let rest = bearer.strip_prefix(KEY_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    if id.len() != 32 || secret.is_empty() {
        return None;
    }
    let id = uuid::Uuid::try_parse(id).ok()?;
    Some((ApiKeyId::from_uuid(id), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_reads_and_scopes_are_kept_once_in_order() {
        assert_eq!(normalise_scopes(&[]), [ApiKeyScope::Read]);
        assert_eq!(
            normalise_scopes(&[ApiKeyScope::Webhooks, ApiKeyScope::Webhooks]),
            [ApiKeyScope::Read, ApiKeyScope::Webhooks]
        );
    }

    #[test]
    fn a_key_reads_back_as_its_id_and_secret() {
        let id = ApiKeyId::new();
        let key = format_key(id, "s3cr3t-with_underscores");
        assert!(key.starts_with("fuk_"));
        assert_eq!(parse_key(&key), Some((id, "s3cr3t-with_underscores")));
        assert_eq!(parse_key("eyJhbGciOiJIUzI1NiJ9.e30.x"), None, "an access token is not a key");
        assert_eq!(parse_key("fuk_1234_secret"), None);
        assert_eq!(parse_key(&format!("fuk_{}_", id.as_uuid().simple())), None);
    }
}
