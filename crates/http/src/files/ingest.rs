//! Taking a file in: sniffed from its first bytes, an image cleaned whole
//! (with its preview), anything else streamed to the store while its size
//! and SHA-256 are counted; then recorded on its parent, or its bytes
//! removed when the record is refused. Shared by the single-request upload
//! and the resumable (tus) one.

use actix_web::http::StatusCode;
use actix_web::web;
use bytes::BytesMut;
use followup_domain::attachments::{sanitise_file_name, unsupported_type, Attachment};
use followup_domain::ids::AttachmentId;
use followup_persistence::repo::attachments::{self as repo, Parent, Recorded, StoredFile};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::{inspect, Files};
use crate::db;
use crate::problem::ApiError;
use crate::AppState;

pub(crate) fn files_of(state: &AppState) -> Result<&Files, ApiError> {
    state.files.as_ref().ok_or_else(|| ApiError::internal(&"no file store configured"))
}

pub(crate) fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        "File too large",
        format!("A file may be at most {} MB ({limit} bytes).", limit / 1_000_000),
    )
    .arg("limit", limit)
    .arg("limit_mb", limit / 1_000_000)
}

pub(crate) fn over_quota(quota: i64, used: i64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "quota_exceeded",
        "Programme storage full",
        format!(
            "This file would take the programme's files past its quota of {} MB ({} MB used). Remove files no longer needed or ask an administrator to raise FOLLOWUP_PROGRAM_QUOTA_MB.",
            quota / 1_000_000,
            used / 1_000_000
        ),
    )
    .arg("quota_mb", quota / 1_000_000)
    .arg("used_mb", used / 1_000_000)
}

pub(crate) fn unreadable(e: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request("bad_body", format!("The body could not be read: {e}"))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A file wholly stored (not yet recorded): what its bytes are and where.
pub(crate) struct Ingest {
    id: AttachmentId,
    kind: followup_domain::attachments::FileKind,
    key: String,
    size: usize,
    sha256: String,
    dimensions: Option<(u32, u32)>,
    preview_key: Option<String>,
}

impl Ingest {
    /// Store a file from `stream`: sniffed from its first bytes (422 for a
    /// kind not taken), cleaned whole if an image, else streamed to the
    /// store while its size (413 past the limit) and SHA-256 are counted.
    pub(crate) async fn from_stream<S, E>(files: &Files, mut stream: S) -> Result<Self, ApiError>
    where
        S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let limit = usize::try_from(files.max_file_bytes).unwrap_or(usize::MAX);
        let mut head = BytesMut::new();
        while head.len() < inspect::SNIFF_BYTES {
            match stream.next().await {
                Some(chunk) => head.extend_from_slice(&chunk.map_err(unreadable)?),
                None => break,
            }
            if head.len() > limit {
                return Err(too_large(files.max_file_bytes));
            }
        }
        if head.is_empty() {
            return Err(ApiError::validation(vec![followup_domain::FieldError::new(
                "file", "required", "is empty",
            )]));
        }
        let kind =
            inspect::sniff(&head).map_err(|found| ApiError::validation(vec![unsupported_type(found)]))?;
        let id = AttachmentId::new();
        let key = files.store.key(&id.as_uuid().to_string());
        if kind.is_image() {
            let mut whole = head;
            while let Some(chunk) = stream.next().await {
                whole.extend_from_slice(&chunk.map_err(unreadable)?);
                if whole.len() > limit {
                    return Err(too_large(files.max_file_bytes));
                }
            }
            let cleaned = web::block(move || inspect::clean_image(kind, whole.freeze()))
                .await
                .map_err(|e| ApiError::internal(&e))?
                .ok_or_else(|| ApiError::validation(vec![unsupported_type(Some(kind.content_type()))]))?;
            let sha256 = hex(&Sha256::digest(&cleaned.bytes));
            let size = cleaned.bytes.len();
            let preview_key = match cleaned.preview {
                Some(preview) => {
                    let preview_key = files.store.key(&format!("{}.preview", id.as_uuid()));
                    files.store.put(&preview_key, preview).await.map_err(|e| ApiError::internal(&e))?;
                    Some(preview_key)
                }
                None => None,
            };
            files.store.put(&key, cleaned.bytes).await.map_err(|e| ApiError::internal(&e))?;
            let dimensions = cleaned.dimensions;
            return Ok(Self { id, kind, key, size, sha256, dimensions, preview_key });
        }
        let mut writer = files.store.writer(&key).await.map_err(|e| ApiError::internal(&e))?;
        let mut hasher = Sha256::new();
        let mut size = head.len();
        hasher.update(&head);
        let mut written = writer.write(&head).await;
        while written.is_ok() {
            let Some(chunk) = stream.next().await else { break };
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(e) => {
                    writer.abort().await;
                    return Err(unreadable(e));
                }
            };
            size += chunk.len();
            if size > limit {
                writer.abort().await;
                return Err(too_large(files.max_file_bytes));
            }
            hasher.update(&chunk);
            written = writer.write(&chunk).await;
        }
        if let Err(e) = written {
            writer.abort().await;
            return Err(ApiError::internal(&e));
        }
        writer.finish().await.map_err(|e| ApiError::internal(&e))?;
        Ok(Self { id, kind, key, size, sha256: hex(&hasher.finalize()), dimensions: None, preview_key: None })
    }
}

/// Record a stored file on `parent` (the parent and the quota checked
/// again); its bytes are removed when the record is refused.
pub(crate) async fn record_file(
    state: &AppState,
    files: &Files,
    actor: followup_domain::Actor,
    parent: Parent,
    file_name: &str,
    file: Ingest,
) -> Result<Attachment, ApiError> {
    let keys: Vec<String> = file.preview_key.iter().cloned().chain([file.key.clone()]).collect();
    let stored = StoredFile {
        id: file.id,
        file_name: sanitise_file_name(file_name),
        content_type: file.kind.content_type().to_owned(),
        size_bytes: i64::try_from(file.size).unwrap_or(i64::MAX),
        sha256: file.sha256,
        width: file.dimensions.and_then(|(w, _)| i32::try_from(w).ok()),
        height: file.dimensions.and_then(|(_, h)| i32::try_from(h).ok()),
        storage_key: file.key,
        preview_key: file.preview_key,
    };
    let quota = files.quota_bytes;
    let refused = match db::write(state, move |c| repo::record(c, &actor, parent, &stored, quota)).await {
        Ok(Recorded::Stored(a)) => return Ok(a),
        Ok(Recorded::OverQuota { used }) => over_quota(files.quota_bytes, used),
        Err(e) => e,
    };
    for key in keys {
        if let Err(e) = files.store.remove(&key).await {
            tracing::warn!(%key, error = %e, "could not remove a refused upload; the sweeper will");
        }
    }
    Err(refused)
}
