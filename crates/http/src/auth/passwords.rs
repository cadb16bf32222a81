//! Password hashing with argon2id (the crate's defaults: 19 MiB, 2 passes,
//! 1 lane — OWASP's recommended minimum).

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;
use rand::distr::{Alphanumeric, SampleString};

/// Hash a password into a PHC string (`$argon2id$v=19$…`).
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Check a password against a stored PHC string. A malformed hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A random password for new accounts: 20 letters and digits (~119 bits).
pub fn generate() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 20)
}

/// Verifies against a hash of a random password so that a login for an
/// unknown e-mail costs the same time as one with a wrong password.
pub struct DummyHash(String);

impl DummyHash {
    pub fn new() -> Result<Self, String> {
        hash(&generate()).map(Self)
    }

    pub fn burn(&self, password: &str) {
        let _ = verify(password, &self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("kupang-rehab-2023").unwrap_or_default();
        let b = hash("kupang-rehab-2023").unwrap_or_default();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "salted");
        assert!(verify("kupang-rehab-2023", &a));
        assert!(!verify("kupang-rehab-2024", &a));
        assert!(!verify("anything", "not a hash"));
        assert_eq!(generate().len(), 20);
    }
}
