//! The reference story's people: the fifteen delegates of the Seoul
//! programme (fictional names, real organisations), their units and time
//! zones, and where each one's action plan stands.

use followup_domain::values::Progress;

/// What the delegate's plan looks like in the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Story {
    /// Still writing the plan.
    Draft,
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

pub(super) struct Delegate {
    pub(super) name: &'static str,
    pub(super) email: &'static str,
    /// The organisation's name, one of those [`seed`] creates.
    pub(super) org: &'static str,
    pub(super) time_zone: &'static str,
    pub(super) position: &'static str,
    pub(super) plan: &'static str,
    pub(super) story: Story,
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
    },
    Delegate {
        name: "Dewi Anggraini",
        email: "dewi.anggraini@followup.demo",
        org: "Directorate of Child Social Rehabilitation",
        time_zone: "Asia/Jakarta",
        position: "Social worker",
        plan: "Case-management guideline for children in conflict with the law",
        story: Story::ActiveSilent { last_check_in_days_ago: Some(40) },
    },
    Delegate {
        name: "Bambang Sutrisno",
        email: "bambang.sutrisno@followup.demo",
        org: "Directorate of Elderly Social Rehabilitation",
        time_zone: "Asia/Jakarta",
        position: "Social worker",
        plan: "Intergenerational volunteering between youth and elderly residents",
        story: Story::ActiveSilent { last_check_in_days_ago: None },
    },
    Delegate {
        name: "Rina Marlina",
        email: "rina.marlina@followup.demo",
        org: "Directorate of Disability Social Rehabilitation",
        time_zone: "Asia/Jakarta",
        position: "Social worker",
        plan: "Vocational mentoring for young people with disabilities",
        story: Story::Submitted,
    },
    Delegate {
        name: "Agus Setiawan",
        email: "agus.setiawan@followup.demo",
        org: "Sentra Handayani Jakarta",
        time_zone: "Asia/Jakarta",
        position: "Social worker",
        plan: "Family conferences before a child leaves Sentra Handayani",
        story: Story::ChangesRequested,
    },
    Delegate {
        name: "Fitri Handayani",
        email: "fitri.handayani@followup.demo",
        org: "Directorate General of Social Rehabilitation",
        time_zone: "Asia/Jakarta",
        position: "Social extension worker",
        plan: "Outreach sessions on youth rehabilitation services in schools",
        story: Story::Draft,
    },
    Delegate {
        name: "Hendra Wijaya",
        email: "hendra.wijaya@followup.demo",
        org: "Directorate General of Social Protection and Security",
        time_zone: "Asia/Jakarta",
        position: "Social extension worker",
        plan: "Referral map of youth services for social extension workers",
        story: Story::Completed,
    },
    Delegate {
        name: "Siti Rahmawati",
        email: "siti.rahmawati@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Street-youth outreach team in North Jakarta",
        story: Story::ActiveReporting { last_check_in_days_ago: 5, progress: Progress::AtRisk },
    },
    Delegate {
        name: "Andi Pratama",
        email: "andi.pratama@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Drop-in counselling corner at the district social office",
        story: Story::ActiveReporting { last_check_in_days_ago: 2, progress: Progress::OffTrack },
    },
    Delegate {
        name: "Nur Aisyah",
        email: "nur.aisyah@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Parenting classes for families of youth in rehabilitation",
        story: Story::ActiveSilent { last_check_in_days_ago: Some(8) },
    },
    Delegate {
        name: "Rudi Hartono",
        email: "rudi.hartono@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Sports league for youth leaving detention",
        story: Story::Discontinued,
    },
    Delegate {
        name: "Maya Sari",
        email: "maya.sari@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Digital case records for the agency's youth caseload",
        story: Story::ActiveSilent { last_check_in_days_ago: Some(20) },
    },
    Delegate {
        name: "Taufik Hidayat",
        email: "taufik.hidayat@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Mentoring pairs of trained and new social workers",
        story: Story::Submitted,
    },
    Delegate {
        name: "Lestari Wulandari",
        email: "lestari.wulandari@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Life-skills workshops in the agency's youth shelter",
        story: Story::Draft,
    },
    Delegate {
        name: "Bayu Nugroho",
        email: "bayu.nugroho@followup.demo",
        org: DKI,
        time_zone: "Asia/Jakarta",
        position: "Social welfare officer",
        plan: "Job-readiness training with local employers",
        story: Story::ActiveReporting { last_check_in_days_ago: 1, progress: Progress::OnTrack },
    },
];
