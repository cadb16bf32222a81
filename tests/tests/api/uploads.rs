//! Resumable uploads (tus 1.0): a delegate on a weak link starts a 5 MB
//! upload, loses the connection part-way, asks where it stands, resumes,
//! and the file arrives whole; checksums, offsets and the protocol version
//! are enforced; an upload is its creator's alone; a terminated one is gone.

use base64::Engine;
use followup_tests::api::{expect_json, Authed};
use followup_tests::files::{folders_in, pdf, spawn_with_file_store, stored_files};
use followup_tests::plans::cast;
use followup_tests::{assert_problem, on_both_backends, Backend};
use reqwest::Method;
use sha2::{Digest, Sha256};

const TUS: (&str, &str) = ("Tus-Resumable", "1.0.0");

fn offset_of(response: &reqwest::Response) -> u64 {
    response.headers()["upload-offset"].to_str().unwrap().parse().unwrap()
}

async fn head(client: &Authed<'_>, upload: &str) -> reqwest::Response {
    client.request(Method::HEAD, upload).header(TUS.0, TUS.1).send().await.unwrap()
}

async fn send(client: &Authed<'_>, upload: &str, offset: u64, bytes: &[u8]) -> reqwest::Response {
    client
        .request(Method::PATCH, upload)
        .header(TUS.0, TUS.1)
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

/// Create an upload of `file` on `check_in` whose request carries its first
/// `sent` bytes; asserts 201 and that offset, and returns the upload's path.
async fn start_with_bytes(client: &Authed<'_>, check_in: &str, file: &[u8], sent: usize) -> String {
    let started = client
        .request(Method::POST, &format!("/check-ins/{check_in}/uploads"))
        .header(TUS.0, TUS.1)
        .header("Upload-Length", file.len().to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(file[..sent].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 201);
    assert_eq!(offset_of(&started), sent as u64);
    started.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1").to_owned()
}

on_both_backends!(
    resumes:
    an_interrupted_upload_resumes_and_arrives_whole_sqlite,
    an_interrupted_upload_resumes_and_arrives_whole_postgres
);

async fn resumes(backend: Backend) {
    let Some((dir, app)) = spawn_with_file_store(backend, |cfg| {
        cfg.files.file_max_mb = 8;
    })
    .await
    else {
        return;
    };
    let cast = cast(&app).await;
    let (_, check_in) = cast.check_in_today("Foto kegiatan terlampir.").await;
    let file = pdf(5_000_000);
    let name = base64::engine::general_purpose::STANDARD.encode("Laporan kegiatan Kupang.pdf");
    let start = |length: usize| {
        cast.owner
            .request(Method::POST, &format!("/check-ins/{check_in}/uploads"))
            .header(TUS.0, TUS.1)
            .header("Upload-Length", length.to_string())
            .header("Upload-Metadata", format!("filename {name}"))
            .send()
    };

    // The protocol version is required; a length over the limit is refused.
    let bare = cast
        .owner
        .request(Method::POST, &format!("/check-ins/{check_in}/uploads"))
        .header("Upload-Length", "10")
        .send()
        .await
        .unwrap();
    assert_eq!(bare.headers()["tus-version"], "1.0.0");
    assert_problem(bare, 412, "tus_version").await;
    assert_problem(start(9_000_000).await.unwrap(), 413, "file_too_large").await;
    assert_problem(
        cast.other_delegate
            .request(Method::POST, &format!("/check-ins/{check_in}/uploads"))
            .header(TUS.0, TUS.1)
            .header("Upload-Length", "10")
            .send()
            .await
            .unwrap(),
        404,
        "not_found",
    )
    .await;

    let created = start(file.len()).await.unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["tus-resumable"], "1.0.0");
    assert!(created.headers()["tus-extension"].to_str().unwrap().contains("checksum"));
    assert!(created.headers().get("upload-expires").is_some());
    let upload = created.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1").to_owned();

    // The first 2 MB arrive.
    let first = send(&cast.owner, &upload, 0, &file[..2_000_000]).await;
    assert_eq!(first.status(), 204);
    assert_eq!(offset_of(&first), 2_000_000);

    // The next request is cut after 1 MB: what arrived is kept.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let chunk = file[2_000_000..3_000_000].to_vec();
    tokio::spawn(async move {
        for piece in chunk.chunks(250_000) {
            let _ = tx.send(Ok(piece.to_vec())).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let _ = tx.send(Err(std::io::Error::other("the phone lost its signal"))).await;
    });
    let body = reqwest::Body::wrap_stream(tokio_stream_of(rx));
    let cut = cast
        .owner
        .request(Method::PATCH, &upload)
        .header(TUS.0, TUS.1)
        .header("Upload-Offset", "2000000")
        .header("Content-Type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await;
    assert!(cut.is_err(), "the request did not complete");
    let mut stands = 0;
    for _ in 0..50 {
        stands = offset_of(&head(&cast.owner, &upload).await);
        if stands > 2_000_000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(stands, 3_000_000, "the megabyte that arrived is kept");

    // Wrong offsets and checksums change nothing.
    assert_problem(
        send(&cast.owner, &upload, 2_000_000, &file[2_000_000..2_100_000]).await,
        409,
        "offset_mismatch",
    )
    .await;
    let wrong = cast
        .owner
        .request(Method::PATCH, &upload)
        .header(TUS.0, TUS.1)
        .header("Upload-Offset", "3000000")
        .header(
            "Upload-Checksum",
            format!(
                "sha256 {}",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"other bytes"))
            ),
        )
        .header("Content-Type", "application/offset+octet-stream")
        .body(file[3_000_000..3_500_000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 460);
    assert_eq!(offset_of(&head(&cast.owner, &upload).await), 3_000_000);
    assert_eq!(head(&cast.other_delegate, &upload).await.status(), 404, "an upload is its creator's");

    // The rest, with its checksum: the file is whole and recorded.
    let rest = &file[3_000_000..];
    let last = cast
        .owner
        .request(Method::PATCH, &upload)
        .header(TUS.0, TUS.1)
        .header("Upload-Offset", "3000000")
        .header(
            "Upload-Checksum",
            format!("sha256 {}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(rest))),
        )
        .header("Content-Type", "application/offset+octet-stream")
        .body(rest.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(last.status(), 204);
    assert_eq!(offset_of(&last), 5_000_000);
    let attachment = last.headers()["followup-attachment-id"].to_str().unwrap().to_owned();
    let read = cast.mentor.get_ok(&format!("/attachments/{attachment}")).await;
    assert_eq!(read["file_name"], "Laporan kegiatan Kupang.pdf");
    assert_eq!(read["size_bytes"], 5_000_000);
    let sha: String = Sha256::digest(&file).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(read["sha256"], sha.as_str());
    let downloaded =
        cast.mentor.get(&format!("/attachments/{attachment}/content")).await.bytes().await.unwrap();
    assert!(downloaded.as_ref() == file.as_slice(), "byte-identical");
    assert_eq!(head(&cast.owner, &upload).await.status(), 404, "a finished upload is gone");

    // Creation with the first bytes, then termination.
    let second = start_with_bytes(&cast.owner, &check_in, &pdf(300_000), 100_000).await;
    let gone = cast.owner.request(Method::DELETE, &second).header(TUS.0, TUS.1).send().await.unwrap();
    assert_eq!(gone.status(), 204);
    assert_eq!(head(&cast.owner, &second).await.status(), 404);
    let files = stored_files(dir.path());
    assert_eq!(files.len(), 1, "only the finished file is stored: {files:?}");
    let folders = folders_in(&dir.path().join("uploads"));
    assert!(folders.is_empty(), "no upload's folder is left behind: {folders:?}");
    let listed = expect_json(cast.owner.get(&format!("/check-ins/{check_in}/attachments")).await, 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

on_both_backends!(
    abandoned:
    an_abandoned_upload_expires_and_its_bytes_go_sqlite,
    an_abandoned_upload_expires_and_its_bytes_go_postgres
);

/// A phone starts an upload and is never heard from again: after its
/// expiry the upload answers 404 and the sweeper removes its bytes.
async fn abandoned(backend: Backend) {
    let Some((dir, app)) = spawn_with_file_store(backend, |cfg| {
        cfg.files.upload_ttl = 2;
        cfg.sync_compaction_interval = 1;
    })
    .await
    else {
        return;
    };
    // Discovery needs no token and names what is taken.
    let discovered = app.client.request(Method::OPTIONS, app.url("/api/v1/uploads")).send().await.unwrap();
    assert_eq!(discovered.status(), 204);
    assert_eq!(discovered.headers()["tus-version"], "1.0.0");
    assert!(discovered.headers()["tus-extension"].to_str().unwrap().contains("expiration"));
    assert_eq!(discovered.headers()["tus-max-size"], (25 * 1_000_000).to_string().as_str());

    let cast = cast(&app).await;
    let (_, check_in) = cast.check_in_today("Sinyal hilang.").await;
    let file = pdf(400_000);
    let upload = start_with_bytes(&cast.owner, &check_in, &file, 150_000).await;
    assert_eq!(stored_files(&dir.path().join("uploads")).len(), 1, "the first part is kept");

    let mut waited = 0;
    while !stored_files(&dir.path().join("uploads")).is_empty() {
        assert!(waited < 150, "the expired upload's bytes were not removed");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(waited >= 10, "its bytes stayed until it expired");
    assert_eq!(head(&cast.owner, &upload).await.status(), 404, "an expired upload is gone");
    let late = send(&cast.owner, &upload, 150_000, &file[150_000..]).await;
    assert_eq!(late.status(), 404, "nothing more is taken");
    let folders = folders_in(&dir.path().join("uploads"));
    assert!(folders.is_empty(), "its folder went with its bytes: {folders:?}");
    let listed = expect_json(cast.owner.get(&format!("/check-ins/{check_in}/attachments")).await, 200).await;
    assert!(listed["items"].as_array().unwrap().is_empty(), "no attachment was made");
}

fn tokio_stream_of(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
