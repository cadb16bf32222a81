//! The demo's follow-up survey: a round the coordinator opened three days
//! ago, answered by the delegates whose plans run (how often they apply
//! family-based case management, families accompanied, whether they shared
//! the training, where they apply it, one change in their words). Those
//! still drafting, and Yohanes (whose answer the README's tour sends), have
//! not answered: the dashboards count them and the reminders find them.

use chrono::{DateTime, NaiveDate, Utc};
use followup_domain::ids::{ProgramId, SurveyRoundId, UserId};
use followup_domain::surveys::{AnswerValue, Answers, Choice, Localized, NewRound, Question, RoundFields};
use followup_domain::values::{QuestionKind, SystemRole};
use followup_domain::Actor;
use followup_persistence::repo::{survey_responses, surveys};
use followup_persistence::{DbConnection, StoreError};

use super::made;
use super::story::{Delegate, Pace, Story};

fn text(id: &str, en: &str) -> Localized {
    Localized { id: id.to_owned(), en: en.to_owned() }
}

fn question(key: &str, kind: QuestionKind, id: &str, en: &str, required: bool) -> Question {
    Question { key: key.to_owned(), kind, prompt: text(id, en), choices: Vec::new(), required }
}

/// The round's questions, as the OpenAPI example shows them.
fn questions() -> Vec<Question> {
    let mut setting = question(
        "setting",
        QuestionKind::Choice,
        "Di mana Anda paling banyak menerapkannya?",
        "Where do you apply it most?",
        false,
    );
    setting.choices = vec![
        Choice { key: "office".into(), label: text("Kantor dinas", "Agency office") },
        Choice { key: "field".into(), label: text("Kunjungan rumah", "Home visits") },
        Choice { key: "both".into(), label: text("Keduanya", "Both") },
    ];
    vec![
        question(
            "applied",
            QuestionKind::Scale,
            "Seberapa sering Anda menerapkan manajemen kasus berbasis keluarga dalam pekerjaan sehari-hari? (1 = tidak pernah, 5 = setiap hari)",
            "How often do you apply family-based case management in your daily work? (1 = never, 5 = every day)",
            true,
        ),
        question(
            "families",
            QuestionKind::Number,
            "Berapa keluarga yang Anda dampingi bulan ini?",
            "How many families did you accompany this month?",
            false,
        ),
        question(
            "shared",
            QuestionKind::YesNo,
            "Apakah Anda sudah berbagi materi pelatihan Seoul dengan rekan kerja?",
            "Have you shared the Seoul training material with colleagues?",
            true,
        ),
        setting,
        question(
            "story",
            QuestionKind::Text,
            "Ceritakan satu perubahan dalam praktik Anda.",
            "Tell us about one change in your practice.",
            false,
        ),
    ]
}

/// A delegate's answers, from how their plan is going.
fn answers(d: &Delegate, i: usize) -> Answers {
    let (applied, families, setting) = match d.pace {
        Pace::Ahead => (5.0, 18.0, "both"),
        Pace::OnSchedule => (4.0, 12.0, if i.is_multiple_of(2) { "field" } else { "both" }),
        Pace::Behind => (3.0, 6.0, "office"),
        Pace::FarBehind => (2.0, 3.0, "office"),
    };
    let mut a = Answers::new();
    a.insert("applied".into(), AnswerValue::Number(applied));
    a.insert("families".into(), AnswerValue::Number(families + (i % 3) as f64));
    a.insert("shared".into(), AnswerValue::Bool(!matches!(d.pace, Pace::FarBehind)));
    a.insert("setting".into(), AnswerValue::Text(setting.into()));
    let story = match d.pace {
        Pace::Ahead => "Kami kini membuat rencana pendampingan bersama keluarga, bukan hanya untuk anak.",
        Pace::OnSchedule => "Asesmen keluarga sekarang menjadi langkah pertama setiap kasus baru.",
        Pace::Behind => "Kunjungan rumah belum rutin karena anggaran transportasi terbatas.",
        Pace::FarBehind => "Saya baru mulai; atasan belum menyetujui perubahan prosedur.",
    };
    if i % 4 != 3 {
        a.insert("story".into(), AnswerValue::Text(story.into()));
    }
    a
}

/// Open the round (the coordinator) and file the answers of the delegates
/// whose plans run, but Yohanes's.
pub(super) fn survey_story(
    c: &mut DbConnection,
    now: DateTime<Utc>,
    program_id: ProgramId,
    training_ends_on: NaiveDate,
    coordinator: &Actor,
    delegates: &[(&Delegate, UserId)],
) -> Result<(), StoreError> {
    // Opened three days ago, for two weeks.
    let days = (now.date_naive() - training_ends_on).num_days() - 3;
    let fields = RoundFields {
        title: text(
            "Survei tindak lanjut: apa yang berubah dalam praktik Anda?",
            "Follow-up survey: what has changed in your practice?",
        ),
        days_after_training: i32::try_from(days).unwrap_or(0).clamp(0, 3650),
        open_days: 14,
        questions: questions(),
        observers_see_text: false,
    };
    let round =
        made(surveys::create(c, coordinator, program_id, &NewRound { id: SurveyRoundId::new(), fields })?);
    for (i, (d, user)) in delegates.iter().enumerate() {
        let running =
            matches!(d.story, Story::ActiveReporting { .. } | Story::ActiveSilent { .. } | Story::Completed);
        if !running || d.email.starts_with("yohanes") {
            continue;
        }
        let delegate =
            Actor { user_id: *user, system_role: SystemRole::Member, session_id: coordinator.session_id };
        survey_responses::answer(c, &delegate, round.round.id, &answers(d, i), None)?;
    }
    Ok(())
}
