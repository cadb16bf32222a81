//! What a file is, decided from its bytes (never the client's word), and
//! images cleaned before they are stored: EXIF (with its GPS position and
//! camera), XMP, IPTC and comments are removed, keeping only what shows
//! the picture right (its colour profile and orientation); HEIC photos by
//! [`super::heif`].

use bytes::Bytes;
use followup_domain::attachments::FileKind;
use img_parts::{ImageEXIF, ImageICC};

/// Bytes enough to tell every kind taken apart (an Office file is a zip
/// whose first entries say which).
pub const SNIFF_BYTES: usize = 64 * 1024;

/// The kind of file `head` (its first [`SNIFF_BYTES`], or all of it) is,
/// when it is one this server takes; else what it looked like.
pub fn sniff(head: &[u8]) -> Result<FileKind, Option<&'static str>> {
    let found = infer::get(head).map(|t| t.mime_type());
    found.and_then(FileKind::of_content_type).ok_or(found)
}

/// An image made fit to store.
pub struct Cleaned {
    /// The image without its metadata.
    pub bytes: Bytes,
    /// Width and height, in pixels.
    pub dimensions: Option<(u32, u32)>,
    /// A small JPEG of it, turned upright ([`preview`]).
    pub preview: Option<Bytes>,
}

/// An image without its metadata, its size and its preview; `None` when
/// the bytes are not a well-formed image of that kind.
pub fn clean_image(kind: FileKind, bytes: Bytes) -> Option<Cleaned> {
    let mut turned = None;
    let cleaned = match kind {
        FileKind::Jpeg => {
            let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(bytes).ok()?;
            let orientation = jpeg.exif().as_deref().and_then(orientation);
            turned = orientation;
            let icc = jpeg.icc_profile();
            // APP0 (JFIF) and APP14 (Adobe colour transform) describe the
            // pixels; every other application segment and comment is metadata.
            jpeg.segments_mut().retain(|s| {
                let m = s.marker();
                !((0xE1..=0xEF).contains(&m) && m != 0xEE) && m != 0xFE
            });
            jpeg.set_icc_profile(icc);
            jpeg.set_exif(orientation.filter(|o| *o != 1).map(orientation_only));
            jpeg.encoder().bytes()
        }
        FileKind::Png => {
            let mut png = img_parts::png::Png::from_bytes(bytes).ok()?;
            for kind in [*b"eXIf", *b"tEXt", *b"zTXt", *b"iTXt", *b"tIME"] {
                png.remove_chunks_by_type(kind);
            }
            png.encoder().bytes()
        }
        FileKind::Webp => {
            let mut webp = img_parts::webp::WebP::from_bytes(bytes).ok()?;
            webp.set_exif(None);
            webp.remove_chunks_by_id(*b"XMP ");
            webp.encoder().bytes()
        }
        FileKind::Heic => Bytes::from(super::heif::strip_metadata(bytes.to_vec())?),
        FileKind::Pdf | FileKind::Office(_) => return None,
    };
    let dimensions = imagesize::blob_size(&cleaned).ok().map(|s| (s.width as u32, s.height as u32));
    let preview = preview(kind, &cleaned, turned);
    Some(Cleaned { bytes: cleaned, dimensions, preview })
}

/// The longest side of a preview, in pixels.
pub const PREVIEW_SIDE: u32 = 320;

/// The most a picture may take decoded to get a preview (a 48-megapixel
/// photo, RGBA); larger ones have none rather than the server's memory.
const PREVIEW_DECODE_BYTES: u64 = 200 * 1024 * 1024;

/// A JPEG at most [`PREVIEW_SIDE`] pixels a side, upright; none for HEIC
/// (no decoder here) or a picture too large to decode.
fn preview(kind: FileKind, image: &[u8], orientation: Option<u16>) -> Option<Bytes> {
    let format = match kind {
        FileKind::Jpeg => image::ImageFormat::Jpeg,
        FileKind::Png => image::ImageFormat::Png,
        FileKind::Webp => image::ImageFormat::WebP,
        FileKind::Heic | FileKind::Pdf | FileKind::Office(_) => return None,
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(image), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(PREVIEW_DECODE_BYTES);
    reader.limits(limits);
    let decoded = match reader.decode() {
        Ok(decoded) => decoded,
        Err(error) => {
            tracing::info!(%error, "no preview for an image");
            return None;
        }
    };
    // Never enlarged: a picture already small is its own preview.
    let mut small = if decoded.width().max(decoded.height()) > PREVIEW_SIDE {
        decoded.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE)
    } else {
        decoded
    };
    if let Some(turn) =
        orientation.and_then(|o| u8::try_from(o).ok()).and_then(image::metadata::Orientation::from_exif)
    {
        small.apply_orientation(turn);
    }
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
    small.into_rgb8().write_with_encoder(encoder).ok()?;
    Some(Bytes::from(out))
}

/// The orientation (TIFF tag 0x0112) an EXIF block holds.
fn orientation(tiff: &[u8]) -> Option<u16> {
    let little = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if little { u16::from_le_bytes(b) } else { u16::from_be_bytes(b) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::from(u16_at(ifd)?);
    (0..entries.min(512)).find_map(|i| {
        let entry = ifd + 2 + i * 12;
        (u16_at(entry)? == 0x0112).then(|| u16_at(entry + 8)).flatten()
    })
}

/// An EXIF block that holds only an orientation.
fn orientation_only(value: u16) -> Bytes {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes());
    tiff.extend_from_slice(&0x0112u16.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes());
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&value.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    Bytes::from(tiff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_orientation_survives_alone() {
        let block = orientation_only(6);
        assert_eq!(orientation(&block), Some(6));
    }

    #[test]
    fn a_program_renamed_as_a_picture_is_refused() {
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
        exe.resize(512, 0);
        assert!(sniff(&exe).is_err());
        assert!(sniff(b"<html><script>alert(1)</script></html>").is_err());
        assert_eq!(sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), Ok(FileKind::Pdf));
    }
}
