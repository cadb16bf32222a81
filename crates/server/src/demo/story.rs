//! The reference story's people: the fifteen delegates of the Seoul
//! programme (fictional names, real organisations), their units and time
//! zones, and where each one's action plan stands.

use followup_domain::values::Progress;

/// What the delegate's plan looks like in the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Story {
    /// Still writing the plan.
    Draft,
    /// A draft with only its title and dates so far.
    Outline,
    /// Waiting for the mentor's review.
    Submitted,
    /// Sent back with a reason.
    ChangesRequested,
    /// Active, reported recently; the last check-in waits for review.
    ActiveReporting {
        last_check_in_days_ago: i64,
        progress: Progress,
    },
    /// Active, with check-ins that were reviewed; `None`: never reported.
    ActiveSilent {
        last_check_in_days_ago: Option<i64>,
    },
    Completed,
    Discontinued,
}

/// How far an approved plan's activities and indicators have come, so the
/// delegates table and the dashboard show a mentor differences to sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pace {
    /// Four of five activities done (one early), both indicators at target.
    Ahead,
    /// Every activity due so far done; the indicator on course.
    OnSchedule,
    /// One activity overdue; one indicator behind.
    Behind,
    /// Two activities overdue; both indicators behind.
    FarBehind,
}

pub(super) struct Delegate {
    pub(super) name: &'static str,
    pub(super) email: &'static str,
    /// The organisation's name, one of those [`seed`] creates.
    pub(super) org: &'static str,
    pub(super) time_zone: &'static str,
    pub(super) position: &'static str,
    pub(super) plan: &'static str,
    pub(super) story: Story,
    /// Where an approved plan stands; plans never approved have done nothing yet.
    pub(super) pace: Pace,
}

pub(super) const MINISTRY: &str = "Ministry of Social Affairs (Kementerian Sosial)";
pub(super) const DKI: &str = "Social Agency of DKI Jakarta Province (Dinas Sosial Provinsi DKI Jakarta)";

pub(super) const DELEGATES: [Delegate; 15] = [
    Delegate {
        name: "Yohanes Lado",
        email: "yohanes.lado@followup.demo",
        org: "Sentra Efata Kupang",
        time_zone: "Asia/Makassar",
        position: "Social worker",
        plan: "Peer-support training for youth workers in Kupang",
        story: Story::ActiveReporting { last_check_in_days_ago: 3, progress: Progress::OnTrack },
        pace: Pace::Ahead,
    },
    Delegate {
        name: "Dewi Anggraini",
        email: "dewi.anggraini@followup.demo",
        org: "Directorate of Child Social Rehabilitation",
        time_zone: "Asia/Jakarta",
        position: "Social worker",
        plan: "Case-management guideline for children in conflict with the law",
        story: Story::ActiveSilent { last_check_in_days_ago: Some(40) },
        pace: Pace::FarBehind,
    },
    Delegate {
        name: "Bambang Sutrisno",
        email: "bambang.sutrisno@followup.demo",
        org: "Directorate of Elderly Social Rehabilitation",
        time_zone: "Asia/Jakarta",
        position: "Social worker",
        plan: "Intergenerational volunteering between youth and elderly residents",
        story: Story::ActiveSilent { last_check_in_days_ago: None },
        pace: Pace::FarBehind,
    },
    Delegate {
        name: "Rina Marlina",
        email: "rina.marlina@followup.demo",
        org: "Directorate of Disability Social Rehabilitation",
        time_zone: "Asia/Jakarta",
        position: "Social worker",
        plan: "Vocational mentoring for young people with disabilities",
        story: Story::Submitted,
        pace: Pace::OnSchedule,
    },
    Delegate {
        name: "Agus Setiawan",
        email: "agus.setiawan@followup.demo",
        org: "Sentra Handayani Jakarta",
        time_zone: "Asia/Jakarta",
        position: "Social worker",
        plan: "Family conferences before a child leaves Sentra Handayani",
        story: Story::ChangesRequested,
        pace: Pace::OnSchedule,
    },
    Delegate {
        name: "Fitri Handayani",
        email: "fitri.handayani@followup.demo",
        org: "Directorate General of Social Rehabilitation",
        time_zone: "Asia/Jakarta",
        position: "Social extension worker",
        plan: "Outreach sessions on youth rehabilitation services in schools",
        story: Story::Draft,
        pace: Pace::OnSchedule,
    },
    Delegate {
        name: "Hendra Wijaya",
        email: "hendra.wijaya@followup.demo",
        org: "Directorate General of Social Protection and Security",
        time_zone: "Asia/Jakarta",
        position: "Social extension worker",
        plan: "Referral map of youth services for social extension workers",
        story: Story::Completed,
        pace: Pace::Ahead,
    },
    Delegate {
        name: "Siti Rahmawati",
        email: "siti.rahmawati@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Street-youth outreach team in North Jakarta",
        story: Story::ActiveReporting { last_check_in_days_ago: 5, progress: Progress::AtRisk },
        pace: Pace::Behind,
    },
    Delegate {
        name: "Andi Pratama",
        email: "andi.pratama@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Drop-in counselling corner at the district social office",
        story: Story::ActiveReporting { last_check_in_days_ago: 2, progress: Progress::OffTrack },
        pace: Pace::FarBehind,
    },
    Delegate {
        name: "Nur Aisyah",
        email: "nur.aisyah@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Parenting classes for families of youth in rehabilitation",
        story: Story::ActiveSilent { last_check_in_days_ago: Some(8) },
        pace: Pace::OnSchedule,
    },
    Delegate {
        name: "Rudi Hartono",
        email: "rudi.hartono@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Sports league for youth leaving detention",
        story: Story::Discontinued,
        pace: Pace::Behind,
    },
    Delegate {
        name: "Maya Sari",
        email: "maya.sari@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Digital case records for the agency's youth caseload",
        story: Story::ActiveSilent { last_check_in_days_ago: Some(20) },
        pace: Pace::Behind,
    },
    Delegate {
        name: "Taufik Hidayat",
        email: "taufik.hidayat@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Mentoring pairs of trained and new social workers",
        story: Story::ChangesRequested,
        pace: Pace::OnSchedule,
    },
    Delegate {
        name: "Lestari Wulandari",
        email: "lestari.wulandari@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Life-skills workshops in the agency's youth shelter",
        story: Story::Outline,
        pace: Pace::OnSchedule,
    },
    Delegate {
        name: "Bayu Nugroho",
        email: "bayu.nugroho@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Job-readiness training with local employers",
        story: Story::ActiveReporting { last_check_in_days_ago: 1, progress: Progress::OnTrack },
        pace: Pace::OnSchedule,
    },
];
