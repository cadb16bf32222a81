//! The words of the outcome report (HTML page, CSV labels, chart titles and
//! axes, the JSON `labels` map), in English and Indonesian. A figure's key
//! (`plans.active`) is language-neutral; its label is looked up here.

use followup_domain::values::Locale;

use crate::i18n::Text;

const fn t(en: &'static str, id: &'static str) -> Text {
    Text { en, id }
}

/// Label of every figure key and of the page's own words.
pub static LABELS: &[(&str, Text)] = &[
    // Sections.
    ("section.plans", t("Plans by status", "Rencana aksi menurut status")),
    ("section.activities", t("Activities", "Kegiatan")),
    ("section.indicators", t("Indicators", "Indikator")),
    ("section.check_ins", t("Check-in regularity", "Keteraturan laporan kemajuan")),
    ("section.change_requests", t("Change requests", "Permintaan perubahan")),
    ("section.surveys", t("Follow-up surveys", "Survei tindak lanjut")),
    // Surveys: the round or question follows the label.
    ("surveys.delegates", t("Delegates asked", "Peserta yang ditanya")),
    ("surveys.responses", t("Responses", "Jawaban")),
    ("surveys.response_rate", t("Response rate", "Tingkat jawaban")),
    ("surveys.answered", t("Answered", "Dijawab")),
    ("surveys.mean", t("Mean", "Rata-rata")),
    ("surveys.min", t("Smallest answer", "Jawaban terkecil")),
    ("surveys.max", t("Largest answer", "Jawaban terbesar")),
    ("surveys.count", t("Answers", "Jawaban")),
    ("chart.surveys", t("Answers on the 1–5 scale", "Jawaban pada skala 1–5")),
    ("axis.answers", t("Answers", "Jawaban")),
    ("axis.scale", t("Scale (1–5)", "Skala (1–5)")),
    // Plans.
    ("delegates", t("Delegates in the report", "Peserta dalam laporan")),
    ("plans.total", t("Plans (drafts not counted)", "Rencana aksi (draf tidak dihitung)")),
    ("plans.submitted", t("Submitted for review", "Diajukan untuk ditinjau")),
    ("plans.changes_requested", t("Changes requested", "Perlu perbaikan")),
    ("plans.active", t("Active", "Aktif")),
    ("plans.completed", t("Completed", "Selesai")),
    ("plans.discontinued", t("Discontinued", "Dihentikan")),
    // Activities.
    ("activities.total", t("Activities", "Kegiatan")),
    ("activities.done_on_time", t("Done on time", "Selesai tepat waktu")),
    ("activities.done_late", t("Done late", "Selesai terlambat")),
    ("activities.open", t("Open, not yet due", "Berjalan, belum jatuh tempo")),
    ("activities.overdue", t("Overdue", "Lewat tenggat")),
    ("activities.cancelled", t("Cancelled", "Dibatalkan")),
    ("activities.unfinished", t("Unfinished, plan closed", "Tidak selesai, rencana ditutup")),
    // Indicators.
    ("indicators.total", t("Indicators", "Indikator")),
    ("indicators.original.reached", t("Reached (original target)", "Tercapai (target awal)")),
    ("indicators.original.on_track", t("On track (original target)", "Sesuai jadwal (target awal)")),
    ("indicators.original.behind", t("Behind (original target)", "Tertinggal (target awal)")),
    ("indicators.current.reached", t("Reached (current target)", "Tercapai (target saat ini)")),
    ("indicators.current.on_track", t("On track (current target)", "Sesuai jadwal (target saat ini)")),
    ("indicators.current.behind", t("Behind (current target)", "Tertinggal (target saat ini)")),
    ("indicators.target_changed", t("Targets changed since approval", "Target yang berubah sejak disetujui")),
    // Check-ins.
    ("check_ins.cadence_days", t("Expected every (days)", "Diharapkan setiap (hari)")),
    ("check_ins.made", t("Check-ins made", "Laporan kemajuan dibuat")),
    ("check_ins.expected", t("Check-ins expected", "Laporan kemajuan diharapkan")),
    ("check_ins.windows_on_schedule", t("Periods with a check-in", "Periode dengan laporan kemajuan")),
    ("check_ins.share_on_schedule", t("Share on schedule", "Porsi tepat jadwal")),
    ("check_ins.delegate.made", t("Check-ins made", "Laporan kemajuan dibuat")),
    ("check_ins.delegate.expected", t("Check-ins expected", "Laporan kemajuan diharapkan")),
    ("check_ins.delegate.windows_on_schedule", t("Periods with a check-in", "Periode dengan laporan kemajuan")),
    ("check_ins.delegate.share_on_schedule", t("Share on schedule", "Porsi tepat jadwal")),
    ("check_ins.delegate.longest_gap_days", t("Longest gap (days)", "Jeda terpanjang (hari)")),
    ("check_ins.delegate.last_reported_on", t("Last check-in", "Laporan kemajuan terakhir")),
    // Change requests.
    ("change_requests.total", t("Change requests", "Permintaan perubahan")),
    ("change_requests.approved", t("Approved", "Disetujui")),
    ("change_requests.declined", t("Declined", "Ditolak")),
    ("change_requests.open", t("Awaiting a decision", "Menunggu keputusan")),
    ("change_requests.moved_end_date", t("Approved: end date moved", "Disetujui: tanggal selesai diubah")),
    ("change_requests.changed_target", t("Approved: a target changed", "Disetujui: target diubah")),
    // The page.
    ("page.title", t("Outcome report", "Laporan hasil")),
    ("page.programme", t("Programme", "Program")),
    ("page.funder", t("Funder", "Penyandang dana")),
    ("page.follow_up", t("Follow-up", "Masa tindak lanjut")),
    ("page.generated", t("Generated", "Dibuat")),
    ("page.delegates", t("Delegates", "Peserta")),
    ("page.scope_mentees", t("Covers only the delegates you mentor.", "Hanya mencakup peserta yang Anda dampingi.")),
    ("page.no_drafts", t(
        "Draft plans, comments and free text are never part of this report.",
        "Rencana aksi berstatus draf, komentar, dan teks bebas tidak pernah dimuat dalam laporan ini.",
    )),
    ("page.figure", t("Figure", "Angka")),
    ("page.value", t("Value", "Nilai")),
    ("page.delegate", t("Delegate", "Peserta")),
    ("page.none", t("none", "tidak ada")),
    ("page.definitions", t("Definitions", "Definisi")),
    ("def.activities", t(
        "Activities of plans that are not drafts. Done on time: done, and completed on or before the due date (or without one). Done late: completed after the due date. Overdue: neither done nor cancelled and due before today in the delegate's time zone. Open: neither done nor cancelled and not overdue. Unfinished: neither done nor cancelled on a completed or discontinued plan.",
        "Kegiatan dari rencana aksi yang bukan draf. Selesai tepat waktu: selesai pada atau sebelum tenggat (atau tanpa tenggat). Selesai terlambat: selesai setelah tenggat. Lewat tenggat: belum selesai dan tidak dibatalkan, dengan tenggat sebelum hari ini menurut zona waktu peserta. Berjalan: belum selesai, tidak dibatalkan, dan belum lewat tenggat. Tidak selesai: belum selesai dan tidak dibatalkan pada rencana aksi yang sudah selesai atau dihentikan.",
    )),
    ("def.indicators", t(
        "Each indicator is judged twice: against the baseline, target and end date approved with the plan, and against the current ones. Reached: the latest measurement has gone all the way from baseline to target. Behind: its progress is less than the share of the plan period that has passed. On track: neither.",
        "Setiap indikator dinilai dua kali: terhadap nilai awal, target, dan tanggal selesai yang disetujui bersama rencana aksi, dan terhadap nilai saat ini. Tercapai: pengukuran terakhir sudah mencapai target. Tertinggal: kemajuannya lebih kecil dari porsi masa rencana yang sudah berlalu. Sesuai jadwal: selain keduanya.",
    )),
    ("def.check_ins", t(
        "The follow-up so far runs from the end of training to today (or the end of the follow-up) and is divided into periods of the programme's check-in cadence. Expected: the whole periods so far. Share on schedule: the periods holding at least one check-in, over those expected. Longest gap: the most days between the end of training, two check-ins, or the last check-in and today.",
        "Masa tindak lanjut sejauh ini dihitung dari akhir pelatihan sampai hari ini (atau akhir masa tindak lanjut) dan dibagi menjadi periode sepanjang jadwal laporan program. Diharapkan: jumlah periode penuh sejauh ini. Porsi tepat jadwal: periode yang memuat sedikitnya satu laporan kemajuan dibagi periode yang diharapkan. Jeda terpanjang: jumlah hari terbanyak antara akhir pelatihan, dua laporan, atau laporan terakhir dan hari ini.",
    )),
    ("def.change_requests", t(
        "Requests to change a running plan, by status; the last two count approved requests that moved the end date or changed at least one indicator's target.",
        "Permintaan untuk mengubah rencana aksi yang sedang berjalan, menurut status; dua baris terakhir menghitung permintaan yang disetujui yang mengubah tanggal selesai atau sedikitnya satu target indikator.",
    )),
    // Charts: axes and series.
    ("axis.plans", t("Plans", "Rencana aksi")),
    ("axis.activities", t("Activities", "Kegiatan")),
    ("axis.indicators", t("Indicators", "Indikator")),
    ("axis.check_ins", t("Check-ins", "Laporan kemajuan")),
    ("axis.requests", t("Requests", "Permintaan")),
    ("axis.status", t("Status", "Status")),
    ("axis.standing", t("Standing", "Posisi")),
    ("axis.delegate", t("Delegate", "Peserta")),
    ("series.original", t("Original target", "Target awal")),
    ("series.current", t("Current target", "Target saat ini")),
    ("series.made", t("Made", "Dibuat")),
    ("series.expected", t("Expected", "Diharapkan")),
    ("chart.plans", t("Plans by status", "Rencana aksi menurut status")),
    ("chart.activities", t("Activities: on time, late, open, overdue", "Kegiatan: tepat waktu, terlambat, berjalan, lewat tenggat")),
    ("chart.indicators", t("Indicators against original and current targets", "Indikator terhadap target awal dan target saat ini")),
    ("chart.check_ins", t("Check-ins made and expected, per delegate", "Laporan kemajuan dibuat dan diharapkan, per peserta")),
    ("chart.change_requests", t("Change requests", "Permintaan perubahan")),
    ("standing.reached", t("Reached", "Tercapai")),
    ("standing.on_track", t("On track", "Sesuai jadwal")),
    ("standing.behind", t("Behind", "Tertinggal")),
];

/// The label of `key` in `lang`; the key itself when it has none (a test
/// holds every key the report uses to an entry).
pub fn label(key: &str, lang: Locale) -> &'static str {
    LABELS.iter().find(|(k, _)| *k == key).map_or("", |(_, text)| text.get(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_and_keys_are_unique() {
        for (i, (key, text)) in LABELS.iter().enumerate() {
            assert!(!text.en.is_empty() && !text.id.is_empty(), "{key}");
            assert!(LABELS.iter().skip(i + 1).all(|(k, _)| k != key), "{key} twice");
        }
    }
}
