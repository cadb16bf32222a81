//! Problem details in the caller's language: the message catalogue and the
//! `Accept-Language` negotiation.
//!
//! Every problem `code` has a title and a detail template, every field-error
//! `code` a message template, each in English and Indonesian. A more specific
//! wording is a key `code.variant` (`invalid_state.edit`). Templates name
//! their dynamic parts `{max}`, `{status}`; the error carries the values and
//! [`render`] substitutes them. The value of a parameter named `entity` is a
//! resource kind (`plan`, `check-in`) and is itself translated ([`TERMS`]).
//!
//! [`localize`] is the middleware: for a response whose error is an
//! [`ApiError`] it re-renders the body in the negotiated language and sets
//! `Content-Language` and `Vary: Accept-Language`. Successful responses pass
//! through untouched.
//!
//! The tests in `tests/catalogue.rs` scan the sources for codes and keys
//! passed to the error constructors and fail naming any the catalogue lacks.

use std::collections::BTreeSet;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use followup_domain::values::Locale;

use crate::problem::ApiError;

/// An English and an Indonesian text.
#[derive(Debug, Clone, Copy)]
pub struct Text {
    pub en: &'static str,
    pub id: &'static str,
}

impl Text {
    pub fn get(&self, lang: Locale) -> &'static str {
        match lang {
            Locale::En => self.en,
            Locale::Id => self.id,
        }
    }
}

const fn t(en: &'static str, id: &'static str) -> Text {
    Text { en, id }
}

/// Problem codes: `(code, title, detail)`.
pub static PROBLEMS: &[(&str, Text, Text)] = &[
    (
        "validation_failed",
        t("Validation failed", "Validasi gagal"),
        t("The request has {count} invalid fields.", "Permintaan memuat {count} isian yang tidak sah."),
    ),
    (
        "not_found",
        t("Not found", "Tidak ditemukan"),
        t(
            "The resource does not exist or is not visible to you.",
            "Sumber daya tidak ditemukan atau tidak dapat Anda akses.",
        ),
    ),
    (
        "forbidden",
        t("Forbidden", "Akses ditolak"),
        t("You may not perform this action.", "Anda tidak berwenang melakukan tindakan ini."),
    ),
    (
        "unauthorized",
        t("Unauthorized", "Belum terautentikasi"),
        t("Sign in to use this resource.", "Silakan masuk untuk mengakses sumber daya ini."),
    ),
    (
        "invalid_credentials",
        t("Unauthorized", "Belum terautentikasi"),
        t("The e-mail or password is wrong.", "Email atau kata sandi salah."),
    ),
    (
        "invalid_refresh_token",
        t("Unauthorized", "Belum terautentikasi"),
        t(
            "The refresh token is not valid (unknown, used, expired or revoked). Sign in again.",
            "Token penyegaran tidak sah (tidak dikenal, sudah dipakai, kedaluwarsa, atau dicabut). Silakan masuk kembali.",
        ),
    ),
    (
        "too_many_attempts",
        t("Too many attempts", "Terlalu banyak percobaan"),
        t(
            "Too many failed sign-ins. Try again in {wait} seconds.",
            "Terlalu banyak upaya masuk yang gagal. Coba lagi dalam {wait} detik.",
        ),
    ),
    (
        "method_not_allowed",
        t("Method not allowed", "Metode tidak diizinkan"),
        t("This resource supports: {allow}.", "Sumber daya ini hanya melayani metode: {allow}."),
    ),
    (
        "precondition_failed",
        t("Precondition failed", "Prasyarat tidak terpenuhi"),
        t(
            "The resource has changed; its current version is {version}.",
            "Sumber daya ini sudah berubah; versi terkininya adalah {version}.",
        ),
    ),
    (
        "service_unavailable",
        t("Service unavailable", "Layanan tidak tersedia"),
        t(
            "The database is unreachable. Retry shortly.",
            "Basis data tidak dapat dihubungi. Silakan coba lagi sebentar lagi.",
        ),
    ),
    (
        "internal_error",
        t("Internal server error", "Kesalahan internal server"),
        t(
            "An unexpected error occurred. It has been logged.",
            "Terjadi kesalahan yang tidak terduga. Kesalahan ini sudah dicatat.",
        ),
    ),
    (
        "payload_too_large",
        t("Payload too large", "Isi permintaan terlalu besar"),
        t("The body exceeds the limit of {limit} bytes.", "Isi permintaan melebihi batas {limit} bita."),
    ),
    (
        "unsupported_media_type",
        t("Unsupported media type", "Jenis media tidak didukung"),
        t("Send the body as application/json.", "Kirim isi permintaan sebagai application/json."),
    ),
    (
        "malformed_json",
        t("Bad request", "Permintaan tidak sah"),
        t("The body is not valid JSON.", "Isi permintaan bukan JSON yang sah."),
    ),
    (
        "bad_body",
        t("Bad request", "Permintaan tidak sah"),
        t("The body could not be read.", "Isi permintaan tidak dapat dibaca."),
    ),
    (
        "invalid_query",
        t("Bad request", "Permintaan tidak sah"),
        t("The query parameters are invalid.", "Parameter kueri tidak sah."),
    ),
    (
        "invalid_cursor",
        t("Bad request", "Permintaan tidak sah"),
        t("The cursor is not one this API issued.", "Kursor ini bukan kursor yang diterbitkan oleh API ini."),
    ),
    (
        "cursor_expired",
        t("Gone", "Sudah tidak tersedia"),
        t(
            "Changes after this cursor are no longer kept; sync again without `since`.",
            "Perubahan setelah kursor ini tidak disimpan lagi; lakukan sinkronisasi ulang tanpa `since`.",
        ),
    ),
    (
        "headers_too_large",
        t("Request header fields too large", "Kolom kepala permintaan terlalu besar"),
        t(
            "The request's header fields may take at most {max} bytes.",
            "Kolom kepala permintaan paling banyak {max} bita.",
        ),
    ),
    (
        "invalid_if_match",
        t("Bad request", "Permintaan tidak sah"),
        t(
            "If-Match must be an ETag such as \"3\" (quotes included) or *.",
            "If-Match harus berupa ETag seperti \"3\" (beserta tanda kutipnya) atau *.",
        ),
    ),
    (
        "invalid_idempotency_key",
        t("Bad request", "Permintaan tidak sah"),
        t(
            "Idempotency-Key must be one value of 1 to {max} visible ASCII characters.",
            "Idempotency-Key harus berupa satu nilai sepanjang 1 sampai {max} karakter ASCII yang terlihat.",
        ),
    ),
    (
        "idempotency_key_reused",
        t("Idempotency key reused", "Kunci idempotensi sudah dipakai"),
        t(
            "This Idempotency-Key was already used for a different request; use a new key for a new request.",
            "Idempotency-Key ini sudah dipakai untuk permintaan lain; gunakan kunci baru untuk permintaan baru.",
        ),
    ),
    (
        "request_in_progress",
        t("Request in progress", "Permintaan sedang diproses"),
        t(
            "A request with this Idempotency-Key is still being processed. Retry shortly.",
            "Permintaan dengan Idempotency-Key ini masih diproses. Silakan coba lagi sebentar lagi.",
        ),
    ),
    (
        "invalid_transition",
        t("Conflict", "Konflik"),
        t(
            "This transition is not possible from the plan's current status.",
            "Perubahan status ini tidak dapat dilakukan dari status rencana aksi saat ini.",
        ),
    ),
    (
        "invalid_state",
        t("Conflict", "Konflik"),
        t(
            "The plan's current status does not allow this.",
            "Status rencana aksi saat ini tidak memungkinkan tindakan ini.",
        ),
    ),
    (
        "id_conflict",
        t("Conflict", "Konflik"),
        t("A different {entity} already has this id.", "{entity} lain sudah memakai id ini."),
    ),
    (
        "still_referenced",
        t("Conflict", "Konflik"),
        t("The organisation is still referenced.", "Organisasi ini masih dirujuk oleh data lain."),
    ),
    (
        "last_admin",
        t("Conflict", "Konflik"),
        t(
            "The last active admin can be neither demoted nor deactivated.",
            "Admin aktif terakhir tidak dapat diturunkan perannya maupun dinonaktifkan.",
        ),
    ),
    (
        "code_taken",
        t("Conflict", "Konflik"),
        t("A programme with this code already exists.", "Program dengan kode ini sudah ada."),
    ),
    (
        "name_taken",
        t("Conflict", "Konflik"),
        t("An organisation with this name already exists.", "Organisasi dengan nama ini sudah ada."),
    ),
    (
        "email_taken",
        t("Conflict", "Konflik"),
        t("An account with this e-mail address already exists.", "Akun dengan alamat email ini sudah ada."),
    ),
    (
        "already_member",
        t("Conflict", "Konflik"),
        t("This account is already a member of the programme.", "Akun ini sudah menjadi anggota program ini."),
    ),
    (
        "already_exists",
        t("Conflict", "Konflik"),
        t(
            "This mentor already mentors this delegate here.",
            "Mentor ini sudah membimbing peserta tersebut dalam program ini.",
        ),
    ),
    ("exists", t("Conflict", "Konflik"), t("This already exists.", "Data ini sudah ada.")),
];

/// More specific details: `(code.variant, detail)`.
pub static DETAILS: &[(&str, Text)] = &[
    ("validation_failed.one", t("The request has 1 invalid field.", "Permintaan memuat 1 isian yang tidak sah.")),
    ("validation_failed.query", t("A query parameter is invalid.", "Salah satu parameter kueri tidak sah.")),
    (
        "validation_failed.shape",
        t(
            "The body does not match the expected shape.",
            "Isi permintaan tidak sesuai dengan bentuk yang diharapkan.",
        ),
    ),
    (
        "not_found.entity",
        t("No {entity} with that id is visible to you.", "{entity} tidak ditemukan atau tidak dapat Anda akses."),
    ),
    ("not_found.route", t("No route for {method} {path}.", "Tidak ada rute untuk {method} {path}.")),
    (
        "not_found.path",
        t(
            "No such resource: a path segment is not valid.",
            "Sumber daya tidak ditemukan: salah satu bagian path tidak sah.",
        ),
    ),
    (
        "unauthorized.missing_token",
        t(
            "Send an access token: Authorization: Bearer <token>.",
            "Kirim token akses: Authorization: Bearer <token>.",
        ),
    ),
    ("unauthorized.invalid_token", t("The access token is not valid.", "Token akses tidak sah.")),
    (
        "unauthorized.session_ended",
        t("The session has ended; sign in again.", "Sesi Anda sudah berakhir; silakan masuk kembali."),
    ),
    (
        "payload_too_large.known",
        t(
            "The body is {length} bytes; the limit is {limit} bytes.",
            "Ukuran isi permintaan {length} bita; batasnya {limit} bita.",
        ),
    ),
    (
        "malformed_json.at",
        t(
            "The body is not valid JSON (line {line}, column {column}).",
            "Isi permintaan bukan JSON yang sah (baris {line}, kolom {column}).",
        ),
    ),
    ("malformed_json.empty", t("The body is empty; send a JSON object.", "Isi permintaan kosong; kirim sebuah objek JSON.")),
    (
        "invalid_cursor.sort",
        t(
            "The cursor is not one this API issued for this sort.",
            "Kursor ini bukan kursor yang diterbitkan oleh API ini untuk urutan tersebut.",
        ),
    ),
    (
        "forbidden.cors",
        t(
            "This origin, method or header may not be used from a browser.",
            "Origin, metode, atau header ini tidak boleh dipakai dari peramban.",
        ),
    ),
    ("forbidden.admin_only", t("This action needs the admin role.", "Tindakan ini memerlukan peran admin.")),
    (
        "forbidden.manage_program",
        t(
            "Only the programme's coordinators and admins may change it.",
            "Hanya koordinator program dan admin yang boleh mengubah program ini.",
        ),
    ),
    (
        "forbidden.write_plan",
        t(
            "Only a delegate of the programme writes an action plan.",
            "Hanya peserta program yang dapat menyusun rencana aksi.",
        ),
    ),
    (
        "forbidden.owner_only",
        t(
            "Only the plan's owner may change its content.",
            "Hanya pemilik rencana aksi yang boleh mengubah isinya.",
        ),
    ),
    (
        "forbidden.mentors_comment",
        t(
            "A mentors-only comment can be written by mentors and coordinators only.",
            "Komentar khusus mentor hanya dapat ditulis oleh mentor dan koordinator.",
        ),
    ),
    (
        "forbidden.comment",
        t(
            "Only the owner, the owner's mentors and coordinators comment on a plan.",
            "Hanya pemilik, mentor pemilik, dan koordinator yang dapat mengomentari rencana aksi.",
        ),
    ),
    (
        "forbidden.comment_author",
        t(
            "Only its author changes or deletes a comment.",
            "Hanya penulisnya yang dapat mengubah atau menghapus komentar ini.",
        ),
    ),
    (
        "forbidden.review_check_in",
        t(
            "Only a mentor of the plan's owner reviews check-ins.",
            "Hanya mentor pemilik rencana aksi yang dapat meninjau laporan kemajuan.",
        ),
    ),
    ("forbidden.submit", t("Only the plan's owner submits it.", "Hanya pemilik rencana aksi yang dapat mengajukannya.")),
    (
        "forbidden.review_plan",
        t(
            "Only a mentor of the owner or a coordinator of the programme reviews a plan.",
            "Hanya mentor pemilik atau koordinator program yang dapat meninjau rencana aksi.",
        ),
    ),
    (
        "forbidden.close_plan",
        t(
            "Only the owner, a mentor of the owner or a coordinator closes a plan.",
            "Hanya pemilik, mentor pemilik, atau koordinator yang dapat menutup rencana aksi.",
        ),
    ),
    (
        "invalid_transition.submit",
        t("A plan that is {status} cannot be submitted.", "Rencana aksi berstatus {status} tidak dapat diajukan."),
    ),
    (
        "invalid_transition.approve",
        t("A plan that is {status} cannot be approved.", "Rencana aksi berstatus {status} tidak dapat disetujui."),
    ),
    (
        "invalid_transition.request_changes",
        t(
            "A plan that is {status} cannot be sent back for changes.",
            "Rencana aksi berstatus {status} tidak dapat dikembalikan untuk diperbaiki.",
        ),
    ),
    (
        "invalid_transition.complete",
        t("A plan that is {status} cannot be completed.", "Rencana aksi berstatus {status} tidak dapat diselesaikan."),
    ),
    (
        "invalid_transition.discontinue",
        t("A plan that is {status} cannot be discontinued.", "Rencana aksi berstatus {status} tidak dapat dihentikan."),
    ),
    (
        "invalid_state.edit",
        t(
            "A plan that is {status} cannot be edited; its content is editable in draft or changes_requested.",
            "Rencana aksi berstatus {status} tidak dapat diubah; isinya hanya dapat diubah pada status draft atau changes_requested.",
        ),
    ),
    (
        "invalid_state.tracking",
        t(
            "A plan that is {status} cannot change its activities or indicators.",
            "Kegiatan dan indikator rencana aksi berstatus {status} tidak dapat diubah.",
        ),
    ),
    (
        "invalid_state.not_active",
        t(
            "A plan that is {status} takes no measurements or check-ins; only an active plan does.",
            "Rencana aksi berstatus {status} tidak dapat menerima pengukuran maupun laporan kemajuan; hanya rencana aksi yang aktif yang dapat.",
        ),
    ),
    (
        "invalid_state.delete",
        t(
            "A plan that is {status} cannot be deleted; only drafts can. Discontinue it instead.",
            "Rencana aksi berstatus {status} tidak dapat dihapus; hanya draf yang dapat dihapus. Hentikan rencana aksi ini sebagai gantinya.",
        ),
    ),
    (
        "still_referenced.counts",
        t(
            "The organisation is still referenced by {people} account(s) and {children} child organisation(s).",
            "Organisasi ini masih dirujuk oleh {people} akun dan {children} organisasi turunan.",
        ),
    ),
];

/// Field-error messages: `(code or code.variant, message)`.
pub static FIELDS: &[(&str, Text)] = &[
    ("required", t("is required", "wajib diisi")),
    ("too_short", t("must be at least {min} characters", "paling sedikit {min} karakter")),
    ("too_long", t("must be at most {max} characters", "paling banyak {max} karakter")),
    ("too_many", t("must have at most {max} entries", "paling banyak {max} butir")),
    ("invalid_characters", t("must not contain control characters", "tidak boleh memuat karakter kontrol")),
    (
        "invalid_email",
        t(
            "must be an e-mail address like name@example.org",
            "harus berupa alamat email, misalnya nama@example.org",
        ),
    ),
    (
        "invalid_time_zone",
        t(
            "must be an IANA time zone such as Asia/Jakarta",
            "harus berupa zona waktu IANA, misalnya Asia/Jakarta",
        ),
    ),
    ("same_as_email", t("must not be the e-mail address", "tidak boleh sama dengan alamat email")),
    ("invalid_url", t("must be an http or https URL", "harus berupa URL http atau https")),
    ("before_start", t("must be on or after {other}", "tidak boleh lebih awal dari {other}")),
    ("before_training_end", t("must be on or after {other}", "tidak boleh lebih awal dari {other}")),
    ("out_of_range", t("must be between {min} and {max}", "harus di antara {min} dan {max}")),
    ("empty", t("must not be empty", "tidak boleh kosong")),
    ("missing", t("is missing", "tidak ada")),
    (
        "outside_plan_period",
        t(
            "must be within the plan's period, {start} to {end}",
            "harus berada dalam periode rencana aksi, {start} sampai {end}",
        ),
    ),
    ("not_done", t("is set only when the status is done", "hanya diisi bila statusnya done")),
    ("not_finite", t("must be a finite number", "harus berupa bilangan terhingga")),
    (
        "inconsistent_direction",
        t("does not match the indicator's direction", "tidak sesuai dengan arah indikator"),
    ),
    (
        "inconsistent_direction.increase",
        t(
            "must be greater than baseline for an increasing indicator",
            "harus lebih besar daripada baseline untuk indikator yang naik",
        ),
    ),
    (
        "inconsistent_direction.decrease",
        t(
            "must be less than baseline for a decreasing indicator",
            "harus lebih kecil daripada baseline untuk indikator yang turun",
        ),
    ),
    ("incorrect", t("is not your current password", "bukan kata sandi Anda saat ini")),
    ("unknown_field", t("is not a field of this resource", "bukan isian yang dikenal pada sumber daya ini")),
    ("invalid", t("is invalid", "tidak sah")),
    ("invalid_value", t("has an invalid value", "nilainya tidak sah")),
    ("invalid_value.choice", t("must be one of: {allowed}", "harus salah satu dari: {allowed}")),
    ("invalid_value.reason", t("has an invalid value: {reason}", "nilainya tidak sah ({reason})")),
    (
        "unknown_target",
        t(
            "no {entity} of this plan has this id",
            "tidak ada {entity} pada rencana aksi ini dengan id tersebut",
        ),
    ),
    ("unknown_organization", t("no organisation has this id", "tidak ada organisasi dengan id ini")),
    ("unknown_user", t("no account has this id", "tidak ada akun dengan id ini")),
    ("not_a_mentor", t("is not a mentor of this programme", "bukan mentor dalam program ini")),
    ("not_a_delegate", t("is not a delegate of this programme", "bukan peserta dalam program ini")),
    (
        "cycle",
        t(
            "would make the organisation its own ancestor",
            "akan menjadikan organisasi ini induk bagi dirinya sendiri",
        ),
    ),
    ("too_deep", t("the hierarchy is deeper than 64 levels", "hierarki organisasi lebih dari 64 tingkat")),
    ("wrong_sort", t("the cursor belongs to another sort order", "kursor ini milik urutan yang lain")),
];

/// Resource kinds, substituted for `{entity}`.
pub static TERMS: &[(&str, Text)] = &[
    ("plan", t("plan", "rencana aksi")),
    ("program", t("programme", "program")),
    ("user", t("user", "pengguna")),
    ("organization", t("organisation", "organisasi")),
    ("activity", t("activity", "kegiatan")),
    ("indicator", t("indicator", "indikator")),
    ("measurement", t("measurement", "pengukuran")),
    ("check-in", t("check-in", "laporan kemajuan")),
    ("check_in", t("check-in", "laporan kemajuan")),
    ("comment", t("comment", "komentar")),
    ("membership", t("membership", "keanggotaan")),
    ("mentorship", t("mentorship", "penugasan mentor")),
];

fn lookup(table: &'static [(&'static str, Text)], key: &str) -> Option<Text> {
    table.iter().find(|(k, _)| *k == key).map(|(_, text)| *text)
}

/// The title of problem `code`.
pub fn title(code: &str, lang: Locale) -> Option<&'static str> {
    PROBLEMS.iter().find(|(c, _, _)| *c == code).map(|(_, title, _)| title.get(lang))
}

/// The detail template of `key`: a problem code or `code.variant`.
pub fn detail_template(key: &str) -> Option<Text> {
    PROBLEMS.iter().find(|(c, _, _)| *c == key).map(|(_, _, detail)| *detail).or_else(|| lookup(DETAILS, key))
}

/// The message template of a field-error `key`.
pub fn field_template(key: &str) -> Option<Text> {
    lookup(FIELDS, key)
}

/// The word for a resource kind (`plan` → `rencana aksi`); unknown kinds stay as they are.
pub fn term(kind: &str, lang: Locale) -> String {
    lookup(TERMS, kind).map_or_else(|| kind.to_owned(), |text| text.get(lang).to_owned())
}

/// The `{placeholders}` a template names.
pub fn placeholders(template: &str) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = rest.get(open + 1..).unwrap_or_default();
        match after.find('}') {
            Some(close) => {
                names.insert(after.get(..close).unwrap_or_default());
                rest = after.get(close + 1..).unwrap_or_default();
            }
            None => break,
        }
    }
    names
}

/// Substitute `params` into `template`; `None` when a placeholder has no value.
/// The result starts with a capital letter when the template starts with a
/// placeholder (`{entity} tidak ditemukan` → `Rencana aksi tidak ditemukan`).
pub fn render(template: &str, lang: Locale, params: &[(&'static str, String)]) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or_default());
        let after = rest.get(open + 1..).unwrap_or_default();
        let close = after.find('}')?;
        let name = after.get(..close).unwrap_or_default();
        let value = params.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())?;
        if name == "entity" {
            out.push_str(&term(value, lang));
        } else {
            out.push_str(value);
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    if template.starts_with('{') {
        let mut chars = out.chars();
        if let Some(first) = chars.next() {
            out = first.to_uppercase().chain(chars).collect();
        }
    }
    Some(out)
}

// ---- negotiation ---------------------------------------------------------------

/// The language for an `Accept-Language` value (RFC 9110 §12.5.4): the
/// supported language with the highest q-value wins, `id`/`in` (the old ISO
/// code) and `id-ID` are Indonesian, `en-*` English; `*` stands for any
/// language not named otherwise. Ties keep the listed order. No header,
/// nothing acceptable or a malformed value answer English.
pub fn negotiate(header: Option<&str>) -> Locale {
    let Some(header) = header else { return Locale::En };
    let mut best: Option<(u16, Locale)> = None;
    let mut named = [false, false];
    let mut wildcard: Option<u16> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let Some(q) = parts.map(str::trim).try_fold(1000u16, |q, param| match param.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("q") => qvalue(value.trim()),
            Some(_) => Some(q),
            None if param.is_empty() => Some(q),
            None => None,
        }) else {
            continue;
        };
        let primary = tag.split('-').next().unwrap_or_default();
        let lang = match primary {
            "id" | "in" => Locale::Id,
            "en" => Locale::En,
            "*" if tag == "*" => {
                wildcard = Some(wildcard.map_or(q, |w| w.max(q)));
                continue;
            }
            _ => continue,
        };
        let slot = usize::from(lang == Locale::Id);
        if let Some(seen) = named.get_mut(slot) {
            *seen = true;
        }
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    // `*` speaks for the languages the header does not name.
    if let Some(w) = wildcard.filter(|w| *w > 0) {
        for (slot, lang) in [(0, Locale::En), (1, Locale::Id)] {
            if !named.get(slot).copied().unwrap_or(true) && best.is_none_or(|(b, _)| w > b) {
                best = Some((w, lang));
            }
        }
    }
    best.map_or(Locale::En, |(_, lang)| lang)
}

/// An RFC 9110 qvalue in thousandths: `0`, `0.5`, `1.000`; anything else is `None`.
fn qvalue(raw: &str) -> Option<u16> {
    let (int, frac) = raw.split_once('.').unwrap_or((raw, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

// ---- middleware ------------------------------------------------------------------

/// Re-render problem details in the language the request asks for.
pub async fn localize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let lang = negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    // Handler and extractor errors arrive as responses carrying their error;
    // the middlewares inside this one answer theirs the same way
    // (`ServiceRequest::error_response`). The request is not kept here: a
    // second reference would stop inner middlewares from changing it.
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(problem) =
        res.response().error().and_then(|e| e.as_error::<ApiError>()).map(|e| e.problem_in(lang))
    else {
        return Ok(res);
    };
    let Ok(body) = serde_json::to_vec(&problem) else { return Ok(res) };
    let mut res = res.map_body(|_, _| BoxBody::new(body));
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.as_str()));
    headers.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_q_values() {
        use Locale::{En, Id};
        for (header, expected) in [
            ("id", Id),
            ("ID", Id),
            ("id-ID", Id),
            ("in", Id),
            ("in-ID", Id),
            ("en", En),
            ("en-US,en;q=0.9", En),
            ("fr, id;q=0.5", Id),
            ("id;q=0.4, en;q=0.8", En),
            ("en;q=0.4, id-ID;q=0.8", Id),
            ("en;q=0, id", Id),
            ("id;q=0", En),
            ("fr", En),
            ("*", En),
            ("en;q=0, *", Id),
            ("fr, *;q=0.5", En),
            ("id, en", Id),
            ("en, id", En),
            ("id;q=0.5, en;q=0.5", Id),
            ("", En),
            ("id;q=2", En),
            ("id;q=abc, en;q=0.1", En),
            ("indonesian", En),
            ("id;level=1;q=0.7", Id),
        ] {
            assert_eq!(negotiate(Some(header)), expected, "{header:?}");
        }
        assert_eq!(negotiate(None), En);
    }

    #[test]
    fn odd_headers_never_panic_and_answer_a_language() {
        let pieces = [
            "", ",", ";", "=", "q", "q=", "q=1", "q=0.", "q=.5", "q=1.0001", "q=0.999", "id", "in", "en",
            "*", "-", "id-", "-id", " ", "\t", "é", "日本", "{", "%", "\u{0}",
        ];
        let mut count = 0;
        for a in pieces {
            for b in pieces {
                for sep in [",", ";", ", ", ";q=0.5,", "-"] {
                    let header = format!("{a}{sep}{b}");
                    let lang = negotiate(Some(&header));
                    assert!(matches!(lang, Locale::En | Locale::Id));
                    count += 1;
                }
            }
        }
        assert!(count > 3000);
    }

    #[test]
    fn templates_take_their_parameters() {
        let params = vec![("entity", "plan".to_owned())];
        let Some(not_found) = detail_template("not_found.entity") else { panic!("missing entry") };
        assert_eq!(
            render(not_found.id, Locale::Id, &params).as_deref(),
            Some("Rencana aksi tidak ditemukan atau tidak dapat Anda akses.")
        );
        assert_eq!(
            render(not_found.en, Locale::En, &params).as_deref(),
            Some("No plan with that id is visible to you.")
        );
        assert_eq!(render("paling banyak {max} karakter", Locale::Id, &[]), None);
        assert_eq!(placeholders("{a} and {b} and {a}").into_iter().collect::<Vec<_>>(), vec!["a", "b"]);
    }
}
