//! Problem details follow `Accept-Language`: Indonesian for `id` (and `id-ID`,
//! `in`, or `id` preferred by q-value), English otherwise. The `code`, `type`
//! and `status` a client switches on are the same in both languages.

use followup_tests::api::{admin, api_url, create_org, create_program, id_of, program_body};
use followup_tests::plans::cast;
use followup_tests::{assert_problem, backend_test};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

/// What a user sees of a problem answer.
struct Seen {
    language: Option<String>,
    vary: String,
    body: Value,
}

impl Seen {
    fn title(&self) -> &str {
        self.body["title"].as_str().unwrap_or_default()
    }
    fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or_default()
    }
    fn messages(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors.iter().map(|e| e["message"].as_str().unwrap_or_default().to_owned()).collect()
            })
            .unwrap_or_default()
    }
}

async fn seen(response: Response, status: u16, code: &str) -> Seen {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (language, vary) = (header("content-language"), header("vary").unwrap_or_default());
    let body = assert_problem(response, status, code).await;
    Seen { language, vary, body }
}

/// Makes the same request again, to send it with other headers.
type Requester<'a> = Box<dyn Fn() -> RequestBuilder + 'a>;

/// One failing request, sent in several languages.
struct Case<'a> {
    name: &'static str,
    status: u16,
    code: &'static str,
    request: Box<dyn Fn() -> RequestBuilder + 'a>,
    /// The Indonesian title a reader expects.
    title_id: &'static str,
    /// A phrase the Indonesian detail contains.
    detail_id: &'static str,
    /// A phrase one Indonesian field message contains (validation errors).
    message_id: Option<&'static str>,
}

impl Case<'_> {
    async fn send(&self, language: Option<&str>) -> Seen {
        let mut request = (self.request)();
        if let Some(language) = language {
            request = request.header("accept-language", language);
        }
        let response = request.send().await.unwrap();
        seen(response, self.status, self.code).await
    }

    async fn check(&self) {
        let name = self.name;
        let indonesian = self.send(Some("id")).await;
        let plain = self.send(None).await;
        let american = self.send(Some("en-US,en;q=0.9")).await;
        let preferred = self.send(Some("fr, id;q=0.5")).await;

        assert_eq!(indonesian.language.as_deref(), Some("id"), "{name}: Content-Language");
        assert_eq!(indonesian.title(), self.title_id, "{name}: {}", indonesian.body);
        assert!(indonesian.detail().contains(self.detail_id), "{name}: {}", indonesian.body);
        assert!(
            indonesian.vary.to_ascii_lowercase().contains("accept-language"),
            "{name}: Vary {}",
            indonesian.vary
        );

        for english in [&plain, &american] {
            assert_eq!(english.language.as_deref(), Some("en"), "{name}: Content-Language");
            assert_ne!(
                english.title(),
                indonesian.title(),
                "{name}: the English title is not the Indonesian one"
            );
            assert_ne!(
                english.detail(),
                indonesian.detail(),
                "{name}: the English detail is not the Indonesian one"
            );
            assert_eq!(english.body, plain.body, "{name}: no header and en-US answer the same");
        }
        assert_eq!(preferred.body, indonesian.body, "{name}: `fr, id;q=0.5` picks Indonesian");
        assert_eq!(preferred.language.as_deref(), Some("id"), "{name}");

        for field in ["code", "type", "status"] {
            assert_eq!(
                indonesian.body[field], plain.body[field],
                "{name}: `{field}` is the same in both languages"
            );
        }
        let fields = |s: &Seen| {
            s.body["errors"]
                .as_array()
                .map(|e| e.iter().map(|e| (e["field"].clone(), e["code"].clone())).collect::<Vec<_>>())
        };
        assert_eq!(fields(&indonesian), fields(&plain), "{name}: field names and codes are the same");
        if let Some(phrase) = self.message_id {
            let (id, en) = (indonesian.messages(), plain.messages());
            assert!(
                id.iter().any(|m| m.contains(phrase)),
                "{name}: an Indonesian field message says {phrase:?}: {id:?}"
            );
            assert!(
                id.iter().zip(&en).all(|(i, e)| i != e),
                "{name}: every message is translated: {id:?} / {en:?}"
            );
        }
    }
}

backend_test!(
    async fn problems_are_indonesian_for_accept_language_id_and_english_otherwise(app) {
        let admin = admin(&app).await;
        let program = create_program(&app, &admin.token, "KPG-I18N").await;
        let program_path = format!("/programs/{}", id_of(&program));
        create_org(&app, &admin.token, "Dinas Sosial Kota Kupang", "regional_agency", None).await;
        let bad_dates = json!({ "training_starts_on": "2023-05-19", "training_ends_on": "2023-05-08" });
        let bad_program = {
            let mut body = program_body("KPG-I18N-2");
            body.as_object_mut().unwrap().extend(bad_dates.as_object().unwrap().clone());
            body
        };
        let a = &admin;
        let app = &app;
        let cases = [
            Case {
                name: "a programme with bad dates",
                status: 422,
                code: "validation_failed",
                request: Box::new(|| a.request(Method::POST, "/programs").json(&bad_program)),
                title_id: "Validasi gagal",
                detail_id: "isian yang tidak sah",
                message_id: Some("tidak boleh lebih awal dari training_starts_on"),
            },
            Case {
                name: "a plan that is not there",
                status: 404,
                code: "not_found",
                request: Box::new(|| a.request(Method::GET, "/plans/0190aa00-0000-7000-8000-000000000000")),
                title_id: "Tidak ditemukan",
                detail_id: "Rencana aksi tidak ditemukan atau tidak dapat Anda akses.",
                message_id: None,
            },
            Case {
                name: "an unknown route",
                status: 404,
                code: "not_found",
                request: Box::new(|| app.client.get(api_url(app, "/no-such-thing"))),
                title_id: "Tidak ditemukan",
                detail_id: "Tidak ada rute untuk GET /api/v1/no-such-thing.",
                message_id: None,
            },
            Case {
                name: "a malformed id in the path",
                status: 404,
                code: "not_found",
                request: Box::new(|| a.request(Method::GET, "/plans/not-a-uuid")),
                title_id: "Tidak ditemukan",
                detail_id: "tidak ditemukan",
                message_id: None,
            },
            Case {
                name: "no access token",
                status: 401,
                code: "unauthorized",
                request: Box::new(|| app.client.get(api_url(app, "/me"))),
                title_id: "Belum terautentikasi",
                detail_id: "Kirim token akses",
                message_id: None,
            },
            Case {
                name: "a wrong password",
                status: 401,
                code: "invalid_credentials",
                request: Box::new(|| {
                    app.client
                        .post(api_url(app, "/auth/login"))
                        .json(&json!({ "email": "nobody@example.org", "password": "not-the-password" }))
                }),
                title_id: "Belum terautentikasi",
                detail_id: "Email atau kata sandi salah.",
                message_id: None,
            },
            Case {
                name: "an organisation name taken",
                status: 409,
                code: "name_taken",
                request: Box::new(|| {
                    a.request(Method::POST, "/organizations")
                        .json(&json!({ "name": "Dinas Sosial Kota Kupang", "kind": "regional_agency" }))
                }),
                title_id: "Konflik",
                detail_id: "Organisasi dengan nama ini sudah ada.",
                message_id: None,
            },
            Case {
                name: "a stale If-Match",
                status: 412,
                code: "precondition_failed",
                request: Box::new(|| {
                    a.request(Method::PATCH, &program_path).header("if-match", "\"99\"").json(&json!({ "title": "Renamed" }))
                }),
                title_id: "Prasyarat tidak terpenuhi",
                detail_id: "versi terkininya adalah 1",
                message_id: None,
            },
            Case {
                name: "a malformed JSON body",
                status: 400,
                code: "malformed_json",
                request: Box::new(|| {
                    a.request(Method::POST, "/programs").header("content-type", "application/json").body("{\"code\": ")
                }),
                title_id: "Permintaan tidak sah",
                detail_id: "bukan JSON yang sah (baris 1, kolom",
                message_id: None,
            },
            Case {
                name: "a body of the wrong shape",
                status: 422,
                code: "validation_failed",
                request: Box::new(|| a.request(Method::POST, "/programs").json(&json!({ "code": "X", "colour": "red" }))),
                title_id: "Validasi gagal",
                detail_id: "isian yang tidak sah",
                message_id: Some("bukan isian yang dikenal"),
            },
            Case {
                name: "a body that is not JSON",
                status: 415,
                code: "unsupported_media_type",
                request: Box::new(|| a.request(Method::POST, "/programs").header("content-type", "text/plain").body("code=X")),
                title_id: "Jenis media tidak didukung",
                detail_id: "Kirim isi permintaan sebagai application/json.",
                message_id: None,
            },
            Case {
                name: "a body over the limit",
                status: 413,
                code: "payload_too_large",
                request: Box::new(|| {
                    let big = format!("{{\"code\": \"{}\"}}", "x".repeat(300 * 1024));
                    a.request(Method::POST, "/programs").header("content-type", "application/json").body(big)
                }),
                title_id: "Isi permintaan terlalu besar",
                detail_id: "melebihi batas 262144 bita",
                message_id: None,
            },
            Case {
                name: "a bad query parameter",
                status: 422,
                code: "validation_failed",
                request: Box::new(|| a.request(Method::GET, "/plans?limit=many")),
                title_id: "Validasi gagal",
                detail_id: "parameter kueri tidak sah",
                message_id: Some("nilainya tidak sah"),
            },
            Case {
                name: "a limit out of range",
                status: 422,
                code: "validation_failed",
                request: Box::new(|| a.request(Method::GET, "/plans?limit=500")),
                title_id: "Validasi gagal",
                detail_id: "isian yang tidak sah",
                message_id: Some("harus di antara 1 dan 200"),
            },
            Case {
                name: "a wrong method",
                status: 405,
                code: "method_not_allowed",
                request: Box::new(|| app.client.post(app.url("/health/ready"))),
                title_id: "Metode tidak diizinkan",
                detail_id: "hanya melayani metode: GET",
                message_id: None,
            },
        ];
        for case in &cases {
            case.check().await;
        }
    }
);

backend_test!(
    async fn workflow_refusals_name_the_status_in_indonesian(app) {
        let cast = cast(&app).await;
        let plan_id = id_of(&cast.draft_plan().await);
        let approve = |language: &'static str| {
            cast.mentor
                .request(Method::POST, &format!("/plans/{plan_id}/approve"))
                .header("accept-language", language)
                .json(&json!({}))
        };
        // The mentor reviews plans, but a draft cannot be approved: 409 naming the status.
        let id = seen(approve("id").send().await.unwrap(), 409, "invalid_transition").await;
        let en = seen(approve("en").send().await.unwrap(), 409, "invalid_transition").await;
        assert_eq!(id.detail(), "Rencana aksi berstatus draf tidak dapat disetujui.", "{}", id.body);
        assert_eq!(en.detail(), "A plan that is draft cannot be approved.", "{}", en.body);
        assert_eq!(id.title(), "Konflik");

        // The mentor sees the plan but may not edit its content: 403 with the reason.
        let refused = cast
            .mentor
            .request(Method::PATCH, &format!("/plans/{plan_id}"))
            .header("accept-language", "id-ID")
            .header("if-match", "*")
            .json(&json!({ "title": "Diubah oleh mentor" }))
            .send()
            .await
            .unwrap();
        let refused = seen(refused, 403, "forbidden").await;
        assert_eq!(refused.language.as_deref(), Some("id"));
        assert_eq!(refused.title(), "Akses ditolak");
        assert_eq!(refused.detail(), "Hanya pemilik rencana aksi yang boleh mengubah isinya.");
    }
);

backend_test!(
    async fn successful_answers_do_not_change_with_the_language(app) {
        let admin = admin(&app).await;
        let get = |language: Option<&'static str>| {
            let mut request = admin.request(Method::GET, "/me");
            if let Some(language) = language {
                request = request.header("accept-language", language);
            }
            request.send()
        };
        let (plain, indonesian) = (get(None).await.unwrap(), get(Some("id")).await.unwrap());
        assert_eq!(indonesian.status(), 200);
        assert!(indonesian.headers().get("content-language").is_none(), "only problem answers are labelled");
        let (plain, indonesian): (Value, Value) = (plain.json().await.unwrap(), indonesian.json().await.unwrap());
        assert_eq!(plain, indonesian);
    }
);

backend_test!(
    async fn without_accept_language_a_caller_is_answered_in_their_profiles_language(app) {
        let admin = admin(&app).await;
        let email = "yohanes.lado@kemensos.go.id";
        let body = json!({ "email": email, "display_name": "Yohanes Lado", "locale": "id",
            "password": followup_tests::api::USER_PASSWORD });
        followup_tests::api::expect_json(admin.post("/users", &body).await, 201).await;
        let tokens = followup_tests::api::login(&app, email, followup_tests::api::USER_PASSWORD).await;
        let user = followup_tests::api::Authed::new(&app, tokens.access_token);
        let missing = format!("/plans/{}", uuid::Uuid::new_v4());
        let unknown_program = format!("/programs/{}", uuid::Uuid::new_v4());
        // Each way a caller is checked: the single-plan read, a handler's own
        // work, an extractor that checks first, and a refused keyed POST.
        let requests: Vec<(&str, Requester<'_>, u16, &str)> = vec![
            ("GET /plans/{id}", Box::new(|| user.request(Method::GET, &missing)), 404, "not_found"),
            ("GET /programs/{id}", Box::new(|| user.request(Method::GET, &unknown_program)), 404, "not_found"),
            ("GET /users", Box::new(|| user.request(Method::GET, "/users")), 403, "forbidden"),
            (
                "POST /programs (keyed)",
                Box::new(|| {
                    user.request(Method::POST, "/programs").header("idempotency-key", uuid::Uuid::new_v4().to_string()).json(&program_body("X"))
                }),
                403,
                "forbidden",
            ),
        ];
        for (what, request, status, code) in &requests {
            let plain = seen(request().send().await.unwrap(), *status, code).await;
            assert_eq!(plain.language.as_deref(), Some("id"), "{what}: {}", plain.body);
            assert!(
                ["Tidak ditemukan", "Akses ditolak"].contains(&plain.title()),
                "{what}: an Indonesian title: {}",
                plain.body
            );
            // The header still wins over the profile.
            let asked = seen(request().header("accept-language", "en").send().await.unwrap(), *status, code).await;
            assert_eq!(asked.language.as_deref(), Some("en"), "{what}");
            assert!(["Not found", "Forbidden"].contains(&asked.title()), "{what}: {}", asked.body);
        }
        // An English profile, no header: English.
        let english = seen(admin.request(Method::GET, &missing).send().await.unwrap(), 404, "not_found").await;
        assert_eq!((english.language.as_deref(), english.title()), (Some("en"), "Not found"));
    }
);
