//! Webhooks: a programme's coordinator (or an admin) subscribes an endpoint
//! to the programme's events; every event is signed and delivered at least
//! once, by the Standard Webhooks specification. A webhook's events carry
//! only what an observer of the programme may see: nothing of a draft plan,
//! never a mentors-only comment.
//!
//! This module holds the entities, the event types and how a change becomes
//! one, and the rule on where a webhook may point (no loopback, private,
//! link-local or cloud-metadata address unless the operator allows it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use chrono::{DateTime, Utc};

use crate::error::FieldError;
use crate::ids::{DeliveryId, EventId, ProgramId, UserId, WebhookId};
use crate::patch::{NullablePatch, Patch};

/// The prefix of a webhook's signing secret (`whsec_<base64>`), as the
/// Standard Webhooks libraries expect it.
pub const SECRET_PREFIX: &str = "whsec_";

/// Every event type a webhook can subscribe to, with what it means.
pub const EVENT_TYPES: [(&str, &str); 18] = [
    ("plan.submitted", "A delegate submitted their plan for approval."),
    ("plan.changes_requested", "A mentor or coordinator asked for changes to a submitted plan."),
    ("plan.approved", "A plan was approved: it is active."),
    ("plan.completed", "An active plan was completed."),
    ("plan.discontinued", "A plan was discontinued."),
    ("check_in.posted", "A delegate posted a progress check-in."),
    ("check_in.reviewed", "A mentor reviewed a check-in."),
    ("check_in.revised", "A delegate revised a check-in after a mentor asked for it."),
    ("comment.added", "A comment visible to the whole programme was added."),
    (
        "change_request.proposed",
        "A delegate proposed a change to a running plan (its end date, goal, or an indicator's baseline or target).",
    ),
    ("change_request.approved", "A mentor or coordinator approved a change request: the plan changed."),
    ("change_request.declined", "A mentor or coordinator declined a change request: nothing changed."),
    ("membership.added", "Someone joined the programme (delegate, mentor, coordinator, observer)."),
    ("membership.removed", "Someone left the programme."),
    ("mentorship.added", "A mentor was paired with a delegate."),
    ("mentorship.removed", "A mentor–delegate pairing ended."),
    (
        "activity.overdue",
        "An activity of an active plan passed its due date undone (in its owner's time zone); once per due date.",
    ),
    (
        "delegate.silent",
        "A delegate with an active plan has reported nothing for longer than the programme's check-in cadence; once per silence.",
    ),
];

/// The event types the scheduler publishes as days pass (not from a change).
pub const TIME_BASED: [&str; 2] = ["activity.overdue", "delegate.silent"];

/// The event type an audited change publishes, if any (`entity_type` and
/// `action` as the audit log names them).
pub fn event_type_of(entity_type: &str, action: &str) -> Option<&'static str> {
    Some(match (entity_type, action) {
        ("plan", "submit") => "plan.submitted",
        ("plan", "request_changes") => "plan.changes_requested",
        ("plan", "approve") => "plan.approved",
        ("plan", "complete") => "plan.completed",
        ("plan", "discontinue") => "plan.discontinued",
        ("check_in", "create") => "check_in.posted",
        ("check_in", "review") => "check_in.reviewed",
        ("check_in", "revise") => "check_in.revised",
        ("comment" | "mentor_comment", "create") => "comment.added",
        ("change_request", "create") => "change_request.proposed",
        ("change_request", "approve") => "change_request.approved",
        ("change_request", "decline") => "change_request.declined",
        ("membership", "create") => "membership.added",
        ("membership", "delete") => "membership.removed",
        ("mentorship", "create") => "mentorship.added",
        ("mentorship", "delete") => "mentorship.removed",
        _ => return None,
    })
}

/// Who may learn of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Everyone in the programme, observers (and so webhooks) included.
    Programme,
    /// Only those who may see a draft plan: its owner, their mentors, the
    /// coordinators.
    PlanTeam,
    /// Mentors and coordinators only (a mentors-only comment).
    Mentors,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Programme => "programme",
            Audience::PlanTeam => "plan_team",
            Audience::Mentors => "mentors",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "programme" => Audience::Programme,
            "plan_team" => Audience::PlanTeam,
            "mentors" => Audience::Mentors,
            _ => return None,
        })
    }

    /// The audience of a change to `entity_type` in a plan of `plan_status`.
    pub fn of(entity_type: &str, plan_status: Option<&str>) -> Self {
        if entity_type == "mentor_comment" {
            Audience::Mentors
        } else if plan_status == Some("draft") {
            Audience::PlanTeam
        } else {
            Audience::Programme
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub id: WebhookId,
    pub program_id: ProgramId,
    pub url: String,
    pub description: Option<String>,
    /// The event types sent; empty means every type.
    pub event_types: Vec<String>,
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed (cleared by a success).
    pub failing_since: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Until when the secret replaced by the last rotation still signs
    /// beside the current one (`None` once it has stopped).
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
}

impl Webhook {
    /// Whether this webhook is sent events of `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type)
    }
}

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub id: WebhookId,
    pub program_id: ProgramId,
    pub url: String,
    pub description: Option<String>,
    pub event_types: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Patch<String>,
    pub description: NullablePatch<String>,
    pub event_types: Patch<Vec<String>>,
    /// `true` re-enables a disabled webhook (and forgets its failures).
    pub enabled: Patch<bool>,
}

impl WebhookChanges {
    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, url, description, event_types, enabled)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt (the first, or a retry).
    Pending,
    /// The endpoint answered 2xx.
    Succeeded,
    /// Every attempt failed, or the webhook was disabled; no more attempts
    /// unless redelivered.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "pending" => DeliveryStatus::Pending,
            "succeeded" => DeliveryStatus::Succeeded,
            "failed" => DeliveryStatus::Failed,
            _ => return None,
        })
    }
}

/// One event to one webhook, with every attempt made.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: DeliveryId,
    pub webhook_id: WebhookId,
    pub event_id: EventId,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One try at sending a delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub attempted_at: DateTime<Utc>,
    /// The HTTP status the endpoint answered, if it answered.
    pub response_status: Option<i32>,
    pub response_ms: i64,
    /// Why there was no answer, or why the answer did not count.
    pub error: Option<String>,
    /// The start of the answer's body (at most [`RESPONSE_BODY_KEPT`] bytes).
    pub response_body: Option<String>,
}

/// How much of an endpoint's answer the delivery log keeps.
pub const RESPONSE_BODY_KEPT: usize = 1024;

/// Check a webhook's target URL: `https`, or `http` only where private
/// targets are allowed (a test bench, an office network); no user name or
/// password in it; and, when it names an address, not one that is private
/// unless allowed. Host names are checked again at each delivery, on the
/// addresses they resolve to then.
pub fn check_target(field: &str, url: &str, allow_private: bool) -> Result<(), FieldError> {
    let refused = |code: &str, message: &str| FieldError::new(field, code, message);
    let (scheme, rest) =
        url.split_once("://").ok_or_else(|| refused("invalid_url", "must be an http or https URL"))?;
    match scheme.to_ascii_lowercase().as_str() {
        "https" => {}
        "http" if allow_private => {}
        "http" => return Err(refused("not_https", "must be an https URL")),
        _ => return Err(refused("invalid_url", "must be an http or https URL")),
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(refused("invalid_url", "must not hold a user name or password"));
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    if host.is_empty() {
        return Err(refused("invalid_url", "must be an http or https URL"));
    }
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let named_local = host == "localhost" || host.ends_with(".localhost") || host.ends_with(".internal");
    let private_address = host.parse::<IpAddr>().is_ok_and(forbidden_address);
    if (named_local || private_address) && !allow_private {
        return Err(refused("target_refused", "must not point to a loopback, private or link-local address"));
    }
    Ok(())
}

/// Whether a webhook may not be sent to `ip` (unless the operator allows
/// private targets): loopback, private (RFC 1918, unique local), shared
/// (carrier-grade NAT), link-local (cloud metadata services live there),
/// unspecified, broadcast, multicast, documentation and benchmarking ranges.
pub fn forbidden_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => forbidden_v4(v4),
            None => forbidden_v6(v6),
        },
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments().first().copied().unwrap_or_default();
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 is a metadata address)
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments().get(1) == Some(&0x0db8) // documentation
        || first == 0x0064 && ip.segments().get(1) == Some(&0xff9b) // NAT64 to any IPv4
}

/// The delay before the attempt after `attempts_made` attempts, or `None`
/// when the schedule is spent (the delivery has failed). `jitter` in
/// [-1, 1] moves the delay by up to a fifth, so endpoints that came back
/// are not hit by every waiting delivery at once.
pub fn retry_delay(schedule: &[u64], attempts_made: usize, jitter: f64) -> Option<chrono::Duration> {
    let base = *schedule.get(attempts_made.checked_sub(1)?)?;
    let spread = (base as f64 * 0.2 * jitter.clamp(-1.0, 1.0)).round() as i64;
    let secs = i64::try_from(base).unwrap_or(i64::MAX / 2).saturating_add(spread).max(0);
    Some(chrono::Duration::seconds(secs))
}

/// The retry schedule the Standard Webhooks specification suggests, in
/// seconds after the first attempt fails: 5 s, 5 min, 30 min, 2 h, 5 h,
/// 10 h, 10 h — eight attempts over about a day.
pub const DEFAULT_RETRY_SCHEDULE: [u64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_https_and_public_unless_private_ones_are_allowed() {
        for ok in [
            "https://hooks.dinsos.example.id/followup",
            "https://203.0.114.9:8443/x",
            "https://[2a00:1450::1]/",
        ] {
            assert!(check_target("url", ok, false).is_ok(), "{ok}");
        }
        for (bad, code) in [
            ("http://hooks.dinsos.example.id/", "not_https"),
            ("ftp://example.org/", "invalid_url"),
            ("hooks.example.org", "invalid_url"),
            ("https://user:pw@example.org/", "invalid_url"),
            ("https://127.0.0.1/", "target_refused"),
            ("https://localhost:8080/", "target_refused"),
            ("https://169.254.169.254/latest/meta-data", "target_refused"),
            ("https://10.1.2.3/", "target_refused"),
            ("https://[::1]/", "target_refused"),
            ("https://[::ffff:192.168.1.1]/", "target_refused"),
            ("https://[fd00:ec2::254]/", "target_refused"),
            ("https://100.100.100.200/", "target_refused"),
            ("https://0.0.0.0/", "target_refused"),
        ] {
            let refused = check_target("url", bad, false).err().map(|e| e.code);
            assert_eq!(refused.as_deref(), Some(code), "{bad}");
        }
        assert!(check_target("url", "http://127.0.0.1:9000/hook", true).is_ok());
    }

    #[test]
    fn public_addresses_are_allowed() {
        for ip in ["8.8.8.8", "203.0.114.9", "2a00:1450:4001::1", "172.32.0.1", "100.128.0.1"] {
            assert!(!forbidden_address(ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))), "{ip}");
        }
    }

    #[test]
    fn retries_follow_the_schedule_with_bounded_jitter_then_stop() {
        let s = DEFAULT_RETRY_SCHEDULE;
        assert_eq!(retry_delay(&s, 0, 0.0), None);
        assert_eq!(retry_delay(&s, 1, 0.0), Some(chrono::Duration::seconds(5)));
        assert_eq!(retry_delay(&s, 2, 1.0), Some(chrono::Duration::seconds(360)));
        assert_eq!(retry_delay(&s, 2, -1.0), Some(chrono::Duration::seconds(240)));
        assert_eq!(retry_delay(&s, 7, 0.0), Some(chrono::Duration::seconds(36_000)));
        assert_eq!(retry_delay(&s, 8, 0.0), None);
        let total: u64 = s.iter().sum();
        assert!((20 * 3600..30 * 3600).contains(&total), "about a day: {total}");
    }

    #[test]
    fn changes_publish_the_documented_types_only() {
        assert_eq!(event_type_of("plan", "approve"), Some("plan.approved"));
        assert_eq!(event_type_of("mentor_comment", "create"), Some("comment.added"));
        assert_eq!(event_type_of("plan", "update"), None);
        for (entity, action) in [
            ("plan", "submit"),
            ("check_in", "revise"),
            ("mentorship", "delete"),
            ("change_request", "approve"),
        ] {
            let t = event_type_of(entity, action).unwrap_or_default();
            assert!(EVENT_TYPES.iter().any(|(name, _)| *name == t), "{t}");
        }
        assert_eq!(Audience::of("mentor_comment", Some("active")), Audience::Mentors);
        assert_eq!(Audience::of("check_in", Some("draft")), Audience::PlanTeam);
        assert_eq!(Audience::of("membership", None), Audience::Programme);
    }
}
