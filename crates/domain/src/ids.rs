//! Typed ids: a `UserId` can never be passed where a `ProgramId` belongs.
//! All are UUIDs; new ones are v7 (time-ordered), clients may bring their own.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }

            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    )*};
}

id_type!(
    /// A user account.
    UserId,
    /// An organisation (directorate, agency, unit, partner…).
    OrganizationId,
    /// A training programme.
    ProgramId,
    /// A user's role in a programme.
    MembershipId,
    /// A mentor–delegate pairing in a programme.
    MentorshipId,
    /// A login session: the family of rotated refresh tokens (`sid` in access tokens).
    SessionId,
    /// An integrator's API key (and its service account).
    ApiKeyId,
    /// A webhook: an endpoint subscribed to a programme's events.
    WebhookId,
    /// One event to one webhook, with its attempts.
    DeliveryId,
    /// A domain event in the outbox (a webhook message's `webhook-id`).
    EventId,
    /// An evidence file on a check-in, activity, measurement or comment.
    AttachmentId,
);

id_type!(
    /// An action plan.
    PlanId,
    /// An activity of a plan.
    ActivityId,
    /// An indicator of a plan.
    IndicatorId,
    /// A measurement of an indicator.
    MeasurementId,
    /// A check-in on a plan.
    CheckInId,
    /// A comment on a plan.
    CommentId,
    /// A proposed change to a running plan.
    ChangeRequestId,
    /// A follow-up survey round of a programme.
    SurveyRoundId,
    /// A delegate's answers to a survey round.
    SurveyResponseId,
);
