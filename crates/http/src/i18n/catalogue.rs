//! The message catalogue: every problem title and detail, field-error message
//! and resource-kind word, in English and Indonesian. Data only; the lookups
//! and template rendering are in [`crate::i18n`].

use followup_domain::values::Locale;

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
        "password_change_required",
        t("Password change required", "Kata sandi harus diganti"),
        t(
            "Choose your own password first: POST /api/v1/me/password with the one you were given.",
            "Pilih kata sandi Anda sendiri terlebih dahulu: POST /api/v1/me/password dengan kata sandi yang Anda terima.",
        ),
    ),
    (
        "not_an_account",
        t("Not an account", "Bukan akun"),
        t(
            "An API key is not an account: this call needs a person's access token (POST /api/v1/auth/login).",
            "Kunci API bukan akun: panggilan ini memerlukan token akses milik seseorang (POST /api/v1/auth/login).",
        ),
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
        "too_many_reset_requests",
        t("Too many requests", "Terlalu banyak permintaan"),
        t(
            "Too many password-reset requests. Try again in {wait} seconds.",
            "Terlalu banyak permintaan atur ulang kata sandi. Coba lagi dalam {wait} detik.",
        ),
    ),
    (
        "rate_limited",
        t("Too many requests", "Terlalu banyak permintaan"),
        t(
            "This API key has used its allowance of requests for now. Try again in {wait} seconds.",
            "Kunci API ini sudah menghabiskan jatah permintaannya untuk saat ini. Coba lagi dalam {wait} detik.",
        ),
    ),
    (
        "mail_unavailable",
        t("Not available on this server", "Tidak tersedia di server ini"),
        t(
            "This server sends no e-mail, so a password cannot be reset by e-mail: ask your programme's coordinator or an administrator to reset it.",
            "Server ini tidak mengirim email, sehingga kata sandi tidak dapat diatur ulang lewat email: mintalah koordinator program Anda atau administrator untuk mengatur ulang.",
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
        "file_too_large",
        t("File too large", "Berkas terlalu besar"),
        t(
            "A file may be at most {limit_mb} MB ({limit} bytes).",
            "Ukuran berkas paling besar {limit_mb} MB ({limit} bita).",
        ),
    ),
    (
        "quota_exceeded",
        t("Programme storage full", "Ruang penyimpanan program penuh"),
        t(
            "This file would take the programme's files past its quota of {quota_mb} MB ({used_mb} MB used). Remove files no longer needed or ask an administrator to raise FOLLOWUP_PROGRAM_QUOTA_MB.",
            "Berkas ini akan membuat berkas program melampaui kuota {quota_mb} MB ({used_mb} MB terpakai). Hapus berkas yang tidak diperlukan lagi atau minta administrator menaikkan FOLLOWUP_PROGRAM_QUOTA_MB.",
        ),
    ),
    (
        "tus_version",
        t("Unsupported tus version", "Versi tus tidak didukung"),
        t(
            "Send Tus-Resumable: 1.0.0 (this server speaks tus 1.0.0).",
            "Kirim Tus-Resumable: 1.0.0 (server ini memakai tus 1.0.0).",
        ),
    ),
    (
        "invalid_tus_header",
        t("Bad request", "Permintaan tidak sah"),
        t(
            "A tus header is missing or not valid (Upload-Length, Upload-Offset, Upload-Checksum).",
            "Tajuk tus tidak ada atau tidak sah (Upload-Length, Upload-Offset, Upload-Checksum).",
        ),
    ),
    (
        "upload_too_long",
        t("Bad request", "Permintaan tidak sah"),
        t("The bytes sent go past Upload-Length.", "Bita yang dikirim melebihi Upload-Length."),
    ),
    (
        "offset_mismatch",
        t("Conflict", "Konflik"),
        t(
            "Upload-Offset is not where the upload stands: ask with HEAD and send from there.",
            "Upload-Offset tidak sesuai dengan posisi unggahan: tanyakan dengan HEAD lalu kirim dari posisi itu.",
        ),
    ),
    (
        "checksum_mismatch",
        t("Checksum mismatch", "Checksum tidak cocok"),
        t(
            "The bytes received do not match Upload-Checksum; send them again.",
            "Bita yang diterima tidak cocok dengan Upload-Checksum; kirim ulang.",
        ),
    ),
    (
        "invalid_download_link",
        t("Forbidden", "Tidak diizinkan"),
        t(
            "This download link is not valid or has expired: ask the API for a new one.",
            "Tautan unduhan ini tidak sah atau sudah kedaluwarsa: mintalah tautan baru dari API.",
        ),
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
        "precondition_required",
        t("Precondition required", "Prasyarat diperlukan"),
        t(
            "Send If-Match with the ETag that GET {path} answered (or * to change whichever version is current).",
            "Kirim If-Match berisi ETag dari jawaban GET {path} (atau * untuk mengubah versi mana pun yang berlaku).",
        ),
    ),
    (
        "unknown_parameter",
        t("Bad request", "Permintaan tidak sah"),
        t(
            "`{name}` is not a query parameter of this endpoint; it takes: {expected}.",
            "`{name}` bukan parameter kueri titik akhir ini; yang diterima: {expected}.",
        ),
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
        "program_closed",
        t("Conflict", "Konflik"),
        t("The programme is closed.", "Program ini sudah ditutup."),
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
        "change_request_open",
        t("Conflict", "Konflik"),
        t(
            "This plan already has an open change request: wait for its decision before proposing another.",
            "Rencana aksi ini sudah memiliki permintaan perubahan yang terbuka: tunggu keputusannya sebelum mengajukan yang lain.",
        ),
    ),
    (
        "survey_round_not_open",
        t("Conflict", "Konflik"),
        t(
            "This survey round opens on {opens_on} (your date): answers are taken from that day.",
            "Putaran survei ini dibuka pada {opens_on} (tanggal Anda): jawaban diterima mulai hari itu.",
        ),
    ),
    (
        "survey_round_closed",
        t("Conflict", "Konflik"),
        t(
            "This survey round closed after {closes_on}: its answers can no longer change.",
            "Putaran survei ini ditutup setelah {closes_on}: jawabannya tidak dapat diubah lagi.",
        ),
    ),
    (
        "survey_round_answered",
        t("Conflict", "Konflik"),
        t(
            "Delegates have answered this survey round: its questions stay as they were answered, and the round cannot be removed.",
            "Delegasi sudah menjawab putaran survei ini: pertanyaannya tetap seperti saat dijawab, dan putaran ini tidak dapat dihapus.",
        ),
    ),
    (
        "survey_answered",
        t("Conflict", "Konflik"),
        t(
            "You have answered this survey round already: send If-Match to change your answers.",
            "Anda sudah menjawab putaran survei ini: kirim If-Match untuk mengubah jawaban Anda.",
        ),
    ),
    (
        "change_request_stale",
        t("Conflict", "Konflik"),
        t(
            "The plan or one of its indicators changed after this request was made: decline it and propose the change again.",
            "Rencana aksi atau salah satu indikatornya berubah setelah permintaan ini dibuat: tolak permintaan ini dan ajukan perubahannya lagi.",
        ),
    ),
    (
        "change_request_required",
        t("Conflict", "Konflik"),
        t(
            "A running plan changes what was approved through a change request: POST {path}.",
            "Rencana aksi yang berjalan mengubah hal yang sudah disetujui melalui permintaan perubahan: POST {path}.",
        ),
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
    (
        "webhook_disabled",
        t("Conflict", "Konflik"),
        t(
            "The webhook is disabled: enable it (PATCH enabled: true) before redelivering.",
            "Webhook ini dinonaktifkan: aktifkan dulu (PATCH enabled: true) sebelum mengirim ulang.",
        ),
    ),
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
        "unsupported_media_type.tus",
        t(
            "Send the bytes as application/offset+octet-stream.",
            "Kirim bita sebagai application/offset+octet-stream.",
        ),
    ),
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
    (
        "forbidden.reset_own_password",
        t(
            "Change your own password at POST /api/v1/me/password; a reset would sign you out everywhere.",
            "Ganti kata sandi Anda sendiri melalui POST /api/v1/me/password; atur ulang akan mengeluarkan Anda dari semua sesi.",
        ),
    ),
    (
        "forbidden.reset_password",
        t(
            "Only an admin, or a coordinator for the delegates and observers of their programme, resets a password.",
            "Hanya admin, atau koordinator untuk delegasi dan pengamat programnya, yang dapat mengatur ulang kata sandi.",
        ),
    ),
    (
        "forbidden.monitoring",
        t(
            "The programme's aggregates are for its coordinators, mentors and observers.",
            "Ringkasan program hanya untuk koordinator, mentor, dan pengamatnya.",
        ),
    ),
    (
        "forbidden.survey_answer",
        t(
            "Survey rounds are answered by the programme's delegates.",
            "Putaran survei dijawab oleh delegasi program.",
        ),
    ),
    (
        "forbidden.survey_results",
        t(
            "Survey results are for the programme's coordinators, mentors and observers.",
            "Hasil survei hanya untuk koordinator, mentor, dan pengamat program.",
        ),
    ),
    (
        "forbidden.survey_individuals",
        t(
            "Individual answers are for the programme's coordinators and the delegates' mentors; read the results instead.",
            "Jawaban perorangan hanya untuk koordinator program dan mentor delegasi; bacalah hasilnya.",
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
        "forbidden.attach",
        t(
            "Only the plan's owner attaches files to its check-ins, activities and measurements, and only a comment's author to the comment.",
            "Hanya pemilik rencana aksi yang dapat melampirkan berkas pada laporan kemajuan, kegiatan, dan pengukurannya, dan hanya penulis komentar pada komentarnya.",
        ),
    ),
    (
        "forbidden.remove_file",
        t(
            "Only the person who uploaded a file removes it.",
            "Hanya pengunggah berkas yang dapat menghapusnya.",
        ),
    ),
    (
        "forbidden.plan_closed_files",
        t(
            "The plan is completed or discontinued: its files can no longer be added or removed.",
            "Rencana aksi sudah selesai atau dihentikan: berkasnya tidak dapat lagi ditambah atau dihapus.",
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
            "Rencana aksi berstatus {status} tidak dapat diubah; isinya hanya dapat diubah pada status draf atau perlu perbaikan.",
        ),
    ),
    (
        "change_request_required.plan",
        t(
            "The end date and goal of a running plan change through a change request that a mentor approves: POST {path}.",
            "Tanggal selesai dan tujuan rencana aksi yang berjalan diubah melalui permintaan perubahan yang disetujui mentor: POST {path}.",
        ),
    ),
    (
        "change_request_required.indicator",
        t(
            "The baseline and target of a running plan's indicator change through a change request that a mentor approves: POST {path}.",
            "Nilai awal dan target indikator rencana aksi yang berjalan diubah melalui permintaan perubahan yang disetujui mentor: POST {path}.",
        ),
    ),
    (
        "invalid_state.change_request_plan",
        t(
            "A plan that is {status} takes no change requests; only a running (active) plan does.",
            "Rencana aksi berstatus {status} tidak menerima permintaan perubahan; hanya rencana aksi yang berjalan (aktif).",
        ),
    ),
    (
        "invalid_state.change_request_decided",
        t(
            "This change request is already {status}.",
            "Permintaan perubahan ini sudah {status}.",
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
        "program_closed.status",
        t(
            "The programme is closed: it takes no new plans or check-ins.",
            "Program ini sudah ditutup: tidak menerima rencana aksi atau laporan kemajuan baru.",
        ),
    ),
    (
        "program_closed.ended",
        t(
            "The programme's follow-up ended on {date}: it takes no new plans or check-ins.",
            "Masa tindak lanjut program ini berakhir pada {date}: tidak menerima rencana aksi atau laporan kemajuan baru.",
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
        "invalid_state.revise",
        t(
            "A check-in that is {status} cannot be revised; its author revises it when a mentor asks for a revision.",
            "Laporan kemajuan berstatus {status} tidak dapat direvisi; penulisnya merevisinya bila mentor meminta revisi.",
        ),
    ),
    (
        "invalid_state.withdrawn",
        t(
            "The measurement is withdrawn: it takes no correction and is not withdrawn twice.",
            "Pengukuran ini sudah ditarik: tidak dapat dikoreksi maupun ditarik lagi.",
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
    (
        "too_guessable",
        t(
            "is too easy to guess; use a few unrelated words",
            "terlalu mudah ditebak; pakailah beberapa kata yang tidak berkaitan",
        ),
    ),
    (
        "too_guessable.personal",
        t(
            "is easy to guess: it contains your name or e-mail address",
            "mudah ditebak: memuat nama atau alamat email Anda",
        ),
    ),
    (
        "too_guessable.common",
        t("is one of the most common passwords", "termasuk kata sandi yang paling umum"),
    ),
    (
        "too_guessable.word",
        t(
            "is easy to guess: a common word or name; use a few unrelated words",
            "mudah ditebak: kata atau nama yang umum; pakailah beberapa kata yang tidak berkaitan",
        ),
    ),
    ("too_guessable.keyboard", t("is easy to guess: a keyboard pattern", "mudah ditebak: pola papan ketik")),
    (
        "too_guessable.repeat",
        t(
            "is easy to guess: repeated characters or words",
            "mudah ditebak: karakter atau kata yang berulang",
        ),
    ),
    (
        "too_guessable.sequence",
        t("is easy to guess: a sequence such as abc or 1234", "mudah ditebak: urutan seperti abc atau 1234"),
    ),
    ("too_guessable.dates", t("is easy to guess: dates and years", "mudah ditebak: tanggal dan tahun")),
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
    ("not_https", t("must be an https URL", "harus berupa URL https")),
    (
        "target_refused",
        t(
            "must not point to a loopback, private or link-local address",
            "tidak boleh menuju alamat loopback, privat, atau link-local",
        ),
    ),
    (
        "unknown_event_type",
        t("is not an event type: {allowed}", "bukan jenis peristiwa: {allowed}"),
    ),
    ("before_start", t("must be on or after {other}", "tidak boleh lebih awal dari {other}")),
    ("before_training_end", t("must be on or after {other}", "tidak boleh lebih awal dari {other}")),
    ("out_of_range", t("must be between {min} and {max}", "harus di antara {min} dan {max}")),
    ("empty", t("must not be empty", "tidak boleh kosong")),
    (
        "nothing_to_correct",
        t(
            "send at least one of value, measured_on, note, evidence",
            "kirim setidaknya salah satu dari value, measured_on, note, evidence",
        ),
    ),
    ("missing", t("is missing", "tidak ada")),
    (
        "outside_program",
        t(
            "must lie within the programme's period, {start} to {end}",
            "harus berada dalam periode program, {start} sampai {end}",
        ),
    ),
    (
        "outside_plan_period",
        t(
            "must be within the plan's period, {start} to {end}",
            "harus berada dalam periode rencana aksi, {start} sampai {end}",
        ),
    ),
    ("not_done", t("is set only when the status is done", "hanya diisi bila kegiatannya berstatus selesai")),
    (
        "in_the_future",
        t(
            "must not be after today ({today}) in the plan owner's time zone",
            "tidak boleh setelah hari ini ({today}) menurut zona waktu pemilik rencana aksi",
        ),
    ),
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
    ("conflicts_with_password", t("cannot be given with a password", "tidak dapat diberikan bersama kata sandi")),
    (
        "invalid_token",
        t(
            "is not a valid invitation or reset token (unknown, used, withdrawn or expired)",
            "bukan token undangan atau token atur ulang yang sah (tidak dikenal, sudah dipakai, ditarik, atau kedaluwarsa)",
        ),
    ),
    (
        "unknown_parameter",
        t("is not a query parameter of this endpoint", "bukan parameter kueri titik akhir ini"),
    ),
    ("unknown_field", t("is not a field of this resource", "bukan isian yang dikenal pada sumber daya ini")),
    ("invalid", t("is invalid", "tidak sah")),
    ("invalid_value", t("has an invalid value", "nilainya tidak sah")),
    ("invalid_value.choice", t("must be one of: {allowed}", "harus salah satu dari: {allowed}")),
    ("invalid_value.reason", t("has an invalid value: {reason}", "nilainya tidak sah ({reason})")),
    (
        "unsupported_file_type",
        t(
            "must be a JPEG, PNG, WebP or HEIC image, a PDF, or a Word, Excel, PowerPoint or OpenDocument file",
            "harus berupa gambar JPEG, PNG, WebP atau HEIC, PDF, atau berkas Word, Excel, PowerPoint atau OpenDocument",
        ),
    ),
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
    ("duplicate", t("names the same thing twice", "menyebut hal yang sama dua kali")),
    ("count", t("holds too few or too many items", "berisi terlalu sedikit atau terlalu banyak butir")),
    ("count.questions", t("must hold from 1 to 30 questions", "harus berisi 1 sampai 30 pertanyaan")),
    ("count.choices", t("a choice question offers from 2 to 20 choices", "pertanyaan pilihan menawarkan 2 sampai 20 pilihan")),
    ("not_allowed", t("is not allowed here", "tidak diperbolehkan di sini")),
    ("not_allowed.choices", t("only a choice question offers choices", "hanya pertanyaan pilihan yang menawarkan pilihan")),
    ("unknown", t("is not known here", "tidak dikenal di sini")),
    ("unknown.question", t("is not a question of this round", "bukan pertanyaan dalam putaran ini")),
    ("invalid.key_word", t("must be 1–40 lowercase letters, digits or _", "harus 1–40 huruf kecil, angka, atau _")),
    ("invalid.answer_scale", t("must be a whole number from 1 to 5", "harus bilangan bulat 1 sampai 5")),
    ("invalid.answer_number", t("must be a number", "harus berupa angka")),
    ("invalid.answer_yes_no", t("must be true (yes) or false (no)", "harus true (ya) atau false (tidak)")),
    ("invalid.answer_choice", t("must be the key of one of the question's choices", "harus kunci salah satu pilihan pertanyaan ini")),
    ("invalid.answer_text", t("must be a text", "harus berupa teks")),
    ("blank", t("must not be blank", "tidak boleh kosong")),
    ("not_in_plan", t("is not an indicator of this plan", "bukan indikator rencana aksi ini")),
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
    ("api_key", t("API key", "kunci API")),
    ("webhook", t("webhook", "webhook")),
    ("webhook_delivery", t("webhook delivery", "pengiriman webhook")),
    ("attachment", t("file", "berkas")),
    ("upload", t("upload", "unggahan")),
    ("change_request", t("change request", "permintaan perubahan")),
    ("survey_round", t("survey round", "putaran survei")),
    ("survey_response", t("survey response", "jawaban survei")),
];

/// Status words, substituted for `{status}`: the wire word in English, a
/// word of the language in Indonesian (never the English enum word).
pub static STATUSES: &[(&str, Text)] = &[
    ("draft", t("draft", "draf")),
    ("submitted", t("submitted", "diajukan")),
    ("changes_requested", t("changes_requested", "perlu perbaikan")),
    ("active", t("active", "aktif")),
    ("completed", t("completed", "selesai")),
    ("discontinued", t("discontinued", "dihentikan")),
    ("pending", t("pending", "menunggu tinjauan")),
    ("acknowledged", t("acknowledged", "sudah ditanggapi")),
    ("revision_requested", t("revision_requested", "perlu revisi")),
    ("planned", t("planned", "direncanakan")),
    ("training", t("training", "masa pelatihan")),
    ("follow_up", t("follow_up", "masa tindak lanjut")),
    ("closed", t("closed", "ditutup")),
    ("in_progress", t("in_progress", "sedang berjalan")),
    ("done", t("done", "selesai")),
    ("blocked", t("blocked", "terhambat")),
    ("cancelled", t("cancelled", "dibatalkan")),
    ("open", t("open", "terbuka")),
    ("approved", t("approved", "disetujui")),
    ("declined", t("declined", "ditolak")),
];
