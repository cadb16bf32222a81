//! Which e-mail you receive: `GET /me/notifications` and
//! `PATCH /me/notifications` (every kind is on until you turn it off; every
//! e-mail says how).

use actix_web::{get, patch};
use chrono::{DateTime, Utc};
use followup_domain::ids::UserId;
use followup_domain::notifications::{NotificationChanges, NotificationSettings};
use followup_persistence::repo::mail;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::handlers::endpoints::endpoint;
use crate::problem::ApiError;

/// The e-mail you receive, each kind on or off. E-mail is sent only when
/// the server has an SMTP server (`FOLLOWUP_SMTP_URL`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"check_in_due": true, "activity_overdue": true, "weekly_digest": false, "survey_due": true, "version": 1, "updated_at": "2026-12-05T02:14:00Z"}))]
pub struct NotificationsBody {
    /// A delegate's reminder, in their morning, that a check-in is due (the
    /// latest check-in, or the end of training, plus the programme's cadence).
    pub check_in_due: bool,
    /// A delegate's reminder, in their morning, that an activity of their
    /// active plan is past its due date (once per due date).
    pub activity_overdue: bool,
    /// A mentor's digest on Monday morning, per programme: silent
    /// delegates, check-ins awaiting review, plans awaiting approval,
    /// indicators behind schedule.
    pub weekly_digest: bool,
    /// A delegate's reminder, in their morning, that a follow-up survey
    /// round is open and not yet answered (once per round).
    pub survey_due: bool,
    /// 0 until you first change a setting.
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<NotificationSettings> for NotificationsBody {
    fn from(s: NotificationSettings) -> Self {
        Self {
            check_in_due: s.check_in_due,
            activity_overdue: s.activity_overdue,
            weekly_digest: s.weekly_digest,
            survey_due: s.survey_due,
            version: s.version,
            updated_at: s.updated_at,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"weekly_digest": false}))]
pub struct PatchNotificationsBody {
    pub check_in_due: Option<bool>,
    pub activity_overdue: Option<bool>,
    pub weekly_digest: Option<bool>,
    pub survey_due: Option<bool>,
}

endpoint! {
    /// Which e-mail you receive.
    get_mine get_notifications "/me/notifications" tag "me", NotificationsBody "Your settings",
    |c, me: UserId| mail::settings(c, me.as_uuid())
}

endpoint! {
    /// Turn kinds of e-mail on or off. Requires `If-Match`.
    patch_mine patch_notifications "/me/notifications" tag "me",
    PatchNotificationsBody => |b: PatchNotificationsBody| {
        Ok::<_, ApiError>(NotificationChanges {
            check_in_due: b.check_in_due,
            activity_overdue: b.activity_overdue,
            weekly_digest: b.weekly_digest,
            survey_due: b.survey_due,
        })
    },
    NotificationsBody "Your changed settings", invalid "Unknown fields",
    mail::change_settings
}

/// Registers this module's routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_notifications).service(patch_notifications);
}
