//! Evidence files: a delegate attaches a photo and the signed attendance
//! list to a check-in; the photo loses its GPS position and camera; the
//! list comes back byte for byte; what is not taken is refused with the
//! reason and the limit; only those who may see the parent see its files,
//! also through a signed link, which expires and cannot be altered; the
//! uploader removes a file and its bytes leave the store.

use followup_tests::api::{expect_json, id_of, Authed};
use followup_tests::files::{
    heic_with_gps, jpeg_size, pdf, photo_with_gps, png, program, spawn_with_file_store, stored_files,
};
use followup_tests::plans::{activity_body, cast, comment_body, create_activity, post_comment};
use followup_tests::{assert_problem, on_both_backends, Backend};
use reqwest::Method;
use sha2::{Digest, Sha256};

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

async fn upload(client: &Authed<'_>, parent: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let path = format!("{parent}/attachments?file_name={}", urlencode(name));
    client
        .request(Method::POST, &path)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn bytes_of(response: reqwest::Response) -> Vec<u8> {
    assert_eq!(response.status(), 200, "download");
    response.bytes().await.unwrap().to_vec()
}

on_both_backends!(
    evidence:
    evidence_files_are_taken_cleaned_guarded_and_removed_sqlite,
    evidence_files_are_taken_cleaned_guarded_and_removed_postgres
);

async fn evidence(backend: Backend) {
    let Some((dir, app)) = spawn_with_file_store(backend, |cfg| {
        cfg.files.file_max_mb = 2;
        cfg.files.program_quota_mb = 4;
        cfg.files.download_link_ttl = 10;
    })
    .await
    else {
        return;
    };
    let cast = cast(&app).await;
    let (plan, check_in) = cast.check_in_today("Lingkaran sebaya kedua berjalan.").await;
    let parent = format!("/check-ins/{check_in}");

    // A photo with a GPS position and a camera: stored without either.
    let photo = photo_with_gps();
    assert!(photo.windows(5).any(|w| w == b"Canon"), "the test photo names its camera");
    let stored = expect_json(upload(&cast.owner, &parent, "IMG_2041.jpg", photo.clone()).await, 201).await;
    assert_eq!(stored["content_type"], "image/jpeg");
    assert_eq!(stored["parent_type"], "check_in");
    assert_eq!((stored["width"].as_i64(), stored["height"].as_i64()), (Some(1), Some(1)));
    let photo_id = id_of(&stored);
    let cleaned = bytes_of(cast.owner.get(&format!("/attachments/{photo_id}/content")).await).await;
    assert!(!cleaned.windows(5).any(|w| w == b"Canon"), "no camera");
    assert!(!cleaned.windows(10).any(|w| w == b"EOS Kupang"), "no camera model");
    assert!(cleaned.len() < photo.len(), "the metadata is gone");
    assert!(cleaned.windows(4).any(|w| w == b"Exif"), "only the orientation stays");
    assert_eq!(stored["sha256"], hex(&cleaned).as_str());
    assert_eq!(stored["size_bytes"], cleaned.len() as u64);

    // An iPhone's HEIC photo: taken, its EXIF gone, its picture and size kept.
    let heic = heic_with_gps();
    assert!(heic.windows(10).any(|w| w == b"EOS Kupang"), "the test photo names its camera");
    let stored = expect_json(upload(&cast.owner, &parent, "IMG_2042.HEIC", heic.clone()).await, 201).await;
    assert_eq!(stored["content_type"], "image/heic");
    assert_eq!((stored["width"].as_i64(), stored["height"].as_i64()), (Some(4032), Some(3024)));
    let heic_cleaned =
        bytes_of(cast.owner.get(&format!("/attachments/{}/content", id_of(&stored))).await).await;
    assert!(!heic_cleaned.windows(5).any(|w| w == b"Canon"), "no camera");
    assert!(!heic_cleaned.windows(10).any(|w| w == b"EOS Kupang"), "no camera model");
    assert_eq!(heic_cleaned.len(), heic.len(), "the layout is kept");
    assert!(heic_cleaned.windows(96).any(|w| w.iter().all(|b| *b == 0x26)), "the picture is untouched");
    assert_eq!(stored["sha256"], hex(&heic_cleaned).as_str());

    // A picture gets a small upright preview, by token or by its own signed link.
    let poster =
        expect_json(upload(&cast.owner, &parent, "Poster kegiatan.png", png(1200, 900)).await, 201).await;
    assert_eq!((poster["width"].as_i64(), poster["height"].as_i64()), (Some(1200), Some(900)));
    let preview = cast.mentor.get(&format!("/attachments/{}/preview", id_of(&poster))).await;
    assert_eq!(preview.headers()["content-type"], "image/jpeg");
    assert_eq!(preview.headers()["x-content-type-options"], "nosniff");
    let small = bytes_of(preview).await;
    assert_eq!(jpeg_size(&small), (320, 240), "at most 320 pixels a side, in proportion");
    let preview_url = app.url(poster["preview_url"].as_str().expect("a picture has a preview_url"));
    assert_eq!(bytes_of(app.client.get(&preview_url).send().await.unwrap()).await, small);
    let as_content = preview_url.replace("/preview?", "/content?");
    assert_problem(app.client.get(&as_content).send().await.unwrap(), 403, "invalid_download_link").await;
    let photo_preview = bytes_of(cast.owner.get(&format!("/attachments/{photo_id}/preview")).await).await;
    assert_eq!(jpeg_size(&photo_preview), (1, 1));

    // The signed attendance list, 1.5 MB, comes back byte for byte.
    let list = pdf(1_500_000);
    let stored = expect_json(
        upload(&cast.owner, &parent, "../Daftar hadir: lingkaran sebaya.pdf", list.clone()).await,
        201,
    )
    .await;
    assert_eq!(stored["content_type"], "application/pdf");
    assert_eq!(stored["file_name"], "Daftar hadir_ lingkaran sebaya.pdf");
    assert_eq!(stored["sha256"], hex(&list).as_str());
    let list_id = id_of(&stored);
    let response = cast.mentor.get(&format!("/attachments/{list_id}/content")).await;
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(bytes_of(response).await, list, "byte-identical");
    assert!(stored["preview_url"].is_null(), "a PDF has no preview");
    assert_problem(cast.mentor.get(&format!("/attachments/{list_id}/preview")).await, 404, "not_found").await;

    // What is not taken is refused, with the reason and the limit.
    let refused =
        assert_problem(upload(&cast.owner, &parent, "foto.jpg", program()).await, 422, "validation_failed")
            .await;
    assert_eq!(refused["errors"][0]["code"], "unsupported_file_type", "{refused}");
    let big = cast
        .owner
        .request(Method::POST, &format!("{parent}/attachments?file_name=besar.pdf"))
        .header("accept-language", "id")
        .body(pdf(2_100_000))
        .send()
        .await
        .unwrap();
    let big = assert_problem(big, 413, "file_too_large").await;
    assert!(big["detail"].as_str().unwrap().contains("paling besar 2 MB"), "{big}");
    let big =
        assert_problem(upload(&cast.owner, &parent, "big.pdf", pdf(2_100_000)).await, 413, "file_too_large")
            .await;
    assert!(big["detail"].as_str().unwrap().contains("at most 2 MB"), "{big}");
    expect_json(upload(&cast.owner, &parent, "kedua.pdf", pdf(1_900_000)).await, 201).await;
    let full =
        assert_problem(upload(&cast.owner, &parent, "ketiga.pdf", pdf(900_000)).await, 413, "quota_exceeded")
            .await;
    assert!(full["detail"].as_str().unwrap().contains("quota of 4 MB"), "{full}");

    // Whoever may see the check-in sees its files; nobody else learns of them.
    let listed = cast.observer.get_ok(&format!("{parent}/attachments")).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 5, "{listed}");
    for outsider in [&cast.other_delegate, &cast.outsider] {
        assert_problem(outsider.get(&format!("{parent}/attachments")).await, 404, "not_found").await;
        assert_problem(outsider.get(&format!("/attachments/{list_id}")).await, 404, "not_found").await;
        assert_problem(outsider.get(&format!("/attachments/{list_id}/content")).await, 404, "not_found")
            .await;
    }
    assert_problem(upload(&cast.mentor, &parent, "mentor.pdf", pdf(1000)).await, 403, "forbidden").await;
    assert_problem(upload(&cast.other_delegate, &parent, "x.pdf", pdf(1000)).await, 404, "not_found").await;

    // A mentors-only comment's file stays with the mentors.
    let note = id_of(
        &post_comment(&cast.mentor, &plan, &comment_body("Catatan untuk para mentor.", "mentors")).await,
    );
    let note_file = id_of(
        &expect_json(upload(&cast.mentor, &format!("/comments/{note}"), "catatan.pdf", pdf(2000)).await, 201)
            .await,
    );
    cast.coordinator.get_ok(&format!("/attachments/{note_file}")).await;
    for kept_out in [&cast.owner, &cast.observer, &cast.other_mentor] {
        assert_problem(kept_out.get(&format!("/comments/{note}/attachments")).await, 404, "not_found").await;
        assert_problem(kept_out.get(&format!("/attachments/{note_file}/content")).await, 404, "not_found")
            .await;
    }

    // A signed link works without a token, for that file only, until it expires.
    let read = cast.owner.get_ok(&format!("/attachments/{photo_id}")).await;
    let link = app.url(read["download_url"].as_str().unwrap());
    let anonymous = app.client.get(&link).send().await.unwrap();
    assert_eq!(
        anonymous.headers()["content-disposition"].to_str().unwrap().split(';').next(),
        Some("inline"),
        "an image shows inline"
    );
    assert_eq!(bytes_of(anonymous).await, cleaned);
    let altered = link.replace(&photo_id, &list_id);
    assert_problem(app.client.get(&altered).send().await.unwrap(), 403, "invalid_download_link").await;
    let later = link.replace("expires=", "expires=9");
    assert_problem(app.client.get(&later).send().await.unwrap(), 403, "invalid_download_link").await;
    assert_problem(
        app.client.get(app.url(&format!("/api/v1/attachments/{photo_id}/content"))).send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;

    // The uploader removes a file: the record and the bytes go.
    let files_in_store = || stored_files(dir.path()).len();
    let before = files_in_store();
    assert_eq!(before, 8, "six files and the two pictures' previews stored");
    let etag = cast.owner.get(&format!("/attachments/{list_id}")).await.headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    let by_mentor = cast
        .mentor
        .request(Method::DELETE, &format!("/attachments/{list_id}"))
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_problem(by_mentor, 403, "forbidden").await;
    let removed = cast
        .owner
        .request(Method::DELETE, &format!("/attachments/{list_id}"))
        .header("If-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 204);
    assert_problem(cast.owner.get(&format!("/attachments/{list_id}")).await, 404, "not_found").await;
    assert_eq!(files_in_store(), before - 1, "its bytes left the store");
    let removed = cast.owner.delete(&format!("/attachments/{}", id_of(&poster))).await;
    assert_eq!(removed.status(), 204);
    assert_eq!(files_in_store(), before - 3, "a picture's preview goes with it");
    expect_json(upload(&cast.owner, &parent, "ketiga.pdf", pdf(900_000)).await, 201).await;

    // An activity is deleted: its files' bytes leave the store with it.
    let activity =
        id_of(&create_activity(&cast.owner, &plan, &activity_body("Sosialisasi di kelurahan", None)).await);
    let invitation = expect_json(
        upload(&cast.owner, &format!("/activities/{activity}"), "undangan.pdf", pdf(20_000)).await,
        201,
    )
    .await;
    let with_activity = files_in_store();
    assert_eq!(cast.owner.delete(&format!("/activities/{activity}")).await.status(), 204);
    assert_problem(cast.owner.get(&format!("/attachments/{}", id_of(&invitation))).await, 404, "not_found")
        .await;
    assert_eq!(files_in_store(), with_activity - 1, "the activity's file left the store at once");

    // The link expires.
    tokio::time::sleep(std::time::Duration::from_millis(11_000)).await;
    assert_problem(app.client.get(&link).send().await.unwrap(), 403, "invalid_download_link").await;
}

/// Everything the feed gives `client` after `cursor`: (type, id, op) in
/// order, and the cursor to go on from.
async fn pull(
    client: &Authed<'_>,
    cursor: Option<String>,
) -> (Vec<(String, String, String, serde_json::Value)>, String) {
    let mut cursor = cursor;
    let mut out = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/sync?limit=500&since={c}"),
            None => "/sync?limit=500".to_owned(),
        };
        let page = client.get_ok(&path).await;
        for item in page["items"].as_array().unwrap() {
            out.push((
                item["type"].as_str().unwrap().to_owned(),
                item["id"].as_str().unwrap().to_owned(),
                item["op"].as_str().unwrap().to_owned(),
                item.get("data").cloned().unwrap_or_default(),
            ));
        }
        cursor = Some(page["next_cursor"].as_str().unwrap().to_owned());
        if page["has_more"] == false {
            return (out, cursor.unwrap_or_default());
        }
    }
}

followup_tests::backend_test!(
    async fn the_change_feed_carries_files_and_their_tombstones_to_those_who_may_see_them(app) {
        let cast = cast(&app).await;
        let (plan, check_in) = cast.check_in_today("Foto terlampir.").await;
        let (_, owner_cursor) = pull(&cast.owner, None).await;
        let (_, mentor_cursor) = pull(&cast.mentor, None).await;

        let photo = expect_json(upload(&cast.owner, &format!("/check-ins/{check_in}"), "daftar.pdf", pdf(5000)).await, 201).await;
        let note = id_of(&post_comment(&cast.mentor, &plan, &comment_body("Catatan untuk para mentor.", "mentors")).await);
        let note_file = id_of(&expect_json(upload(&cast.mentor, &format!("/comments/{note}"), "catatan.pdf", pdf(3000)).await, 201).await);

        let (owner_items, owner_cursor) = pull(&cast.owner, Some(owner_cursor)).await;
        let file = owner_items.iter().find(|(t, id, _, _)| t == "attachment" && *id == id_of(&photo)).expect("the owner's file is in the feed");
        assert_eq!(file.2, "upsert");
        assert_eq!(file.3["sha256"], photo["sha256"]);
        assert!(file.3["download_url"].as_str().unwrap().contains("signature="), "{:?}", file.3);
        assert!(!owner_items.iter().any(|(_, id, _, _)| *id == note_file), "a mentors-only comment's file never reaches the owner");
        let (mentor_items, mentor_cursor) = pull(&cast.mentor, Some(mentor_cursor)).await;
        assert!(mentor_items.iter().any(|(t, id, op, _)| t == "attachment" && *id == note_file && op == "upsert"));
        assert!(mentor_items.iter().any(|(t, id, _, _)| t == "attachment" && *id == id_of(&photo)));

        // Removed: a tombstone for those who held it.
        let etag = cast.owner.get(&format!("/attachments/{}", id_of(&photo))).await.headers()["etag"].to_str().unwrap().to_owned();
        let removed = cast.owner.request(Method::DELETE, &format!("/attachments/{}", id_of(&photo))).header("If-Match", etag).send().await.unwrap();
        assert_eq!(removed.status(), 204);
        let (owner_items, _) = pull(&cast.owner, Some(owner_cursor)).await;
        assert!(owner_items.iter().any(|(t, id, op, _)| t == "attachment" && *id == id_of(&photo) && op == "delete"), "{owner_items:?}");

        // The comment goes, and its file with it.
        let etag = cast.mentor.get(&format!("/comments/{note}")).await.headers()["etag"].to_str().unwrap().to_owned();
        let gone = cast.mentor.request(Method::DELETE, &format!("/comments/{note}")).header("If-Match", etag).send().await.unwrap();
        assert_eq!(gone.status(), 204);
        assert_problem(cast.mentor.get(&format!("/attachments/{note_file}")).await, 404, "not_found").await;
        let (mentor_items, _) = pull(&cast.mentor, Some(mentor_cursor)).await;
        assert!(mentor_items.iter().any(|(t, id, op, _)| t == "attachment" && *id == note_file && op == "delete"), "{mentor_items:?}");
    }
);
