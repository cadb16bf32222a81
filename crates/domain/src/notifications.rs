//! E-mail a person receives, and how each kind is turned off: reminders
//! that a check-in is due (in the delegate's morning, by the programme's
//! cadence), that an activity is overdue, that a follow-up survey round is
//! open, and a mentor's weekly digest.
//! Everyone receives every kind until they turn it off.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::patch::Patch;

/// The kinds of e-mail, as settings and messages name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    CheckInDue,
    ActivityOverdue,
    WeeklyDigest,
    SurveyDue,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::CheckInDue => "check_in_due",
            MailKind::ActivityOverdue => "activity_overdue",
            MailKind::WeeklyDigest => "weekly_digest",
            MailKind::SurveyDue => "survey_due",
        }
    }
}

/// What a person receives. `version` is 0 until they first change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationSettings {
    pub check_in_due: bool,
    pub activity_overdue: bool,
    pub weekly_digest: bool,
    pub survey_due: bool,
    pub version: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        Self {
            check_in_due: true,
            activity_overdue: true,
            weekly_digest: true,
            survey_due: true,
            version: 0,
            updated_at: None,
        }
    }
}

impl NotificationSettings {
    pub fn wants(&self, kind: MailKind) -> bool {
        match kind {
            MailKind::CheckInDue => self.check_in_due,
            MailKind::ActivityOverdue => self.activity_overdue,
            MailKind::WeeklyDigest => self.weekly_digest,
            MailKind::SurveyDue => self.survey_due,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct NotificationChanges {
    pub check_in_due: Patch<bool>,
    pub activity_overdue: Patch<bool>,
    pub weekly_digest: Patch<bool>,
    pub survey_due: Patch<bool>,
}

impl NotificationChanges {
    pub fn fields(&self) -> Vec<&'static str> {
        crate::touched!(self, check_in_due, activity_overdue, weekly_digest, survey_due)
    }
}

/// The local hour from which reminders are sent (a delegate's morning).
pub const MORNING_HOUR: u32 = 7;

/// A date as a reader says it: `7 Desember 2026` (`indonesian`),
/// `7 December 2026`.
pub fn long_date(d: NaiveDate, indonesian: bool) -> String {
    const ID: [&str; 12] = [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ];
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let months = if indonesian { ID } else { EN };
    let month = months.get(d.month0() as usize).copied().unwrap_or_default();
    format!("{} {month} {}", d.day(), d.year())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// An e-mail's paragraphs as plain text and HTML: lines starting `- ` make
/// a list, and a paragraph that is one `https://` address a link.
pub fn render(paragraphs: &[String]) -> (String, String) {
    let text = paragraphs.join("\n\n");
    let html = paragraphs
        .iter()
        .map(|p| {
            let link =
                (p.starts_with("https://") || p.starts_with("http://")) && !p.contains(char::is_whitespace);
            if link {
                format!("<p><a href=\"{0}\">{0}</a></p>", escape(p))
            } else if p.lines().all(|l| l.starts_with("- ")) {
                let items: String =
                    p.lines().map(|l| format!("<li>{}</li>", escape(l.trim_start_matches("- ")))).collect();
                format!("<ul>{items}</ul>")
            } else {
                format!("<p>{}</p>", escape(p).replace('\n', "<br>"))
            }
        })
        .collect::<String>();
    (text, format!("<!doctype html><html><body>{html}</body></html>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_html_read_as_a_person_writes_them() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        assert_eq!(long_date(d, true), "7 Desember 2026");
        assert_eq!(long_date(d, false), "7 December 2026");
        let (text, html) = render(&[
            "Halo <b>&".to_owned(),
            "- a\n- b".to_owned(),
            "https://app.example.org/reset?token=a&b".to_owned(),
        ]);
        assert_eq!(text, "Halo <b>&\n\n- a\n- b\n\nhttps://app.example.org/reset?token=a&b");
        assert!(
            html.contains("<p>Halo &lt;b&gt;&amp;</p><ul><li>a</li><li>b</li></ul><p><a href=\"https://app.example.org/reset?token=a&amp;b\">"),
            "{html}"
        );
    }
}
