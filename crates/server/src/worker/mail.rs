//! E-mail: the words of each reminder and digest in the recipient's
//! language (Indonesian or English), as plain text and HTML, each saying
//! how to turn that kind off; and the SMTP transport that sends them.

use chrono::NaiveDate;
use followup_domain::monitoring::DelegateRow;
use followup_domain::notifications::{long_date as date, render};
use followup_domain::values::PlanStatus;
use followup_persistence::repo::deliveries::Disabled;
use followup_persistence::repo::mail::{Mail, Recipient};
use followup_persistence::repo::reminders::Reminder;
use lettre::message::{header::ContentTransferEncoding, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The SMTP transport and the sender address.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `url`: `smtp://host:port` (STARTTLS when offered; `?tls=required` to
    /// insist), `smtps://host:port` (TLS from the start), with
    /// `user:password@` when the server wants a login.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse().map_err(|e| anyhow::anyhow!("FOLLOWUP_MAIL_FROM {from:?}: {e}"))?;
        Ok(Self { transport, from })
    }

    /// Send one message; the error in a sentence.
    pub async fn send(&self, to: &str, subject: &str, text: &str, html: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("address {to:?}: {e}"))?;
        let part = |content_type: lettre::message::header::ContentType, body: &str| {
            SinglePart::builder()
                .header(content_type)
                .header(ContentTransferEncoding::QuotedPrintable)
                .body(body.to_owned())
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .multipart(
                MultiPart::alternative()
                    .singlepart(part(lettre::message::header::ContentType::TEXT_PLAIN, text))
                    .singlepart(part(lettre::message::header::ContentType::TEXT_HTML, html)),
            )
            .map_err(|e| e.to_string())?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

fn indonesian(locale: &str) -> bool {
    locale == "id"
}

/// How to turn a kind off, in the recipient's language.
fn turn_off(field: &str, id: bool) -> String {
    if id {
        format!(
            "Anda menerima email ini karena jenis pemberitahuan ini aktif. Untuk menghentikannya, matikan \"{field}\" di pengaturan notifikasi aplikasi Followup (PATCH /api/v1/me/notifications {{\"{field}\": false}})."
        )
    } else {
        format!(
            "You receive this because this kind of notification is on. To stop it, turn off \"{field}\" in the Followup app's notification settings (PATCH /api/v1/me/notifications {{\"{field}\": false}})."
        )
    }
}

/// The message for a reminder; a digest also takes the mentor's delegates
/// in that programme (the mentor overview's rows).
pub fn compose(reminder: &Reminder, delegates: &[DelegateRow]) -> Mail {
    let to = reminder.recipient();
    let id = indonesian(&to.locale);
    let kind = reminder.kind().as_str();
    let (subject, mut paragraphs) = match reminder {
        Reminder::CheckInDue { program_title, due_on, last_reported_on, .. } => {
            let last = match (last_reported_on, id) {
                (Some(d), true) => format!("Laporan kemajuan terakhir Anda bertanggal {}.", date(*d, true)),
                (Some(d), false) => format!("Your latest check-in is dated {}.", date(*d, false)),
                (None, true) => "Anda belum mengirim laporan kemajuan.".to_owned(),
                (None, false) => "You have not sent a check-in yet.".to_owned(),
            };
            if id {
                (
                    format!("Pengingat: laporan kemajuan jatuh tempo {}", date(*due_on, true)),
                    vec![
                        format!("Halo {},", to.name),
                        format!(
                            "Laporan kemajuan (check-in) rencana aksi Anda untuk program {program_title} jatuh tempo pada {}. {last}",
                            date(*due_on, true)
                        ),
                        "Kirim laporan kemajuan Anda di aplikasi Followup: apa yang sudah berjalan, apa yang terhambat, dan bantuan apa yang Anda perlukan dari mentor.".to_owned(),
                    ],
                )
            } else {
                (
                    format!("Reminder: your check-in is due on {}", date(*due_on, false)),
                    vec![
                        format!("Hello {},", to.name),
                        format!(
                            "The check-in on your action plan for {program_title} is due on {}. {last}",
                            date(*due_on, false)
                        ),
                        "Send it in the Followup app: what went ahead, what is stuck, and what help you need from your mentor.".to_owned(),
                    ],
                )
            }
        }
        Reminder::ActivityOverdue { title, plan_title, due_on, .. } => {
            if id {
                (
                    format!("Kegiatan terlambat: {title}"),
                    vec![
                        format!("Halo {},", to.name),
                        format!(
                            "Kegiatan \"{title}\" dalam rencana aksi \"{plan_title}\" seharusnya selesai pada {} dan belum ditandai selesai.",
                            date(*due_on, true)
                        ),
                        "Tandai selesai bila sudah terlaksana, atau jadwalkan ulang dan ceritakan hambatannya di laporan kemajuan berikutnya.".to_owned(),
                    ],
                )
            } else {
                (
                    format!("Overdue activity: {title}"),
                    vec![
                        format!("Hello {},", to.name),
                        format!(
                            "The activity \"{title}\" of your action plan \"{plan_title}\" was due on {} and is not marked done.",
                            date(*due_on, false)
                        ),
                        "Mark it done if it took place, or reschedule it and tell your mentor what stands in the way in your next check-in.".to_owned(),
                    ],
                )
            }
        }
        Reminder::WeeklyDigest { program_title, week_of, .. } => {
            digest(&to.name, program_title, *week_of, delegates, id)
        }
        Reminder::SurveyDue { program_title, round, title, closes_on, .. } => {
            let path = format!("/api/v1/survey-rounds/{round}/response");
            if id {
                (
                    format!("Survei tindak lanjut dibuka: {title}"),
                    vec![
                        format!("Halo {},", to.name),
                        format!(
                            "Putaran survei \"{title}\" untuk program {program_title} sudah dibuka dan menunggu jawaban Anda sampai {}.",
                            date(*closes_on, true)
                        ),
                        format!("Jawab di aplikasi Followup (PUT {path}): beberapa menit saja, dan jawaban Anda membantu mengukur apa yang berubah setelah pelatihan. Anda dapat mengubah jawaban sampai putaran ditutup."),
                    ],
                )
            } else {
                (
                    format!("Follow-up survey open: {title}"),
                    vec![
                        format!("Hello {},", to.name),
                        format!(
                            "The survey round \"{title}\" of {program_title} is open and waits for your answers until {}.",
                            date(*closes_on, false)
                        ),
                        format!("Answer it in the Followup app (PUT {path}): a few minutes, and your answers show what changed after the training. You can change them until the round closes."),
                    ],
                )
            }
        }
    };
    paragraphs.push(turn_off(kind, id));
    let (text, html) = render(&paragraphs);
    Mail { user_id: to.user_id, kind, to: to.email.clone(), subject, text, html }
}

/// The notice to a webhook's owner that the server disabled it: which
/// endpoint, why, and how to turn it back on. Not a kind anyone turns off:
/// it goes to the few who manage the subscription, once per disabling.
pub fn webhook_disabled(disabled: &Disabled, to: &Recipient) -> Mail {
    let id = indonesian(&to.locale);
    let name = disabled.description.as_deref().unwrap_or(&disabled.url);
    let hook = disabled.webhook_id;
    let (subject, paragraphs) = if id {
        (
            format!("Webhook dinonaktifkan: {name}"),
            vec![
                format!("Halo {},", to.name),
                format!(
                    "Followup menonaktifkan webhook program {} ke {} karena pengirimannya terus gagal: {}.",
                    disabled.program_title, disabled.url, disabled.reason
                ),
                format!(
                    "Tidak ada lagi yang dikirim ke alamat itu. Periksa log pengiriman (GET /api/v1/webhooks/{hook}/deliveries), perbaiki penerimanya, lalu aktifkan kembali (PATCH /api/v1/webhooks/{hook} {{\"enabled\": true}}) dan kirim ulang peristiwa yang terlewat."
                ),
                "Anda menerima email ini karena Anda mengelola webhook ini; pemberitahuan ini tidak dapat dimatikan.".to_owned(),
            ],
        )
    } else {
        (
            format!("Webhook disabled: {name}"),
            vec![
                format!("Hello {},", to.name),
                format!(
                    "Followup disabled the {} webhook to {} because its deliveries kept failing: {}.",
                    disabled.program_title, disabled.url, disabled.reason
                ),
                format!(
                    "Nothing more is sent to that address. Read the delivery log (GET /api/v1/webhooks/{hook}/deliveries), mend the receiver, then turn the webhook back on (PATCH /api/v1/webhooks/{hook} {{\"enabled\": true}}) and redeliver what it missed."
                ),
                "You receive this because you manage this webhook; this notice cannot be turned off.".to_owned(),
            ],
        )
    };
    let (text, html) = render(&paragraphs);
    Mail { user_id: to.user_id, kind: "webhook_disabled", to: to.email.clone(), subject, text, html }
}

fn digest(
    name: &str,
    program: &str,
    week_of: NaiveDate,
    delegates: &[DelegateRow],
    id: bool,
) -> (String, Vec<String>) {
    let silent: Vec<String> = delegates
        .iter()
        .filter(|d| d.silent)
        .map(|d| match d.days_since_last_check_in {
            Some(days) if id => format!("- {} ({days} hari sejak laporan terakhir)", d.display_name),
            Some(days) => format!("- {} ({days} days since the latest check-in)", d.display_name),
            None if id => format!("- {} (belum pernah melapor)", d.display_name),
            None => format!("- {} (no check-in yet)", d.display_name),
        })
        .collect();
    let reviews: i64 = delegates.iter().map(|d| d.open_reviews).sum();
    let approvals = delegates.iter().filter(|d| matches!(d.plan, Some((_, PlanStatus::Submitted)))).count();
    let behind: i64 = delegates.iter().map(|d| d.indicators_behind).sum();
    let mut paragraphs = Vec::new();
    if id {
        paragraphs.push(format!("Halo {name},"));
        paragraphs.push(format!("Ringkasan minggu {} untuk program {program}:", date(week_of, true)));
        paragraphs.push(format!(
            "- Laporan kemajuan menunggu tinjauan Anda: {reviews}\n- Rencana aksi menunggu persetujuan: {approvals}\n- Indikator tertinggal dari jadwal: {behind}\n- Delegasi yang tidak melapor: {}",
            silent.len()
        ));
        if !silent.is_empty() {
            paragraphs.push("Delegasi yang tidak melapor lebih lama dari jadwal laporan program:".to_owned());
            paragraphs.push(silent.join("\n"));
        }
        (format!("Ringkasan mingguan: {program}"), paragraphs)
    } else {
        paragraphs.push(format!("Hello {name},"));
        paragraphs.push(format!("Your week of {} in {program}:", date(week_of, false)));
        paragraphs.push(format!(
            "- Check-ins awaiting your review: {reviews}\n- Plans awaiting approval: {approvals}\n- Indicators behind schedule: {behind}\n- Silent delegates: {}",
            silent.len()
        ));
        if !silent.is_empty() {
            paragraphs.push(
                "Delegates who have not reported for longer than the programme's check-in cadence:"
                    .to_owned(),
            );
            paragraphs.push(silent.join("\n"));
        }
        (format!("Weekly digest: {program}"), paragraphs)
    }
}
