//! Evidence files on check-ins, activities, measurements and comments:
//! `POST /{parent}/{id}/attachments` takes a file in one request (its bytes
//! as the body, `file_name` in the query), `GET` the same path lists them,
//! `GET /attachments/{id}` reads one, `GET /attachments/{id}/content`
//! downloads it (with a token, or through the signed `download_url` every
//! answer carries, for an `<img src>`), `DELETE /attachments/{id}` removes
//! it. The content type comes from the bytes; images lose their metadata
//! before they are stored; files stream to the store.

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, FromRequest, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use followup_domain::attachments::Attachment;
use followup_domain::ids::AttachmentId;
use followup_domain::values::AttachmentParent;
use followup_persistence::repo::attachments::{self as repo, Parent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::auth::CheckedCaller;
use crate::conditional::IfMatch;
use crate::db;
use crate::dto::PageQuery;
use crate::files::ingest::{files_of, over_quota, record_file, too_large, Ingest};
use crate::files::{Files, Served};
use crate::problem::{ApiError, Problem};
use crate::query::QueryParams;
use crate::AppState;

/// An evidence file.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "01939c4e-5b7a-7c1d-9e2f-3a4b5c6d7e8f", "parent_type": "check_in",
    "parent_id": "01939c4e-1111-7c1d-9e2f-3a4b5c6d7e8f", "plan_id": "01939c4e-2222-7c1d-9e2f-3a4b5c6d7e8f",
    "file_name": "Daftar hadir lingkaran sebaya Kupang.jpg", "content_type": "image/jpeg", "size_bytes": 482113,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "width": 1600, "height": 1200,
    "uploaded_by": "01939c4e-3333-7c1d-9e2f-3a4b5c6d7e8f", "created_at": "2026-12-07T02:14:00Z", "version": 1,
    "download_url": "/api/v1/attachments/01939c4e-5b7a-7c1d-9e2f-3a4b5c6d7e8f/content?expires=1796610000&signature=5d41…",
    "download_url_expires_at": "2026-12-07T02:29:00Z",
    "preview_url": "/api/v1/attachments/01939c4e-5b7a-7c1d-9e2f-3a4b5c6d7e8f/preview?expires=1796610000&signature=7a3c…"
}))]
pub struct AttachmentBody {
    pub id: Uuid,
    pub parent_type: AttachmentParent,
    pub parent_id: Uuid,
    pub plan_id: Uuid,
    /// The uploader's file name, without any directory part or unsafe character.
    pub file_name: String,
    /// What the bytes are (decided from them, not from the uploader).
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the stored bytes, lowercase hex (an image's after its metadata was removed).
    pub sha256: String,
    /// Images only, in pixels.
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub uploaded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
    /// Downloads the file without a token until `download_url_expires_at`
    /// (for an `<img src>`); ask again for a fresh one.
    pub download_url: String,
    pub download_url_expires_at: DateTime<Utc>,
    /// An image's preview (a JPEG at most 320 pixels a side, upright), without
    /// a token until `download_url_expires_at`; null for other files, HEIC
    /// photos and pictures too large to decode.
    pub preview_url: Option<String>,
}

impl AttachmentBody {
    pub(crate) fn of(a: Attachment, files: &Files) -> Self {
        let now = Utc::now();
        let (download_url, download_url_expires_at) = files.signed_link(a.id, Served::Content, now);
        let preview_url = a.has_preview.then(|| files.signed_link(a.id, Served::Preview, now).0);
        Self {
            id: a.id.as_uuid(),
            parent_type: a.parent_type,
            parent_id: a.parent_id,
            plan_id: a.plan_id.as_uuid(),
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            sha256: a.sha256,
            width: a.width,
            height: a.height,
            uploaded_by: a.uploaded_by.map(|u| u.as_uuid()),
            created_at: a.created_at,
            version: a.version,
            download_url,
            download_url_expires_at,
            preview_url,
        }
    }
}

/// The file's name, for a single-request upload.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UploadQuery {
    /// The file's name as the uploader knows it (`Daftar hadir.pdf`).
    pub file_name: String,
}

/// A signed download link's parameters (from `download_url`); without
/// them the request needs a token.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LinkQuery {
    pub expires: Option<i64>,
    pub signature: Option<String>,
}

/// Take a file for `parent` from the request body: checked before a byte
/// is read (who, the declared size, the quota), then stored and recorded.
async fn upload(
    req: HttpRequest,
    actor: followup_domain::Actor,
    state: web::Data<AppState>,
    parent: Parent,
    file_name: &str,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let files = files_of(&state)?;
    let target = db::read(&state, move |c| repo::target(c, &actor, parent)).await?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > files.max_file_bytes) {
        return Err(too_large(files.max_file_bytes));
    }
    let used = db::read(&state, move |c| repo::usage(c, target.program_id)).await?;
    let incoming = i64::try_from(declared.unwrap_or(0)).unwrap_or(i64::MAX);
    if used.saturating_add(incoming) > files.quota_bytes {
        return Err(over_quota(files.quota_bytes, used));
    }
    let stored = Ingest::from_stream(files, payload).await?;
    let attachment = record_file(&state, files, actor, parent, file_name, stored).await?;
    let body = AttachmentBody::of(attachment, files);
    let location = format!("/api/v1/attachments/{}", body.id);
    Ok(crate::conditional::created(location, body.version, &body))
}

macro_rules! parent_endpoints {
    ($list:ident, $upload:ident, $path:literal, $kind:expr, $what:literal, $list_doc:literal, $upload_doc:literal) => {
        #[doc = $list_doc]
        ///
        /// Whoever may see it reads them, oldest first.
        #[utoipa::path(
            tag = "attachments",
            params(("id" = Uuid, Path, description = concat!("The ", $what, "'s id")), PageQuery),
            security(("bearer" = [])),
            responses(
                (status = 200, description = "A page of files", body = crate::paging::PageBody<AttachmentBody>),
                (status = 404, description = concat!("No such ", $what, ", or not visible to you"), body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[get($path)]
        pub async fn $list(
            req: HttpRequest,
            caller: CheckedCaller,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            query: QueryParams<PageQuery>,
        ) -> Result<HttpResponse, ApiError> {
            let page = query.page()?;
            let (actor, parent) = (caller.0, Parent { kind: $kind, id: id.into_inner() });
            let found = db::read(&state, move |c| repo::list(c, &actor, parent, &page)).await?;
            let files = files_of(&state)?;
            Ok(crate::paging::respond(&req, found.map(|a| AttachmentBody::of(a, files))))
        }

        #[doc = $upload_doc]
        ///
        /// In one request: the file's bytes as the body (any `Content-Type`;
        /// what it is is read from the bytes), its name in `file_name`. JPEG,
        /// PNG and WebP images, PDF, and Word, Excel, PowerPoint and
        /// OpenDocument files are taken; an image's location, camera and
        /// other metadata are removed before it is stored. At most
        /// `FOLLOWUP_FILE_MAX_MB` per file and `FOLLOWUP_PROGRAM_QUOTA_MB` per
        /// programme (413 with the limit). Audited.
        #[utoipa::path(
            tag = "attachments",
            params(("id" = Uuid, Path, description = concat!("The ", $what, "'s id")), UploadQuery),
            request_body(content = inline(crate::dto::FileBytes), content_type = "application/octet-stream", description = "The file's bytes"),
            security(("bearer" = [])),
            responses(
                (status = 201, description = "Stored", body = AttachmentBody, headers(("Location" = String), ("ETag" = String))),
                (status = 403, description = "Not allowed to attach here, or the plan is closed", body = Problem, content_type = "application/problem+json"),
                (status = 404, description = concat!("No such ", $what, ", or not visible to you"), body = Problem, content_type = "application/problem+json"),
                (status = 413, description = "`file_too_large` or `quota_exceeded`, with the limit", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "`unsupported_file_type`, an empty body or no `file_name`", body = Problem, content_type = "application/problem+json"),
            )
        )]
        #[post($path)]
        pub async fn $upload(
            req: HttpRequest,
            caller: CheckedCaller,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            query: QueryParams<UploadQuery>,
            payload: web::Payload,
        ) -> Result<HttpResponse, ApiError> {
            let parent = Parent { kind: $kind, id: id.into_inner() };
            upload(req, caller.0, state, parent, &query.file_name, payload).await
        }
    };
}

parent_endpoints!(
    list_check_in_files,
    upload_check_in_file,
    "/check-ins/{id}/attachments",
    AttachmentParent::CheckIn,
    "check-in",
    "A check-in's files.",
    "Attach a file to a check-in (the plan's owner)."
);
parent_endpoints!(
    list_activity_files,
    upload_activity_file,
    "/activities/{id}/attachments",
    AttachmentParent::Activity,
    "activity",
    "An activity's files.",
    "Attach a file to an activity (the plan's owner)."
);
parent_endpoints!(
    list_measurement_files,
    upload_measurement_file,
    "/measurements/{id}/attachments",
    AttachmentParent::Measurement,
    "measurement",
    "A measurement's files.",
    "Attach a file to a measurement (the plan's owner)."
);
parent_endpoints!(
    list_comment_files,
    upload_comment_file,
    "/comments/{id}/attachments",
    AttachmentParent::Comment,
    "comment",
    "A comment's files.",
    "Attach a file to a comment (its author)."
);

/// Read a file's details (whoever may see its parent), with a fresh
/// `download_url`.
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file's details", body = AttachmentBody, headers(("ETag" = String))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such file, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/attachments/{id}")]
pub async fn get_attachment(
    req: HttpRequest,
    caller: CheckedCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (actor, id) = (caller.0, AttachmentId::from_uuid(id.into_inner()));
    let (found, _) = db::read(&state, move |c| repo::get(c, &actor, id)).await?;
    let body = AttachmentBody::of(found, files_of(&state)?);
    Ok(crate::conditional::ok_versioned(&req, body.version, &body))
}

/// Download a file: with a token (whoever may see its parent), or with no
/// token through a signed `download_url` until it expires (403
/// `invalid_download_link` after, or when altered). Streamed;
/// `Content-Disposition: attachment` but for images, which show inline;
/// `X-Content-Type-Options: nosniff` and a sandboxing CSP always.
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id"), LinkQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The file's bytes", content_type = "application/octet-stream", body = inline(crate::dto::FileBytes)),
        (status = 401, description = "No token and no signed link", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`invalid_download_link`: expired or altered", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file, or not visible to you", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/attachments/{id}/content")]
pub async fn download_attachment(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    link: QueryParams<LinkQuery>,
) -> Result<HttpResponse, ApiError> {
    serve(req, state, id.into_inner(), link.0, Served::Content).await
}

/// An image's preview: a JPEG at most 320 pixels a side, turned upright,
/// for lists and galleries on a weak link. With a token, or with no token
/// through the signed `preview_url`; 404 for a file without one (not an
/// image, a HEIC photo, or a picture too large to decode).
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id"), LinkQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The preview", content_type = "image/jpeg", body = inline(crate::dto::FileBytes)),
        (status = 401, description = "No token and no signed link", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`invalid_download_link`: expired or altered", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file, not visible to you, or without a preview", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/attachments/{id}/preview")]
pub async fn preview_attachment(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    link: QueryParams<LinkQuery>,
) -> Result<HttpResponse, ApiError> {
    serve(req, state, id.into_inner(), link.0, Served::Preview).await
}

/// Stream `what` of file `id` to whoever holds a token that may see it or
/// a signed link for it.
async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: Uuid,
    link: LinkQuery,
    what: Served,
) -> Result<HttpResponse, ApiError> {
    let files = files_of(&state)?;
    let id = AttachmentId::from_uuid(id);
    let not_found = || ApiError::from(followup_domain::DomainError::NotFound { entity: "attachment" });
    let (found, keys) = match (&link.expires, &link.signature) {
        (Some(expires), Some(signature)) => {
            if !files.link_holds(id, what, *expires, signature, Utc::now()) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "invalid_download_link",
                    "Forbidden",
                    "This download link is not valid or has expired: ask the API for a new one.",
                ));
            }
            db::read(&state, move |c| repo::by_link(c, id)).await?.ok_or_else(not_found)?
        }
        _ => {
            let actor = CheckedCaller::from_request(&req, &mut Payload::None).await?.0;
            db::read(&state, move |c| repo::get(c, &actor, id)).await?
        }
    };
    let (key, content_type, etag) = match what {
        Served::Content => (keys.file, found.content_type.clone(), found.sha256.clone()),
        Served::Preview => (
            keys.preview.ok_or_else(not_found)?,
            "image/jpeg".to_owned(),
            format!("{}-preview", found.sha256),
        ),
    };
    let (size, stream) = files.store.read(&key).await.map_err(|e| ApiError::internal(&e))?;
    let image = what == Served::Preview
        || followup_domain::attachments::FileKind::of_content_type(&found.content_type)
            .is_some_and(|k| k.is_image());
    let name = match what {
        Served::Content => found.file_name.clone(),
        Served::Preview => format!("{}.preview.jpg", found.file_name),
    };
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' })
        .filter(|c| *c != '"' && *c != '\\')
        .collect();
    let encoded: String =
        form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    let disposition = format!(
        "{}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}",
        if image { "inline" } else { "attachment" }
    );
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache")))
        .insert_header((header::ETAG, format!("\"{etag}\"")))
        .no_chunking(size);
    Ok(response.streaming(stream))
}

/// Remove a file: its uploader, while the plan is neither completed nor
/// discontinued. Requires `If-Match`. The bytes go from the store after the
/// record; audited.
#[utoipa::path(
    tag = "attachments",
    params(("id" = Uuid, Path, description = "Attachment id"), crate::dto::IfMatchHeader),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not its uploader, or the plan is closed", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such file, or not visible to you", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Stale If-Match", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match: send the ETag of your last read", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/attachments/{id}")]
pub async fn delete_attachment(
    caller: CheckedCaller,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    expected: IfMatch,
) -> Result<HttpResponse, ApiError> {
    let files = files_of(&state)?;
    let (actor, id, expected) = (caller.0, AttachmentId::from_uuid(id.into_inner()), expected.0);
    let unstored = db::write(&state, move |c| repo::remove(c, &actor, id, &expected)).await?;
    files.remove_unstored(unstored).await;
    Ok(HttpResponse::NoContent().finish())
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_check_in_files)
        .service(upload_check_in_file)
        .service(list_activity_files)
        .service(upload_activity_file)
        .service(list_measurement_files)
        .service(upload_measurement_file)
        .service(list_comment_files)
        .service(upload_comment_file)
        .service(get_attachment)
        .service(download_attachment)
        .service(preview_attachment)
        .service(delete_attachment);
}
