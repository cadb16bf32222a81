//! `GET /sync`: the change feed for offline clients.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use followup_domain::FieldError;
use followup_persistence::repo::feed::{self, Position};
use followup_persistence::repo::sync::{self as repo, SyncData, SyncItem};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use utoipa_actix_web::service_config::ServiceConfig;

use super::activities::ActivityBody;
use super::check_ins::CheckInBody;
use super::comments::CommentBody;
use super::indicators::IndicatorBody;
use super::measurements::MeasurementBody;
use super::members::MemberBody;
use super::mentorships::MentorshipBody;
use super::plans::PlanBody;
use super::programs::ProgramBody;
use crate::auth::CallerToken;
use crate::files::Files;
use crate::handlers::attachments::AttachmentBody;
use crate::problem::{ApiError, Problem};
use crate::AppState;

/// Change rows per page by default, and at most.
const DEFAULT_SYNC_LIMIT: i64 = 200;
const MAX_SYNC_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SyncQuery {
    /// `next_cursor` of the previous sync; omit it for a first, full sync.
    pub since: Option<String>,
    /// How many changes to cover in this page, 1–1000 (default 200). A page
    /// holds at most this many items, often fewer: an entity changed several
    /// times appears once, with its current state.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
}

/// Upsert or tombstone.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SyncOp {
    Upsert,
    Delete,
}

/// One changed entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncItemBody {
    /// `program`, `membership`, `mentorship`, `plan`, `activity`, `indicator`,
    /// `measurement`, `check_in`, `comment`, `attachment` (an evidence
    /// file's details, `AttachmentBody`: fetch its bytes with its
    /// `download_url`), `change_request`, `survey_round` (as its reader
    /// sees it) or `survey_response` (the delegate's own; their mentors' and
    /// coordinators').
    #[serde(rename = "type")]
    #[schema(example = "activity")]
    pub entity_type: &'static str,
    pub id: Uuid,
    /// `upsert`: store `data`, replacing what you hold. `delete`: forget the
    /// entity — it was deleted, or you may no longer see it.
    pub op: SyncOp,
    /// The entity's version (for a tombstone: the last one known when it
    /// went, 0 if unknown).
    pub version: i64,
    /// For `upsert`, the entity exactly as its own GET returns it (for a
    /// programme, `ProgramBody`; a membership, `MemberBody`; …). Absent for
    /// `delete`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncPageBody {
    /// In the order the changes were committed (by each entity's latest change).
    pub items: Vec<SyncItemBody>,
    /// Pass as `since` next time. Always present: on the last page it is the
    /// point to resume from later.
    #[schema(example = "c3luYzoxMjM0")]
    pub next_cursor: String,
    /// More changes are waiting: ask again at once with `next_cursor`.
    pub has_more: bool,
}

fn encode(position: Position) -> String {
    URL_SAFE_NO_PAD.encode(format!("sync:{position}"))
}

fn decode(raw: &str) -> Option<Position> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    Position::parse(text.strip_prefix("sync:")?)
}

fn to_json<T: Serialize>(body: T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(body).map_err(|e| ApiError::internal(&e))
}

fn item(item: SyncItem, files: Option<&Files>) -> Result<SyncItemBody, ApiError> {
    let data = match item.data {
        None => None,
        Some(d) => Some(match d {
            SyncData::Program(p) => to_json(ProgramBody::from(p))?,
            SyncData::Membership(m) => to_json(MemberBody::from(m))?,
            SyncData::Mentorship(m) => to_json(MentorshipBody::from(m))?,
            SyncData::Plan(p) => to_json(PlanBody::from(p))?,
            SyncData::Activity(a) => to_json(ActivityBody::from(a))?,
            SyncData::Indicator(i) => to_json(IndicatorBody::from(i))?,
            SyncData::Measurement(m) => to_json(MeasurementBody::from(m))?,
            SyncData::CheckIn(c) => to_json(CheckInBody::from(c))?,
            SyncData::Comment(c) => to_json(CommentBody::from(c))?,
            SyncData::Attachment(a) => match files {
                Some(files) => to_json(AttachmentBody::of(a, files))?,
                None => return Err(ApiError::internal(&"no file store configured")),
            },
            SyncData::ChangeRequest(r) => {
                to_json(crate::handlers::change_requests::ChangeRequestBody::from(r))?
            }
            SyncData::SurveyRound(r) => to_json(crate::handlers::surveys::SurveyRoundBody::from(r))?,
            SyncData::SurveyResponse(r) => {
                to_json(crate::handlers::survey_responses::SurveyResponseBody::from(r))?
            }
        }),
    };
    Ok(SyncItemBody {
        entity_type: item.entity_type,
        id: item.id,
        op: if data.is_some() { SyncOp::Upsert } else { SyncOp::Delete },
        version: item.version,
        data,
    })
}

/// Everything you may see that changed since your last sync.
///
/// **What a client stores**: the `next_cursor` of the last page it applied,
/// and every entity by `type` and `id`. Send the cursor as `since` next time;
/// without `since` the feed starts at the beginning and brings everything you
/// may see. Programmes, memberships, mentorships, plans, activities,
/// indicators, measurements, check-ins and comments are covered.
///
/// **Upserts and tombstones**: an `upsert` replaces what you hold with
/// `data`, exactly as the entity's own GET returns it. A `delete` tombstone
/// means forget the entity: it was deleted, or you may no longer see it (a
/// mentorship or membership removed). A tombstone comes for anything gone
/// that you could see, even if you only ever had it from your own create or
/// a GET; a tombstone for an id you do not hold is to be ignored. What you
/// newly may see (a mentorship added, a draft submitted) comes as upserts.
///
/// **Guarantees**: the cursor is a position in the change feed (not a
/// clock), and a page never goes past a change whose transaction may still
/// be joined by an older one, so a change that commits while you page is
/// never skipped — it comes in this page or a later one. Applying every page in order leaves you with exactly what the
/// GET endpoints return to you. Nothing you may not see is ever sent, not
/// even as a tombstone.
///
/// **410 `cursor_expired`**: the server keeps superseded changes and
/// tombstones for a retention window (90 days by default). A cursor older
/// than that may have missed a deletion: drop the local copy (keep unsent
/// local changes) and sync again without `since`.
#[utoipa::path(
    tag = "sync",
    params(SyncQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of changes", body = SyncPageBody),
        (status = 400, description = "`invalid_cursor`: `since` is not a cursor this API issued", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "`cursor_expired`: changes after `since` were compacted away; sync again without `since`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sync")]
pub async fn sync(
    caller: CallerToken,
    state: web::Data<AppState>,
    query: crate::query::QueryParams<SyncQuery>,
) -> Result<HttpResponse, ApiError> {
    let limit = match query.limit {
        None => DEFAULT_SYNC_LIMIT,
        Some(n) if (1..=MAX_SYNC_LIMIT).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::validation(vec![FieldError::new(
                "limit",
                "out_of_range",
                format!("must be between 1 and {MAX_SYNC_LIMIT}"),
            )]))
        }
    };
    let since = match query.since.as_deref().filter(|s| !s.is_empty()) {
        None => Position::START,
        Some(raw) => decode(raw).ok_or_else(|| {
            ApiError::bad_request("invalid_cursor", "The cursor is not one this API issued.")
        })?,
    };
    // The horizon is read after the page: compaction moves it in the same
    // transaction that removes rows, so a page that lost a row always sees it.
    let (page, expired) = caller
        .read(&state, move |c, actor| {
            let page = repo::page(c, actor, since, limit)?;
            Ok((page, feed::cursor_expired(c, since)?))
        })
        .await?;
    if expired {
        return Err(ApiError::new(
            StatusCode::GONE,
            "cursor_expired",
            "Gone",
            "Changes after this cursor are no longer kept; sync again without `since`.",
        ));
    }
    let body = SyncPageBody {
        items: page.items.into_iter().map(|i| item(i, state.files.as_ref())).collect::<Result<_, _>>()?,
        next_cursor: encode(page.next),
        has_more: page.has_more,
    };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(body))
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(sync);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        for (xid, seq) in [(0, 0), (0, 1), (0, 42), (815, 3), (i64::MAX, i64::MAX)] {
            let p = Position { xid, seq };
            assert_eq!(decode(&encode(p)), Some(p));
        }
        // A cursor issued before positions carried a transaction id.
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("sync:1234")), Some(Position { xid: 0, seq: 1234 }));
        for bad in ["", "x", "c3luYzo", "c3luYzotMQ", "AZOrJmDqd3OLmRGYu4EANQ", "c3luYzoxMg=="] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 3000, failure_persistence: None, ..Default::default() })]

        #[test]
        fn any_cursor_decodes_to_a_position_or_nothing(raw in "\\PC{0,40}|[A-Za-z0-9_.-]{0,40}", xid in 0..i64::MAX, seq in 0..i64::MAX) {
            let valid = |p: Position| p.xid >= 0 && p.seq >= 0;
            proptest::prop_assert!(decode(&raw).is_none_or(valid));
            let p = Position { xid, seq };
            proptest::prop_assert_eq!(decode(&encode(p)), Some(p));
            let text = URL_SAFE_NO_PAD.encode(format!("sync:{raw}"));
            proptest::prop_assert!(decode(&text).is_none_or(valid));
        }
    }
}
