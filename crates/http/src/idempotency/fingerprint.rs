//! The fingerprint that tells a retry from another request under the same key.

use sha2::{Digest, Sha256};

/// The key of the request fingerprints: 64 bytes (SHA-256's block) made
/// from a server secret that is kept in the database, never in a response.
#[derive(Clone)]
pub struct RequestHashKey([u8; 64]);

impl RequestHashKey {
    pub fn from_secret(secret: &str) -> Self {
        use sha2::Sha512;
        Self(Sha512::digest(secret.as_bytes()).into())
    }
}

impl std::fmt::Debug for RequestHashKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestHashKey(***)")
    }
}

/// The request's fingerprint: HMAC-SHA256 under the server's
/// [`RequestHashKey`] over method, path with query and body, each prefixed
/// with its length so no two requests run together. Keyed, because bodies
/// hold passwords: a database reader cannot test a guess without the key.
pub fn request_hash(key: &RequestHashKey, method: &str, path_and_query: &str, body: &[u8]) -> String {
    use hmac::digest::KeyInit;
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<Sha256> as KeyInit>::new(&key.0.into());
    for part in [method.as_bytes(), path_and_query.as_bytes(), body] {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}
