//! Resumable uploads by the tus 1.0 protocol (core, creation,
//! creation-with-upload, termination, expiration, checksum), for phones on
//! weak links: `POST /{parent}/{id}/uploads` starts one (`Upload-Length`,
//! `Upload-Metadata: filename <base64>`), `HEAD /uploads/{id}` tells how
//! much arrived, `PATCH /uploads/{id}` sends more from `Upload-Offset`
//! (an interrupted PATCH keeps what it received), `DELETE /uploads/{id}`
//! gives up. When the last byte arrives the file is checked, cleaned and
//! recorded as for a single-request upload; the answer names it
//! (`Followup-Attachment-Id`, `Content-Location`).

use actix_web::http::header::HeaderMap;
use actix_web::http::StatusCode;
use actix_web::{delete, head, options, patch, post, web, HttpRequest, HttpResponse, HttpResponseBuilder};
use base64::Engine;
use bytes::Bytes;
use followup_domain::values::AttachmentParent;
use followup_persistence::repo::attachments::Parent;
use followup_persistence::repo::uploads::{self as repo, Upload};
use futures_util::StreamExt;
use sha2::Digest;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CheckedCaller;
use crate::db;
use crate::files::ingest::{files_of, record_file, too_large, Ingest};
use crate::files::Files;
use crate::problem::{ApiError, Problem};
use crate::AppState;

const TUS_VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,termination,expiration,checksum";
const CHECKSUMS: &str = "sha1,sha256";
const OFFSET_CONTENT_TYPE: &str = "application/offset+octet-stream";

fn tus(builder: &mut HttpResponseBuilder) -> &mut HttpResponseBuilder {
    builder.insert_header(("Tus-Resumable", TUS_VERSION)).insert_header(("Cache-Control", "no-store"))
}

/// An HTTP date (RFC 9110 IMF-fixdate: a two-digit day, `GMT`).
fn http_date(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim)
}

/// 412 for a client that does not speak tus 1.0.0.
fn require_tus(req: &HttpRequest) -> Result<(), ApiError> {
    if header(req.headers(), "Tus-Resumable") == Some(TUS_VERSION) {
        return Ok(());
    }
    Err(ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        "tus_version",
        "Unsupported tus version",
        "Send Tus-Resumable: 1.0.0 (this server speaks tus 1.0.0).",
    )
    .with_header("Tus-Version", TUS_VERSION))
}

fn number(headers: &HeaderMap, name: &'static str) -> Result<Option<i64>, ApiError> {
    match header(headers, name) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
            ApiError::bad_request("invalid_tus_header", format!("{name} must be a non-negative integer."))
        }),
    }
}

/// The `filename` of an `Upload-Metadata` header (`key base64,key base64`).
fn file_name(headers: &HeaderMap) -> String {
    header(headers, "Upload-Metadata")
        .into_iter()
        .flat_map(|m| m.split(','))
        .filter_map(|pair| pair.trim().split_once(' '))
        .find(|(key, _)| *key == "filename" || *key == "name")
        .and_then(|(_, value)| base64::engine::general_purpose::STANDARD.decode(value).ok())
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .unwrap_or_else(|| "file".to_owned())
}

/// A chunk's declared checksum (`Upload-Checksum: sha256 <base64>`).
enum Checksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

fn checksum(headers: &HeaderMap) -> Result<Option<Checksum>, ApiError> {
    let Some(value) = header(headers, "Upload-Checksum") else { return Ok(None) };
    let bad = || {
        ApiError::bad_request(
            "invalid_tus_header",
            format!("Upload-Checksum must name one of {CHECKSUMS} and a base64 digest."),
        )
    };
    let (algorithm, digest) = value.split_once(' ').ok_or_else(bad)?;
    let digest = base64::engine::general_purpose::STANDARD.decode(digest.trim()).map_err(|_| bad())?;
    match algorithm {
        "sha1" => Ok(Some(Checksum::Sha1(digest))),
        "sha256" => Ok(Some(Checksum::Sha256(digest))),
        _ => Err(bad()),
    }
}

fn part_prefix(files: &Files, upload: Uuid) -> String {
    files.store.upload_key(&upload.to_string())
}

/// Receive bytes from `payload` into a new part of `upload` at its offset:
/// stored as far as they came (an interrupted request keeps what arrived),
/// checked against `expected` when the client sent a checksum. Returns the
/// new offset.
async fn receive(
    state: &AppState,
    files: &Files,
    upload: &Upload,
    expected: Option<Checksum>,
    mut payload: web::Payload,
) -> Result<i64, ApiError> {
    let key = format!("{}/{:020}", part_prefix(files, upload.id), upload.offset);
    let room = usize::try_from(upload.length - upload.offset).unwrap_or(0);
    let mut writer = files.store.writer(&key).await.map_err(|e| ApiError::internal(&e))?;
    let (mut sha1, mut sha256) = (sha1::Sha1::new(), sha2::Sha256::new());
    let mut received = 0usize;
    let mut cut = false;
    while let Some(chunk) = payload.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(_) => {
                cut = true;
                break;
            }
        };
        received += chunk.len();
        if received > room {
            writer.abort().await;
            return Err(ApiError::bad_request("upload_too_long", "The bytes sent go past Upload-Length."));
        }
        sha1.update(&chunk);
        sha256.update(&chunk);
        if let Err(e) = writer.write(&chunk).await {
            writer.abort().await;
            return Err(ApiError::internal(&e));
        }
    }
    let matches = match &expected {
        None => true,
        Some(Checksum::Sha1(d)) => sha1.finalize()[..] == d[..],
        Some(Checksum::Sha256(d)) => sha256.finalize()[..] == d[..],
    };
    if received == 0 || !matches || (cut && expected.is_some()) {
        writer.abort().await;
        if !matches && !cut {
            return Err(ApiError::new(
                StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
                "checksum_mismatch",
                "Checksum mismatch",
                "The bytes received do not match Upload-Checksum; send them again.",
            ));
        }
        return Ok(upload.offset);
    }
    writer.finish().await.map_err(|e| ApiError::internal(&e))?;
    let to = upload.offset + i64::try_from(received).unwrap_or(i64::MAX);
    let (id, from) = (upload.id, upload.offset);
    if !db::write(state, move |c| repo::advance(c, id, from, to)).await? {
        let _ = files.store.remove(&key).await;
        return Err(offset_conflict());
    }
    Ok(to)
}

fn offset_conflict() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "offset_mismatch",
        "Conflict",
        "Upload-Offset is not where the upload stands: ask with HEAD and send from there.",
    )
}

/// The upload is whole: its parts become one file, checked, cleaned and
/// recorded on its parent; the parts and the upload are forgotten.
async fn complete(
    state: &AppState,
    files: &Files,
    actor: followup_domain::Actor,
    upload: &Upload,
) -> Result<Uuid, ApiError> {
    let prefix = part_prefix(files, upload.id);
    let mut parts = files.store.list_under(&prefix).await.map_err(|e| ApiError::internal(&e))?;
    parts.sort();
    let store = files.store.clone();
    let reading = parts.clone();
    let stream = futures_util::stream::iter(reading)
        .then(move |key| {
            let store = store.clone();
            async move { store.read(&key).await.map(|(_, s)| s).map_err(std::io::Error::other) }
        })
        .map(|opened| match opened {
            Ok(stream) => stream,
            Err(e) => futures_util::stream::once(async move { Err::<Bytes, _>(e) }).boxed(),
        })
        .flatten()
        .boxed();
    let ingested = Ingest::from_stream(files, stream).await;
    for part in &parts {
        let _ = files.store.remove(part).await;
    }
    let id = upload.id;
    db::write(state, move |c| repo::forget(c, id)).await?;
    let stored = ingested?;
    let attachment = record_file(state, files, actor, upload.parent, &upload.file_name, stored).await?;
    Ok(attachment.id.as_uuid())
}

macro_rules! creation {
    ($name:ident, $path:literal, $kind:expr, $what:literal, $doc:literal) => {
        #[doc = $doc]
        ///
        /// `Upload-Length` (at most the file limit) and `Upload-Metadata`
        /// (`filename` in base64) are required, with `Tus-Resumable: 1.0.0`;
        /// bytes may come in the same request
        /// (`Content-Type: application/offset+octet-stream`). The upload is
        /// yours, lives 24 hours (`Upload-Expires`), and becomes an
        /// attachment when its last byte arrives.
        #[utoipa::path(
            tag = "attachments",
            params(
                ("id" = Uuid, Path, description = concat!("The ", $what, "'s id")),
                ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
                ("Upload-Length" = i64, Header, description = "The file's size in bytes"),
                ("Upload-Metadata" = Option<String>, Header, description = "`filename <base64>`"),
            ),
            request_body(content = Option<crate::dto::FileBytes>, content_type = "application/offset+octet-stream", description = "Optionally, the first bytes"),
            security(("bearer" = [])),
            responses(
                (status = 201, description = "Started; `Location` is the upload", headers(("Location" = String), ("Upload-Offset" = i64), ("Upload-Expires" = String))),
                (status = 403, description = "Not allowed to attach here", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = concat!("No such ", $what, ", or not visible to you"), body = Problem, content_type = "application/problem+json"),
                (status = 412, description = "No `Tus-Resumable: 1.0.0`", body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "`Upload-Length` over the file limit", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($path)]
        pub async fn $name(
            req: HttpRequest,
            caller: CheckedCaller,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            payload: web::Payload,
        ) -> Result<HttpResponse, ApiError> {
            create(req, caller.0, state, Parent { kind: $kind, id: id.into_inner() }, payload).await
        }
    };
}

creation!(
    start_check_in_upload,
    "/check-ins/{id}/uploads",
    AttachmentParent::CheckIn,
    "check-in",
    "Start a resumable upload to a check-in (tus creation)."
);
creation!(
    start_activity_upload,
    "/activities/{id}/uploads",
    AttachmentParent::Activity,
    "activity",
    "Start a resumable upload to an activity (tus creation)."
);
creation!(
    start_measurement_upload,
    "/measurements/{id}/uploads",
    AttachmentParent::Measurement,
    "measurement",
    "Start a resumable upload to a measurement (tus creation)."
);
creation!(
    start_comment_upload,
    "/comments/{id}/uploads",
    AttachmentParent::Comment,
    "comment",
    "Start a resumable upload to a comment (tus creation)."
);

async fn create(
    req: HttpRequest,
    actor: followup_domain::Actor,
    state: web::Data<AppState>,
    parent: Parent,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    let files = files_of(&state)?;
    let length = number(req.headers(), "Upload-Length")?.ok_or_else(|| {
        ApiError::bad_request(
            "invalid_tus_header",
            "Upload-Length is required (deferred lengths are not taken).",
        )
    })?;
    if length == 0 {
        return Err(ApiError::bad_request(
            "invalid_tus_header",
            "Upload-Length must be at least 1: an empty file is not evidence.",
        ));
    }
    if u64::try_from(length).unwrap_or(u64::MAX) > files.max_file_bytes {
        return Err(too_large(files.max_file_bytes));
    }
    let name = file_name(req.headers());
    let lifetime = files.upload_ttl;
    let upload = db::write(&state, move |c| repo::create(c, &actor, parent, &name, length, lifetime)).await?;
    let location = format!("/api/v1/uploads/{}", upload.id);
    let with_bytes = header(req.headers(), "Content-Type") == Some(OFFSET_CONTENT_TYPE);
    let mut offset = 0;
    let mut done = None;
    if with_bytes {
        let received = match checksum(req.headers()) {
            Ok(expected) => receive(&state, files, &upload, expected, payload).await,
            Err(e) => Err(e),
        };
        // A creation whose first bytes are refused leaves no upload behind.
        offset = match received {
            Ok(offset) => offset,
            Err(e) => {
                let id = upload.id;
                db::write(&state, move |c| repo::forget(c, id)).await?;
                remove_parts(files, id).await;
                return Err(e);
            }
        };
        if offset == upload.length {
            done = Some(complete(&state, files, actor, &Upload { offset, ..upload.clone() }).await?);
        }
    }
    let mut response = HttpResponse::Created();
    tus(&mut response)
        .insert_header(("Location", location))
        .insert_header(("Upload-Offset", offset.to_string()))
        .insert_header(("Upload-Expires", http_date(upload.expires_at)))
        .insert_header(("Tus-Extension", EXTENSIONS))
        .insert_header(("Tus-Checksum-Algorithm", CHECKSUMS))
        .insert_header(("Tus-Max-Size", files.max_file_bytes.to_string()));
    if let Some(attachment) = done {
        named(&mut response, attachment);
    }
    Ok(response.finish())
}

fn named(response: &mut HttpResponseBuilder, attachment: Uuid) {
    response
        .insert_header(("Followup-Attachment-Id", attachment.to_string()))
        .insert_header(("Content-Location", format!("/api/v1/attachments/{attachment}")));
}

/// How much of an upload has arrived (tus core): `Upload-Offset` and
/// `Upload-Length`. Only its creator sees it.
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Upload id"), ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Where the upload stands", headers(("Upload-Offset" = i64), ("Upload-Length" = i64), ("Upload-Expires" = String))),
        (status = 404, description = "No such upload of yours (finished, terminated or expired)"),
    )
)]
#[head("/uploads/{id}")]
pub async fn upload_offset(
    req: HttpRequest,
    caller: CheckedCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    let (actor, id) = (caller.0, id.into_inner());
    let upload = db::read(&state, move |c| repo::get(c, &actor, id)).await?;
    let mut response = HttpResponse::Ok();
    tus(&mut response)
        .insert_header(("Upload-Offset", upload.offset.to_string()))
        .insert_header(("Upload-Length", upload.length.to_string()))
        .insert_header(("Upload-Expires", http_date(upload.expires_at)));
    Ok(response.finish())
}

/// Send more bytes (tus core): from `Upload-Offset`, which must be where
/// the upload stands (409 otherwise), as
/// `Content-Type: application/offset+octet-stream`, optionally with
/// `Upload-Checksum` (`sha1` or `sha256`; 460 when it does not match, and
/// nothing is kept). An interrupted request keeps what arrived. The last
/// byte makes the attachment (`Followup-Attachment-Id`).
#[utoipa::path(
    tag = "attachments",
    params(
        ("id" = Uuid, Path, description = "Upload id"),
        ("Tus-Resumable" = String, Header, description = "`1.0.0`"),
        ("Upload-Offset" = i64, Header, description = "Where these bytes start"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha256 <base64 digest>` of these bytes"),
    ),
    request_body(content = inline(crate::dto::FileBytes), content_type = "application/offset+octet-stream"),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Received", headers(("Upload-Offset" = i64), ("Followup-Attachment-Id" = Option<String>))),
        (status = 404, description = "No such upload of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`offset_mismatch`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not `application/offset+octet-stream`", body = Problem, content_type = "application/problem+json"),
        (status = 460, description = "`checksum_mismatch`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/uploads/{id}")]
pub async fn upload_bytes(
    req: HttpRequest,
    caller: CheckedCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    if header(req.headers(), "Content-Type") != Some(OFFSET_CONTENT_TYPE) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "Send the bytes as application/offset+octet-stream.",
        )
        .key("unsupported_media_type.tus"));
    }
    files_of(&state)?;
    let (actor, id) = (caller.0, id.into_inner());
    let offset = number(req.headers(), "Upload-Offset")?
        .ok_or_else(|| ApiError::bad_request("invalid_tus_header", "Upload-Offset is required."))?;
    let expected = checksum(req.headers())?;
    let upload = db::read(&state, move |c| repo::get(c, &actor, id)).await?;
    if offset != upload.offset {
        return Err(offset_conflict());
    }
    // In a task of its own: when the connection drops mid-request, what
    // arrived is still stored and counted.
    let st = state.clone();
    let task = actix_web::rt::spawn(async move {
        let files = files_of(&st)?;
        let offset = receive(&st, files, &upload, expected, payload).await?;
        let done = match offset == upload.length {
            true => Some(complete(&st, files, actor, &Upload { offset, ..upload }).await?),
            false => None,
        };
        Ok::<_, ApiError>((offset, done))
    });
    let (offset, done) = task.await.map_err(|e| ApiError::internal(&e))??;
    let mut response = HttpResponse::NoContent();
    tus(&mut response).insert_header(("Upload-Offset", offset.to_string()));
    if let Some(attachment) = done {
        named(&mut response, attachment);
    }
    Ok(response.finish())
}

/// Give an upload up (tus termination): its bytes are removed.
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Upload id"), ("Tus-Resumable" = String, Header, description = "`1.0.0`")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Terminated"),
        (status = 404, description = "No such upload of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/uploads/{id}")]
pub async fn terminate_upload(
    req: HttpRequest,
    caller: CheckedCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    require_tus(&req)?;
    let files = files_of(&state)?;
    let (actor, id) = (caller.0, id.into_inner());
    db::read(&state, move |c| repo::get(c, &actor, id)).await?;
    db::write(&state, move |c| repo::forget(c, id)).await?;
    remove_parts(files, id).await;
    let mut response = HttpResponse::NoContent();
    tus(&mut response);
    Ok(response.finish())
}

/// Remove whatever parts an upload has in the store.
pub async fn remove_parts(files: &Files, upload: Uuid) {
    match files.store.list_under(&part_prefix(files, upload)).await {
        Ok(parts) => {
            for part in parts {
                if let Err(e) = files.store.remove(&part).await {
                    tracing::warn!(%part, error = %e, "could not remove an upload's part");
                }
            }
        }
        Err(e) => tracing::warn!(%upload, error = %e, "could not list an upload's parts"),
    }
}

/// What this server's tus speaks (tus core's discovery): versions,
/// extensions, checksum algorithms and the largest upload. Needs no token.
#[utoipa::path(
    tag = "attachments",
    responses(
        (status = 204, description = "This server's tus configuration", headers(
            ("Tus-Resumable" = String, description = "`1.0.0`"),
            ("Tus-Version" = String, description = "`1.0.0`"),
            ("Tus-Extension" = String, description = "`creation,creation-with-upload,termination,expiration,checksum`"),
            ("Tus-Checksum-Algorithm" = String, description = "`sha1,sha256`"),
            ("Tus-Max-Size" = i64, description = "The largest file taken, in bytes"),
        )),
    )
)]
#[options("/uploads")]
pub async fn upload_options(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let files = files_of(&state)?;
    let mut response = HttpResponse::NoContent();
    tus(&mut response)
        .insert_header(("Tus-Version", TUS_VERSION))
        .insert_header(("Tus-Extension", EXTENSIONS))
        .insert_header(("Tus-Checksum-Algorithm", CHECKSUMS))
        .insert_header(("Tus-Max-Size", files.max_file_bytes.to_string()));
    Ok(response.finish())
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload_options)
        .service(start_check_in_upload)
        .service(start_activity_upload)
        .service(start_measurement_upload)
        .service(start_comment_upload)
        .service(upload_offset)
        .service(upload_bytes)
        .service(terminate_upload);
}
