//! Value objects: parse, don't validate. Each has a private field and a
//! `parse` constructor that returns a field error naming what is wrong.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// Enums stored as snake_case words; `parse` and `as_str` are the one mapping.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            /// Parse the stored or wire word.
            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The allowed words, for error messages.
            pub fn words() -> String {
                [$($word),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s).ok_or_else(|| format!("must be one of: {}", Self::words()))
            }
        }
    };
}

word_enum!(
    /// A user's role in the whole system.
    SystemRole { Admin => "admin", Member => "member" }
);

word_enum!(
    /// How an account's password stands. `set`: chosen by its user.
    /// `change_required`: generated at creation or issued by a reset; every
    /// call but `GET /me`, `POST /me/password` and sign-out answers 403
    /// `password_change_required` until the user chooses their own.
    /// `invited`: created by invitation, no password yet; the user sets one
    /// with the invitation token (`POST /auth/password`).
    PasswordState { Set => "set", ChangeRequired => "change_required", Invited => "invited" }
);

word_enum!(
    /// What a single-use account token lets its holder do: accept an
    /// invitation, or reset a forgotten password. Either way they choose
    /// their own password with it.
    AccountTokenPurpose { Invitation => "invitation", PasswordReset => "password_reset" }
);

word_enum!(
    /// The interface language of a user and of problem details.
    Locale { Id => "id", En => "en" }
);

word_enum!(
    /// What kind of organisation this is.
    OrganizationKind {
        MinistryDirectorate => "ministry_directorate",
        RegionalAgency => "regional_agency",
        TechnicalUnit => "technical_unit",
        Partner => "partner",
        University => "university",
        Other => "other",
    }
);

word_enum!(
    /// Where a programme is in its life.
    ProgramStatus { Planned => "planned", Training => "training", FollowUp => "follow_up", Closed => "closed" }
);

word_enum!(
    /// What an evidence file is attached to.
    AttachmentParent { CheckIn => "check_in", Activity => "activity", Measurement => "measurement", Comment => "comment" }
);

word_enum!(
    /// What an API key may do. Every key has `read`: it reads its programme
    /// as an observer does. `webhooks`: it also manages the programme's
    /// webhooks (subscribe, change, rotate, remove, read their delivery log,
    /// redeliver).
    ApiKeyScope { Read => "read", Webhooks => "webhooks" }
);

word_enum!(
    /// A user's role in one programme.
    ProgramRole { Coordinator => "coordinator", Mentor => "mentor", Delegate => "delegate", Observer => "observer" }
);

/// The characters a text may hold anywhere: every character but the control
/// characters (Unicode Cc), of which tab, line feed and carriage return are allowed.
const TEXT_CHAR: &str = r"[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]";

/// A character that makes a text not blank: neither a control character nor
/// white space (Unicode White_Space, what `str::trim` removes).
const VISIBLE_CHAR: &str = r"[^\x00-\x20\x7F-\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";

/// The rule of [`required_text`] as an ECMA-262 regular expression, for the
/// OpenAPI document (with `minLength` 1 and `maxLength` the bound).
pub fn required_text_pattern() -> String {
    format!("^{TEXT_CHAR}*{VISIBLE_CHAR}{TEXT_CHAR}*$")
}

/// The rule of [`optional_text`] as an ECMA-262 regular expression (with
/// `maxLength` the bound): blank is allowed and means none.
pub fn optional_text_pattern() -> String {
    format!("^{TEXT_CHAR}*$")
}

/// Text with a length bound: at most `max` characters as sent, no control
/// character but tab and line breaks, stored trimmed; blank is `required`.
fn bounded(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    if raw.chars().count() > max {
        return Err(
            FieldError::new(field, "too_long", format!("must be at most {max} characters")).with("max", max)
        );
    }
    if raw.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(FieldError::new(field, "invalid_characters", "must not contain control characters"));
    }
    Ok(raw.trim().to_owned())
}

/// A required short text (names, titles): 1..=`max` characters, trimmed.
pub fn required_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = bounded(field, raw, max)?;
    if text.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    Ok(text)
}

/// An optional text: empty or blank becomes `None`.
pub fn optional_text(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match raw {
        None => Ok(None),
        Some(raw) => bounded(field, raw, max).map(|text| Some(text).filter(|t| !t.is_empty())),
    }
}

/// A date of something that has happened (a report, a measurement): not
/// after `today`, the plan owner's date in their own time zone (422
/// `in_the_future`).
pub fn not_in_the_future(
    field: &str,
    date: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<(), FieldError> {
    if date > today {
        return Err(FieldError::new(
            field,
            "in_the_future",
            format!("must not be after today ({today}) in the plan owner's time zone"),
        )
        .with("today", today));
    }
    Ok(())
}

/// An e-mail address, stored lower-cased (unique case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let invalid =
            || FieldError::new("email", "invalid_email", "must be an e-mail address like name@example.org");
        if email.len() > 254 {
            return Err(
                FieldError::new("email", "too_long", "must be at most 254 characters").with("max", 254)
            );
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && domain.len() <= 253
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && !local.chars().any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c));
        if domain_ok && local_ok {
            Ok(Self(email))
        } else {
            Err(invalid())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An IANA time zone name such as `Asia/Jakarta`, `Asia/Makassar` (WITA) or `Asia/Jayapura` (WIT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

impl TimeZone {
    /// The longest name accepted, as sent (the OpenAPI `maxLength`).
    pub const MAX_LEN: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        // A name longer than any real one is refused as sent, even if
        // trimming would shorten it (the document's `maxLength`).
        let name = if raw.chars().count() <= Self::MAX_LEN { raw.trim() } else { "" };
        name.parse::<chrono_tz::Tz>().map(Self).map_err(|_| {
            FieldError::new(
                "time_zone",
                "invalid_time_zone",
                "must be an IANA time zone such as Asia/Jakarta",
            )
        })
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Default for TimeZone {
    fn default() -> Self {
        Self(chrono_tz::Asia::Jakarta)
    }
}

/// A new password that satisfies the policy (NIST SP 800-63B): 10 to 128
/// characters, not the account's e-mail address, and not guessable — zxcvbn
/// must estimate more than 10^10 guesses (score 3 of 4) with the account's
/// e-mail and name counted as known to an attacker. Never logged, never
/// serialised.
#[derive(Clone)]
pub struct NewPassword(String);

/// The lowest zxcvbn score accepted.
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

impl NewPassword {
    pub const MIN: usize = 10;
    pub const MAX: usize = 128;

    /// `about` names the account (its display name, organisation…): words
    /// an attacker who knows the person would try first.
    pub fn parse(field: &str, raw: &str, email: &Email, about: &[&str]) -> Result<Self, FieldError> {
        let len = raw.chars().count();
        if len < Self::MIN {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("must be at least {} characters", Self::MIN),
            )
            .with("min", Self::MIN));
        }
        if len > Self::MAX {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("must be at most {} characters", Self::MAX),
            )
            .with("max", Self::MAX));
        }
        let lowered = raw.trim().to_lowercase();
        let local = email.as_str().split('@').next().unwrap_or_default();
        if lowered == email.as_str() || lowered == local {
            return Err(FieldError::new(field, "same_as_email", "must not be the e-mail address"));
        }
        let mut known: Vec<&str> = vec![email.as_str(), local];
        known.extend(local.split(['.', '_', '-', '+']));
        known.extend(about.iter().flat_map(|a| a.split_whitespace()));
        known.retain(|w| w.chars().count() >= 3);
        let estimate = zxcvbn::zxcvbn(raw, &known);
        if estimate.score() < MIN_SCORE {
            let personal = known.iter().any(|w| lowered.contains(&w.to_lowercase()));
            let warning = estimate.feedback().and_then(zxcvbn::feedback::Feedback::warning);
            let (key, message) = guessable_because(personal, warning);
            return Err(FieldError::new(field, "too_guessable", message).key(key));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Why a password is guessable: a catalogue key and its English text.
fn guessable_because(
    personal: bool,
    warning: Option<zxcvbn::feedback::Warning>,
) -> (&'static str, &'static str) {
    use zxcvbn::feedback::Warning as W;
    if personal {
        return ("too_guessable.personal", "is easy to guess: it contains your name or e-mail address");
    }
    match warning {
        Some(
            W::ThisIsATop10Password
            | W::ThisIsATop100Password
            | W::ThisIsACommonPassword
            | W::ThisIsSimilarToACommonlyUsedPassword,
        ) => ("too_guessable.common", "is one of the most common passwords"),
        Some(
            W::AWordByItselfIsEasyToGuess
            | W::NamesAndSurnamesByThemselvesAreEasyToGuess
            | W::CommonNamesAndSurnamesAreEasyToGuess,
        ) => ("too_guessable.word", "is easy to guess: a common word or name; use a few unrelated words"),
        Some(W::StraightRowsOfKeysAreEasyToGuess | W::ShortKeyboardPatternsAreEasyToGuess) => {
            ("too_guessable.keyboard", "is easy to guess: a keyboard pattern")
        }
        Some(W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess) => {
            ("too_guessable.repeat", "is easy to guess: repeated characters or words")
        }
        Some(W::SequencesLikeAbcAreEasyToGuess) => {
            ("too_guessable.sequence", "is easy to guess: a sequence such as abc or 1234")
        }
        Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => {
            ("too_guessable.dates", "is easy to guess: dates and years")
        }
        _ => ("too_guessable", "is too easy to guess; use a few unrelated words"),
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_checked() {
        assert_eq!(Email::parse("  Y.Hong@Example.ORG ").map(|e| e.0), Ok("y.hong@example.org".to_owned()));
        for bad in
            ["", "no-at", "@example.org", "a@", "a@.org", "a@b..org", "a b@example.org", "a@exa mple.org"]
        {
            assert!(Email::parse(bad).is_err(), "{bad:?} must be refused");
        }
    }

    #[test]
    fn password_policy() {
        let email = Email::parse("delegate@kemensos.go.id").unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            NewPassword::parse("password", "short", &email, &[]).err().map(|e| e.code),
            Some("too_short".into())
        );
        assert_eq!(
            NewPassword::parse("password", "Delegate@Kemensos.go.id", &email, &[]).err().map(|e| e.code),
            Some("same_as_email".into())
        );
        assert_eq!(
            NewPassword::parse("password", &"x".repeat(129), &email, &[]).err().map(|e| e.code),
            Some("too_long".into())
        );
        assert!(NewPassword::parse("password", "kupang-rehab-2023", &email, &[]).is_ok());
    }

    #[test]
    fn guessable_passwords_are_refused_with_the_reason() {
        let email = Email::parse("yohanes.lado@kemensos.go.id").unwrap_or_else(|e| panic!("{e:?}"));
        let about = ["Yohanes Lado"];
        let key =
            |raw: &str| NewPassword::parse("password", raw, &email, &about).err().map(|e| (e.code, e.key));
        for (raw, expected) in [
            ("password12", "too_guessable.common"),
            ("1234567890", "too_guessable.common"),
            ("          ", "too_guessable.repeat"),
            ("qwertyuiop", "too_guessable.common"),
            ("zxcvbnm,./asdf", "too_guessable.keyboard"),
            ("yohanes2023", "too_guessable.personal"),
            ("LadoLadoLado", "too_guessable.personal"),
        ] {
            assert_eq!(key(raw), Some(("too_guessable".to_owned(), Some(expected))), "{raw:?}");
        }
        for fine in ["rehabilitasi-sosial-2023", "jalan-el-tari-kupang-2024", "Tiga kambing makan rumput"] {
            assert_eq!(key(fine), None, "{fine:?}");
        }
    }

    #[test]
    fn words_round_trip() {
        for role in ProgramRole::ALL {
            assert_eq!(ProgramRole::parse(role.as_str()), Some(*role));
        }
        assert_eq!(ProgramRole::parse("admin"), None);
        assert!(TimeZone::parse("Asia/Makassar").is_ok());
        assert!(TimeZone::parse("Mars/Olympus").is_err());
    }
}

word_enum!(
    /// Where an action plan is in its workflow.
    PlanStatus {
        Draft => "draft",
        Submitted => "submitted",
        ChangesRequested => "changes_requested",
        Active => "active",
        Completed => "completed",
        Discontinued => "discontinued",
    }
);

word_enum!(
    /// Where a change request to a running plan stands.
    ChangeRequestStatus { Open => "open", Approved => "approved", Declined => "declined" }
);

word_enum!(
    /// What a survey question asks for: `scale` a whole number 1–5,
    /// `number` any number, `yes_no` true or false, `choice` one of its
    /// choices' keys, `text` a short text.
    QuestionKind { Scale => "scale", Number => "number", YesNo => "yes_no", Choice => "choice", Text => "text" }
);

word_enum!(
    /// Where a survey round stands on the reader's date: `upcoming` before
    /// its opening day, `open` until its last day, then `closed`.
    RoundState { Upcoming => "upcoming", Open => "open", Closed => "closed" }
);

word_enum!(
    /// Where an activity stands.
    ActivityStatus {
        Planned => "planned",
        InProgress => "in_progress",
        Done => "done",
        Blocked => "blocked",
        Cancelled => "cancelled",
    }
);

word_enum!(
    /// Which way an indicator should move.
    Direction { Increase => "increase", Decrease => "decrease" }
);

word_enum!(
    /// The delegate's own reading of progress in a check-in.
    Progress { OnTrack => "on_track", AtRisk => "at_risk", OffTrack => "off_track" }
);

word_enum!(
    /// The mentor's review of a check-in.
    ReviewStatus { Pending => "pending", Acknowledged => "acknowledged", RevisionRequested => "revision_requested" }
);

word_enum!(
    /// Who may read a comment: everyone who sees the plan, or mentors and coordinators only.
    Visibility { Shared => "shared", Mentors => "mentors" }
);

word_enum!(
    /// What a comment is about, besides the plan itself.
    CommentTarget { Activity => "activity", Indicator => "indicator", CheckIn => "check_in" }
);

/// A link to evidence (a photo, a report, an attendance sheet). Only http
/// and https URLs: the server never fetches them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// `http` or `https`, with a host; no white space or control character.
    #[schema(
        example = "https://drive.example.org/kupang/workshop-attendance.pdf",
        max_length = 2048,
        pattern = "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000][^\\x00-\\x20\\x7F-\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    pub url: String,
    /// Blank means none. The pattern is [`optional_text_pattern`].
    #[schema(
        example = "Attendance sheet, peer-support workshop",
        max_length = 200,
        pattern = "^[^\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F-\\x9F]*$"
    )]
    pub title: Option<String>,
}

impl Evidence {
    pub const MAX_ITEMS: usize = 20;
    pub const MAX_URL: usize = 2048;

    /// Check a list of evidence links; field names are `evidence[i].url`.
    pub fn parse_list(raw: &[Evidence]) -> Result<Vec<Evidence>, Vec<FieldError>> {
        let mut errors = Vec::new();
        if raw.len() > Self::MAX_ITEMS {
            errors.push(
                FieldError::new("evidence", "too_many", format!("at most {} links", Self::MAX_ITEMS))
                    .with("max", Self::MAX_ITEMS),
            );
            return Err(errors);
        }
        let mut out = Vec::with_capacity(raw.len());
        for (i, e) in raw.iter().enumerate() {
            let url = e.url.as_str();
            let lower = url.to_ascii_lowercase();
            let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"));
            let host_ok = rest.is_some_and(|r| {
                let host = r.split(['/', '?', '#']).next().unwrap_or_default();
                !host.is_empty() && !host.starts_with('@')
            });
            if !host_ok
                || url.chars().count() > Self::MAX_URL
                || url.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                errors.push(FieldError::new(
                    format!("evidence[{i}].url"),
                    "invalid_url",
                    "must be an http or https URL",
                ));
                continue;
            }
            match optional_text(&format!("evidence[{i}].title"), e.title.as_deref(), 200) {
                Ok(title) => out.push(Evidence { url: url.to_owned(), title }),
                Err(err) => errors.push(err),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod evidence_tests {
    use super::*;

    #[test]
    fn only_http_links_are_evidence() {
        let link = |url: &str| Evidence { url: url.into(), title: None };
        assert!(
            Evidence::parse_list(&[link("https://example.org/a.pdf"), link("HTTP://example.org")]).is_ok()
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://example.org/x",
            "https://",
            "file:///etc/passwd",
            "https://a b.org",
        ] {
            let errors = Evidence::parse_list(&[link(bad)]).err().unwrap_or_default();
            assert_eq!(errors.first().map(|e| e.field.as_str()), Some("evidence[0].url"), "{bad}");
        }
    }
}
