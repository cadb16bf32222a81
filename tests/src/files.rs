//! Files for the evidence-file tests: a JPEG and a HEIC photo carrying a GPS
//! position and a camera in their EXIF, a PDF of any size, a program renamed
//! as a picture.

use base64::Engine;

/// The smallest JPEG (1×1, grey), with its end-of-image marker.
fn tiny_jpeg() -> Vec<u8> {
    let mut jpeg = base64::engine::general_purpose::STANDARD
        .decode("/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=")
        .unwrap_or_default();
    jpeg.extend_from_slice(&[0xFF, 0xD9]);
    jpeg
}

fn entry(tag: u16, kind: u16, count: u32, value: [u8; 4]) -> Vec<u8> {
    let mut e = Vec::new();
    e.extend_from_slice(&tag.to_le_bytes());
    e.extend_from_slice(&kind.to_le_bytes());
    e.extend_from_slice(&count.to_le_bytes());
    e.extend_from_slice(&value);
    e
}

/// EXIF (a TIFF block) naming the camera (`Canon`, `EOS Kupang`), with
/// orientation 6 (turned) and a GPS position (10°10′ S).
fn exif_tiff() -> Vec<u8> {
    let (make, model) = (b"Canon\0".as_slice(), b"EOS Kupang\0".as_slice());
    let ifd0_end = 8 + 2 + 4 * 12 + 4;
    let make_at = ifd0_end as u32;
    let model_at = make_at + make.len() as u32;
    let gps_at = model_at + model.len() as u32;
    let latitude_at = gps_at + 2 + 2 * 12 + 4;
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    tiff.extend(entry(0x010F, 2, make.len() as u32, make_at.to_le_bytes()));
    tiff.extend(entry(0x0110, 2, model.len() as u32, model_at.to_le_bytes()));
    tiff.extend(entry(0x0112, 3, 1, [6, 0, 0, 0]));
    tiff.extend(entry(0x8825, 4, 1, gps_at.to_le_bytes()));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(make);
    tiff.extend_from_slice(model);
    tiff.extend_from_slice(&2u16.to_le_bytes());
    tiff.extend(entry(0x0001, 2, 2, *b"S\0\0\0"));
    tiff.extend(entry(0x0002, 5, 3, latitude_at.to_le_bytes()));
    tiff.extend_from_slice(&0u32.to_le_bytes());
    for n in [10u32, 1, 10, 1, 0, 1] {
        tiff.extend_from_slice(&n.to_le_bytes());
    }
    tiff
}

/// A photo taken in Kupang: a JPEG with [`exif_tiff`]'s camera, orientation
/// and GPS position.
pub fn photo_with_gps() -> Vec<u8> {
    let tiff = exif_tiff();
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let jpeg = tiny_jpeg();
    let mut out = jpeg.get(..2).unwrap_or_default().to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend(app1);
    out.extend_from_slice(jpeg.get(2..).unwrap_or_default());
    out
}

/// A PDF of `size` bytes (a header, then filler a reader skips).
pub fn pdf(size: usize) -> Vec<u8> {
    let mut pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut n: u32 = 0x2545_4f46;
    while pdf.len() < size {
        n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        pdf.push(b'a' + (n >> 24) as u8 % 26);
    }
    pdf.truncate(size);
    pdf
}

/// A Windows program, named as a photo by whoever sends it.
pub fn program() -> Vec<u8> {
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    exe.resize(4096, 0);
    exe
}

/// Every file under `dir` (a `file://` store), at any depth.
pub fn stored_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .flat_map(|e| if e.path().is_dir() { stored_files(&e.path()) } else { vec![e.path()] })
                .collect()
        })
        .unwrap_or_default()
}

/// The folders directly in `dir` (none when it is missing).
pub fn folders_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default()
}

/// A server on `backend` that keeps its files in a new temporary directory
/// (a `file://` store), configured further by `configure`, and that
/// directory (removed when dropped); `None` when `backend` is not configured.
pub async fn spawn_with_file_store(
    backend: crate::Backend,
    configure: impl FnOnce(&mut followup_server::ServeConfig),
) -> Option<(tempfile::TempDir, crate::TestApp)> {
    let dir = tempfile::tempdir().expect("cannot create a temporary directory");
    let store = format!("file://{}", dir.path().display());
    let app = crate::TestApp::spawn_with(backend, move |cfg| {
        cfg.files.storage_url = store;
        configure(cfg);
    })
    .await?;
    Some((dir, app))
}

/// Attach `bytes` as `name` to `parent` (`/check-ins/{id}`, `/activities/{id}`…)
/// in one request; asserts 201 and returns the attachment.
pub async fn attach(
    client: &crate::api::Authed<'_>,
    parent: &str,
    name: &str,
    bytes: Vec<u8>,
) -> serde_json::Value {
    let response = client
        .request(reqwest::Method::POST, &format!("{parent}/attachments"))
        .query(&[("file_name", name)])
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap_or_else(|e| panic!("attaching {name}: {e}"));
    crate::api::expect_json(response, 201).await
}

/// An ISO base media box: size, type, payload.
fn iso_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    b.extend_from_slice(kind);
    b.extend_from_slice(payload);
    b
}

/// A full box: version and flags before the payload.
fn full_box(kind: &[u8; 4], version: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![version, 0, 0, 0];
    p.extend_from_slice(payload);
    iso_box(kind, &p)
}

/// An iPhone-style HEIC photo, 4032×3024: item 1 the picture (its coded
/// bytes stand in), item 2 the EXIF of [`exif_tiff`] (camera and GPS), both
/// in `mdat`, located by `iloc`.
pub fn heic_with_gps() -> Vec<u8> {
    let picture = vec![0x26u8; 96];
    let mut exif = 0u32.to_be_bytes().to_vec();
    exif.extend(exif_tiff());
    let ftyp = iso_box(b"ftyp", b"heic\0\0\0\0mif1heic");
    let meta = |picture_at: u32, exif_at: u32| {
        let mut hdlr = 0u32.to_be_bytes().to_vec();
        hdlr.extend_from_slice(b"pict");
        hdlr.extend_from_slice(&[0; 13]);
        let infe = |id: u16, kind: &[u8; 4]| {
            let mut p = id.to_be_bytes().to_vec();
            p.extend_from_slice(&[0, 0]);
            p.extend_from_slice(kind);
            p.push(0);
            full_box(b"infe", 2, &p)
        };
        let mut iinf = 2u16.to_be_bytes().to_vec();
        iinf.extend(infe(1, b"hvc1"));
        iinf.extend(infe(2, b"Exif"));
        let mut iloc = vec![0x44, 0x00];
        iloc.extend_from_slice(&2u16.to_be_bytes());
        for (id, at, len) in [(1u16, picture_at, picture.len()), (2, exif_at, exif.len())] {
            iloc.extend_from_slice(&id.to_be_bytes());
            iloc.extend_from_slice(&0u16.to_be_bytes());
            iloc.extend_from_slice(&1u16.to_be_bytes());
            iloc.extend_from_slice(&at.to_be_bytes());
            iloc.extend_from_slice(&(len as u32).to_be_bytes());
        }
        let mut ispe = 4032u32.to_be_bytes().to_vec();
        ispe.extend_from_slice(&3024u32.to_be_bytes());
        let ipco = iso_box(b"ipco", &full_box(b"ispe", 0, &ispe));
        let ipma = full_box(b"ipma", 0, &[0, 0, 0, 1, 0, 1, 1, 0x81]);
        let mut iprp = ipco;
        iprp.extend(ipma);
        let mut children = full_box(b"hdlr", 0, &hdlr);
        children.extend(full_box(b"pitm", 0, &1u16.to_be_bytes()));
        children.extend(full_box(b"iinf", 0, &iinf));
        children.extend(full_box(b"iloc", 0, &iloc));
        children.extend(iso_box(b"iprp", &iprp));
        full_box(b"meta", 0, &children)
    };
    let before_mdat = (ftyp.len() + meta(0, 0).len() + 8) as u32;
    let mut file = ftyp;
    file.extend(meta(before_mdat, before_mdat + picture.len() as u32));
    let mut mdat = picture;
    mdat.extend(exif);
    file.extend(iso_box(b"mdat", &mdat));
    file
}

/// A PNG photo of `width` × `height` pixels (a gradient).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 255 / width.max(1)) as u8, (y * 255 / height.max(1)) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap_or_else(|e| panic!("encoding a PNG: {e}"));
    out.into_inner()
}

/// The width and height of a JPEG, decoded.
pub fn jpeg_size(bytes: &[u8]) -> (u32, u32) {
    let decoded = image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg)
        .unwrap_or_else(|e| panic!("not a JPEG: {e}"));
    (decoded.width(), decoded.height())
}
