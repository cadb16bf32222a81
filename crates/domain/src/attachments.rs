//! Evidence files (*bukti dukung*): photos of an activity, an attendance
//! list, a signed decree, attached to a check-in, an activity, a
//! measurement or a comment. Whoever may see the parent may see its files;
//! whoever may edit it may attach to it; the uploader removes their own
//! file while the plan is open. The content type is decided from the bytes,
//! only the kinds a government office uses are taken, and images lose their
//! location and camera metadata before they are stored.

use chrono::{DateTime, Utc};

use crate::error::FieldError;
use crate::ids::{AttachmentId, PlanId, ProgramId, UserId};
use crate::values::AttachmentParent;

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub program_id: ProgramId,
    pub plan_id: PlanId,
    pub parent_type: AttachmentParent,
    pub parent_id: uuid::Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the stored bytes, lowercase hex.
    pub sha256: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub uploaded_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub version: i64,
    /// An image with a small preview.
    pub has_preview: bool,
}

/// The kinds of file taken, by the content type their bytes show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Jpeg,
    Png,
    Webp,
    Heic,
    Pdf,
    /// Word, Excel, PowerPoint (Office Open XML and the older binary
    /// formats) and OpenDocument text, spreadsheet and presentation.
    Office(&'static str),
}

impl FileKind {
    pub fn content_type(self) -> &'static str {
        match self {
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
            FileKind::Webp => "image/webp",
            FileKind::Heic => "image/heic",
            FileKind::Pdf => "application/pdf",
            FileKind::Office(mime) => mime,
        }
    }

    /// Images are shown inline; everything else downloads.
    pub fn is_image(self) -> bool {
        matches!(self, FileKind::Jpeg | FileKind::Png | FileKind::Webp | FileKind::Heic)
    }

    /// The kind of a content type this server takes.
    pub fn of_content_type(mime: &str) -> Option<Self> {
        Some(match mime {
            "image/jpeg" => FileKind::Jpeg,
            "image/png" => FileKind::Png,
            "image/webp" => FileKind::Webp,
            "image/heic" | "image/heif" => FileKind::Heic,
            "application/pdf" => FileKind::Pdf,
            other => FileKind::Office(OFFICE_TYPES.iter().copied().find(|t| *t == other)?),
        })
    }
}

/// The office formats taken (as their bytes show them).
pub const OFFICE_TYPES: [&str; 9] = [
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword",
    "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
];

/// The longest file name kept, in characters.
pub const MAX_FILE_NAME: usize = 200;

/// A file name as stored and sent back: no directory part, no control or
/// path characters, no leading dots, at most [`MAX_FILE_NAME`] characters
/// (the extension kept); an empty result is `file`.
pub fn sanitise_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        base.chars().map(|c| if c.is_control() || "<>:\"|?*;".contains(c) { '_' } else { c }).collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let mut name: String = trimmed.to_owned();
    if name.chars().count() > MAX_FILE_NAME {
        let (stem, ext) = match name.rsplit_once('.') {
            Some((stem, ext)) if ext.chars().count() <= 10 => (stem.to_owned(), format!(".{ext}")),
            _ => (name.clone(), String::new()),
        };
        let keep = MAX_FILE_NAME - ext.chars().count();
        name = stem.chars().take(keep).collect::<String>() + &ext;
    }
    if name.is_empty() {
        "file".to_owned()
    } else {
        name
    }
}

/// The refusal of a file whose bytes are not a kind this server takes.
pub fn unsupported_type(detected: Option<&str>) -> FieldError {
    FieldError::new(
        "file",
        "unsupported_file_type",
        "must be a JPEG, PNG, WebP or HEIC image, a PDF, or a Word, Excel, PowerPoint or OpenDocument file",
    )
    .with("detected", detected.unwrap_or("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_their_paths_and_dangerous_characters() {
        assert_eq!(sanitise_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_file_name("C:\\Users\\ketut\\Daftar hadir.pdf"), "Daftar hadir.pdf");
        assert_eq!(sanitise_file_name("a\u{0}b\nc.jpg"), "a_b_c.jpg");
        assert_eq!(sanitise_file_name(".htaccess"), "htaccess");
        assert_eq!(sanitise_file_name("  "), "file");
        assert_eq!(sanitise_file_name("\"x\";.pdf"), "_x__.pdf");
        let long = format!("{}.pdf", "a".repeat(300));
        let kept = sanitise_file_name(&long);
        assert_eq!(kept.chars().count(), MAX_FILE_NAME);
        assert!(kept.ends_with(".pdf"));
    }

    #[test]
    fn only_the_office_kinds_are_taken() {
        assert_eq!(FileKind::of_content_type("image/jpeg"), Some(FileKind::Jpeg));
        assert!(FileKind::of_content_type("application/x-msdownload").is_none());
        assert!(FileKind::of_content_type("text/html").is_none());
        assert!(FileKind::Png.is_image() && !FileKind::Pdf.is_image());
    }
}
