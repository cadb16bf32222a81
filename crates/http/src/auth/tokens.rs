//! Access tokens (HS256 JWTs) and refresh tokens (opaque, stored hashed).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Utc;
use followup_domain::ids::{ApiKeyId, SessionId, UserId};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const ISSUER: &str = "followup";
pub const AUDIENCE: &str = "followup-api";
/// The shortest accepted signing secret, in bytes.
pub const MIN_SECRET_BYTES: usize = 32;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// Signs and checks access tokens.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl_secs: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], access_ttl_secs: i64) -> Result<Self, String> {
        if secret.len() < MIN_SECRET_BYTES {
            return Err(format!(
                "the JWT secret must be at least {MIN_SECRET_BYTES} bytes (it has {})",
                secret.len()
            ));
        }
        // Only HS256; signature, exp, nbf, iss and aud are all required and checked.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = 5;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl_secs,
        })
    }

    pub fn issue(&self, user: UserId, session: SessionId) -> Result<String, String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.as_uuid(),
            sid: session.as_uuid(),
            iat: now,
            nbf: now,
            exp: now + self.access_ttl_secs,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(|e| e.to_string())
    }

    /// The claims of a valid token; `None` for anything else (the reason is
    /// logged at debug level only: clients get one generic 401).
    pub fn check(&self, token: &str) -> Option<Claims> {
        match decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Some(data.claims),
            Err(e) => {
                tracing::debug!(reason = %e, "access token refused");
                None
            }
        }
    }
}

/// What a request's `Authorization` header holds, decided once per request:
/// the first reader (the idempotency middleware or an extractor) verifies the
/// token and keeps the outcome in the request's extensions for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    /// No `Authorization: Bearer <token>` header.
    Missing,
    /// A bearer token that is neither a valid access token nor shaped as an API key.
    Invalid,
    /// A valid access token (its session is checked separately).
    Valid { user: UserId, session: SessionId },
    /// An API key (`fuk_…`): its id and the hash of its secret, checked
    /// against the database with the rest of the request's work.
    Key { id: ApiKeyId, secret_hash: String },
}

/// The request's [`TokenCheck`], verifying the token on first use only.
pub fn check_request(req: &actix_web::HttpRequest, keys: &TokenKeys) -> TokenCheck {
    use actix_web::HttpMessage;
    if let Some(done) = req.extensions().get::<TokenCheck>() {
        return done.clone();
    }
    let check = match bearer(req.headers()) {
        None => TokenCheck::Missing,
        Some(token) => match followup_domain::api_keys::parse_key(token) {
            Some((id, secret)) => TokenCheck::Key { id, secret_hash: secret_hash(secret) },
            None => keys.check(token).map_or(TokenCheck::Invalid, |claims| TokenCheck::Valid {
                user: UserId::from_uuid(claims.sub),
                session: SessionId::from_uuid(claims.sid),
            }),
        },
    };
    req.extensions_mut().insert(check.clone());
    check
}

/// The token of an `Authorization: Bearer <token>` header (scheme in any case).
fn bearer(headers: &actix_web::http::header::HeaderMap) -> Option<&str> {
    let value = headers.get(actix_web::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A new opaque secret token (256 random bits, base64url): a refresh token,
/// an invitation or reset token, an API key's secret.
pub fn new_secret_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored for a secret token: its SHA-256, hex. The token itself is
/// 256 random bits, so a fast hash is enough (no dictionary to attack).
pub fn secret_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A new random signing secret for the database-kept default.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
