//! The demo's evidence files: the photo of Kupang's first workshop and its
//! signed attendance list on the check-in the mentor comments on, stored in
//! the server's file store and recorded as an upload is (cleaned, with a
//! preview, audited, in the change feed).

use anyhow::{anyhow, Context};
use followup_domain::attachments::FileKind;
use followup_domain::ids::{AttachmentId, CheckInId};
use followup_domain::values::AttachmentParent;
use followup_domain::Actor;
use followup_http::files::inspect;
use followup_http::files::store::FileStore;
use followup_persistence::repo::attachments::{self, Parent, Recorded, StoredFile};
use followup_persistence::Database;
use sha2::{Digest, Sha256};

/// A photo of a workshop: a room, a screen, twelve people in a circle.
fn workshop_photo() -> anyhow::Result<Vec<u8>> {
    let (width, height) = (1280u32, 960u32);
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        // Wall above, floor below, a screen on the wall.
        let mut pixel = if fy < 0.55 { [222, 214, 196] } else { [150, 112, 80] };
        if (0.35..0.65).contains(&fx) && (0.12..0.40).contains(&fy) {
            pixel = [236, 240, 246];
        }
        for k in 0..12 {
            let angle = k as f32 / 12.0 * std::f32::consts::TAU;
            let (cx, cy) = (0.5 + 0.3 * angle.cos(), 0.74 + 0.14 * angle.sin());
            let (dx, dy) = ((fx - cx) * 4.0 / 3.0, fy - cy);
            if dx * dx + dy * dy < 0.0016 {
                pixel = [40 + (k * 16) as u8, 70, 140 - (k * 8) as u8];
            }
        }
        image::Rgb(pixel)
    });
    let mut out = Vec::new();
    picture
        .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82))
        .context("cannot draw the demo photo")?;
    Ok(out)
}

/// A one-page PDF: the attendance list of the first workshop.
fn attendance_list() -> Vec<u8> {
    let names = [
        "Maria Bere",
        "Yosef Nahak",
        "Agustina Tefa",
        "Frans Lay",
        "Ester Manu",
        "Paulus Seran",
        "Rosalia Bria",
        "Daniel Nenobais",
        "Yuliana Taek",
        "Markus Lopo",
        "Sisilia Mau",
        "Petrus Kase",
        "Anastasia Nino",
        "Kornelis Bani",
    ];
    let mut text =
        String::from("BT /F1 16 Tf 56 780 Td (Daftar hadir - Lokakarya dukungan sebaya I, Kupang) Tj ET\n");
    for (i, name) in names.iter().enumerate() {
        text.push_str(&format!("BT /F1 12 Tf 56 {} Td ({}. {name}) Tj ET\n", 740 - 22 * i as i32, i + 1));
    }
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{text}endstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1)
            .as_bytes(),
    );
    pdf
}

/// Store `bytes` and record them on `check_in` as its owner would upload them.
async fn attach(
    db: &Database,
    store: &FileStore,
    quota: i64,
    owner: Actor,
    check_in: CheckInId,
    file_name: &str,
    bytes: Vec<u8>,
) -> anyhow::Result<()> {
    let kind = inspect::sniff(&bytes).map_err(|_| anyhow!("{file_name}: not a kind of file taken"))?;
    let id = AttachmentId::new();
    let key = store.key(&id.as_uuid().to_string());
    let (bytes, dimensions, preview_key) = if kind.is_image() {
        let cleaned =
            inspect::clean_image(kind, bytes.into()).ok_or_else(|| anyhow!("{file_name}: unreadable"))?;
        let preview_key = match cleaned.preview {
            Some(preview) => {
                let preview_key = store.key(&format!("{}.preview", id.as_uuid()));
                store.put(&preview_key, preview).await.map_err(|e| anyhow!("storing a preview: {e}"))?;
                Some(preview_key)
            }
            None => None,
        };
        (cleaned.bytes, cleaned.dimensions, preview_key)
    } else {
        (bytes.into(), None, None)
    };
    let file = StoredFile {
        id,
        file_name: file_name.to_owned(),
        content_type: kind.content_type().to_owned(),
        size_bytes: i64::try_from(bytes.len())?,
        sha256: Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect(),
        width: dimensions.and_then(|(w, _)| i32::try_from(w).ok()),
        height: dimensions.and_then(|(_, h)| i32::try_from(h).ok()),
        storage_key: key.clone(),
        preview_key,
    };
    store.put(&key, bytes).await.map_err(|e| anyhow!("storing {file_name}: {e}"))?;
    let parent = Parent { kind: AttachmentParent::CheckIn, id: check_in.as_uuid() };
    match db.write(|c| attachments::record(c, &owner, parent, &file, quota))? {
        Recorded::Stored(_) => Ok(()),
        Recorded::OverQuota { used } => {
            Err(anyhow!("the programme's file quota is full ({used} bytes used)"))
        }
    }
}

/// Give each of `targets` (a check-in and its owner) the workshop photo and
/// the attendance list. Returns how many files were stored.
pub async fn attach_evidence(
    db: &Database,
    store: &FileStore,
    quota: i64,
    targets: &[(Actor, CheckInId)],
) -> anyhow::Result<usize> {
    let (photo, list) = (workshop_photo()?, attendance_list());
    debug_assert_eq!(inspect::sniff(&list).ok(), Some(FileKind::Pdf));
    for (owner, check_in) in targets {
        attach(db, store, quota, *owner, *check_in, "Foto lokakarya pertama.jpg", photo.clone()).await?;
        attach(db, store, quota, *owner, *check_in, "Daftar hadir lokakarya pertama.pdf", list.clone())
            .await?;
    }
    Ok(targets.len() * 2)
}
