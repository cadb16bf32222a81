//! Evidence files: where their bytes are kept ([`store`]), what is taken and
//! how images are cleaned ([`inspect`]), and signed download links.

pub mod heif;
pub mod ingest;
pub mod inspect;
pub mod store;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use followup_domain::ids::AttachmentId;
use followup_persistence::repo::Unstored;

/// The file store and its rules, shared by every worker.
pub struct Files {
    pub store: store::FileStore,
    /// The largest file taken, in bytes.
    pub max_file_bytes: u64,
    /// What a programme's files may take together, in bytes.
    pub quota_bytes: i64,
    /// How long a signed download link works.
    pub link_ttl: chrono::Duration,
    /// How long an unfinished resumable upload is kept.
    pub upload_ttl: chrono::Duration,
    link_key: [u8; 32],
}

impl Files {
    /// `server_secret`: a secret every instance shares (the links one
    /// instance signs, another checks).
    pub fn new(
        store: store::FileStore,
        max_file_bytes: u64,
        quota_bytes: i64,
        link_ttl: chrono::Duration,
        server_secret: &str,
    ) -> Self {
        let mut key = Sha256::new();
        key.update(b"followup download links\0");
        key.update(server_secret.as_bytes());
        Self {
            store,
            max_file_bytes,
            quota_bytes,
            link_ttl,
            upload_ttl: chrono::Duration::hours(24),
            link_key: key.finalize().into(),
        }
    }

    /// Keep unfinished uploads this long.
    pub fn with_upload_ttl(mut self, ttl: chrono::Duration) -> Self {
        self.upload_ttl = ttl;
        self
    }

    /// Remove the bytes of files whose records a committed transaction
    /// removed; what fails is left to the sweeper.
    pub async fn remove_unstored(&self, unstored: impl Leftover) {
        for key in unstored.keys() {
            if let Err(e) = self.store.remove(&key).await {
                tracing::warn!(%key, error = %e, "could not remove a file's bytes; the sweeper will");
            }
        }
    }

    fn signature(&self, id: AttachmentId, expires: i64, what: Served) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.link_key) else { return String::new() };
        mac.update(format!("{}:{expires}:{}", id.as_uuid(), what.segment()).as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// A link to `what` of file `id` that works without a token until it
    /// expires: the path and query, and when it expires.
    pub fn signed_link(
        &self,
        id: AttachmentId,
        what: Served,
        now: chrono::DateTime<chrono::Utc>,
    ) -> (String, chrono::DateTime<chrono::Utc>) {
        let expires_at = now + self.link_ttl;
        let expires = expires_at.timestamp();
        let link = format!(
            "/api/v1/attachments/{}/{}?expires={expires}&signature={}",
            id.as_uuid(),
            what.segment(),
            self.signature(id, expires, what)
        );
        (link, chrono::DateTime::from_timestamp(expires, 0).unwrap_or(expires_at))
    }

    /// Whether a link's `expires` and `signature` are this server's for
    /// `what` of `id` and still good at `now`.
    pub fn link_holds(
        &self,
        id: AttachmentId,
        what: Served,
        expires: i64,
        signature: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> bool {
        let expected = self.signature(id, expires, what);
        let same: bool = subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), signature.as_bytes()).into();
        same && !expected.is_empty() && now.timestamp() <= expires
    }
}

/// What of a file is served: its bytes, or an image's preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    Content,
    Preview,
}

impl Served {
    /// Its path segment, `/attachments/{id}/<segment>`.
    pub fn segment(self) -> &'static str {
        match self {
            Served::Content => "content",
            Served::Preview => "preview",
        }
    }
}

/// What a deletion leaves in the file store: nothing, or the bytes of the
/// files it removed with their parent.
pub trait Leftover {
    fn keys(self) -> Vec<String>;
}

impl Leftover for () {
    fn keys(self) -> Vec<String> {
        Vec::new()
    }
}

impl Leftover for Unstored {
    fn keys(self) -> Vec<String> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_bound_to_its_file_and_its_expiry() {
        let Ok(store) = store::FileStore::from_url("memory://") else { panic!("no memory store") };
        let files = Files::new(store, 10, 10, chrono::Duration::minutes(15), "secret");
        let (id, other) = (AttachmentId::new(), AttachmentId::new());
        let now = chrono::Utc::now();
        let (link, expires_at) = files.signed_link(id, Served::Content, now);
        let query = link.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let pairs: std::collections::HashMap<_, _> =
            form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let expires: i64 = pairs.get("expires").and_then(|e| e.parse().ok()).unwrap_or_default();
        let signature = pairs.get("signature").cloned().unwrap_or_default();
        assert_eq!(expires, expires_at.timestamp());
        assert!(files.link_holds(id, Served::Content, expires, &signature, now));
        assert!(!files.link_holds(id, Served::Preview, expires, &signature, now), "bound to what it serves");
        assert!(!files.link_holds(other, Served::Content, expires, &signature, now), "bound to the file");
        assert!(!files.link_holds(id, Served::Content, expires + 60, &signature, now), "bound to its expiry");
        assert!(
            !files.link_holds(id, Served::Content, expires, &signature, now + chrono::Duration::minutes(16)),
            "expires"
        );
        let other_server = Files::new(
            store::FileStore::from_url("memory://").unwrap_or_else(|_| panic!()),
            10,
            10,
            chrono::Duration::minutes(15),
            "another",
        );
        assert!(
            !other_server.link_holds(id, Served::Content, expires, &signature, now),
            "bound to the server's secret"
        );
    }
}
