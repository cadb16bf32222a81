//! Client helpers for the API under test (log in, create people and
//! programmes) so that tests read as what a user does.
//!
//! Paths given to these helpers are relative to `/api/v1` (`"/me"`,
//! `"/programs"`). Helpers that create something assert the 201 and return
//! the created resource; helpers named `*_response` return the raw response.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

use crate::{TestApp, ADMIN_EMAIL, ADMIN_PASSWORD};

/// The base path of the API.
pub const API: &str = "/api/v1";

/// The password [`create_user`] gives every account it creates.
pub const USER_PASSWORD: &str = "rehabilitasi-sosial-2023";

/// The full URL of an API path (`"/me"` → `http://127.0.0.1:PORT/api/v1/me`).
pub fn api_url(app: &TestApp, path: &str) -> String {
    app.url(&format!("{API}{path}"))
}

/// Assert the status and return the JSON body; the message shows the body on failure.
pub async fn expect_json(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let url = response.url().path().to_owned();
    let text = response.text().await.expect("cannot read the response body");
    assert_eq!(actual, status, "{url}: unexpected status; body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: body is not JSON ({e}): {text}"))
}

/// Assert the status and that the body is empty (204, 304).
pub async fn expect_empty(response: Response, status: u16) {
    let actual = response.status().as_u16();
    let url = response.url().path().to_owned();
    let text = response.text().await.expect("cannot read the response body");
    assert_eq!(actual, status, "{url}: unexpected status; body: {text}");
    assert!(text.is_empty(), "{url}: a {status} has no body, got: {text}");
}

/// The `field` names of a validation problem's `errors[]`, with their codes.
pub fn field_errors(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Assert a validation problem names `field` (and, when given, with `code`).
pub fn assert_field_error(problem: &Value, field: &str, code: Option<&str>) {
    let errors = field_errors(problem);
    let found = errors.iter().any(|(f, c)| f == field && code.is_none_or(|code| c == code));
    assert!(found, "expected an error on field `{field}` (code {code:?}); got {errors:?} in {problem}");
}

/// Tokens from `/auth/login` or `/auth/refresh`.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
}

impl Tokens {
    /// Check the token response shape and extract the tokens.
    pub fn from_body(body: &Value) -> Self {
        assert_eq!(body["token_type"], "Bearer", "token_type: {body}");
        assert_eq!(body["expires_in"], 900, "expires_in: {body}");
        let access_token = body["access_token"].as_str().expect("access_token missing").to_owned();
        let refresh_token = body["refresh_token"].as_str().expect("refresh_token missing").to_owned();
        assert!(!refresh_token.is_empty(), "empty refresh token: {body}");
        Self { access_token, refresh_token }
    }
}

pub async fn login_response(app: &TestApp, email: &str, password: &str) -> Response {
    app.client
        .post(api_url(app, "/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("request failed")
}

/// Log in; asserts 200.
pub async fn login(app: &TestApp, email: &str, password: &str) -> Tokens {
    Tokens::from_body(&expect_json(login_response(app, email, password).await, 200).await)
}

pub async fn refresh_response(app: &TestApp, refresh_token: &str) -> Response {
    app.client
        .post(api_url(app, "/auth/refresh"))
        .json(&json!({ "refresh_token": refresh_token }))
        .send()
        .await
        .expect("request failed")
}

/// Rotate a refresh token; asserts 200.
pub async fn refresh(app: &TestApp, refresh_token: &str) -> Tokens {
    Tokens::from_body(&expect_json(refresh_response(app, refresh_token).await, 200).await)
}

/// The claims of a JWT, read without checking the signature.
pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = URL_SAFE_NO_PAD.decode(payload).expect("the JWT payload is not base64url");
    serde_json::from_slice(&bytes).expect("the JWT payload is not JSON")
}

/// A client acting with one access token.
#[derive(Clone)]
pub struct Authed<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

impl<'a> Authed<'a> {
    pub fn new(app: &'a TestApp, token: impl Into<String>) -> Self {
        Self { app, token: token.into() }
    }

    /// A request with the bearer token, to add headers to before sending.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app.client.request(method, api_url(self.app, path)).bearer_auth(&self.token)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.expect("request failed")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path).json(body).send().await.expect("request failed")
    }

    /// PATCH as a client that has just read the resource: `If-Match` with
    /// the ETag `GET path` answers (`*` when the read is refused or has none,
    /// so the answer is the server's own refusal). `If-Match` itself is
    /// tested with [`Authed::request`].
    pub async fn patch(&self, path: &str, body: &Value) -> Response {
        let etag = self.current_etag(path).await;
        self.request(Method::PATCH, path)
            .header("If-Match", etag)
            .json(body)
            .send()
            .await
            .expect("request failed")
    }

    /// DELETE with `If-Match` as [`Authed::patch`] sends it.
    pub async fn delete(&self, path: &str) -> Response {
        let etag = self.current_etag(path).await;
        self.request(Method::DELETE, path).header("If-Match", etag).send().await.expect("request failed")
    }

    async fn current_etag(&self, path: &str) -> String {
        let read = self.get(path).await;
        let etag = read.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_owned);
        etag.filter(|_| read.status() == 200).unwrap_or_else(|| "*".to_owned())
    }

    /// GET and assert 200; returns the body.
    pub async fn get_ok(&self, path: &str) -> Value {
        expect_json(self.get(path).await, 200).await
    }
}

/// Log in as the harness's first admin; returns the access token.
pub async fn admin_token(app: &TestApp) -> String {
    login(app, ADMIN_EMAIL, ADMIN_PASSWORD).await.access_token
}

/// A client acting as the first admin.
pub async fn admin(app: &TestApp) -> Authed<'_> {
    Authed::new(app, admin_token(app).await)
}

/// Create an account (as an admin) with [`USER_PASSWORD`]; returns the user
/// JSON and the password.
pub async fn create_user(
    app: &TestApp,
    admin_token: &str,
    email: &str,
    display_name: &str,
) -> (Value, String) {
    let body = json!({ "email": email, "display_name": display_name, "password": USER_PASSWORD });
    let user = expect_json(Authed::new(app, admin_token).post("/users", &body).await, 201).await;
    (user, USER_PASSWORD.to_owned())
}

/// Create an account and log it in: its id and a client acting as it.
pub async fn new_member<'a>(
    app: &'a TestApp,
    admin_token: &str,
    email: &str,
    display_name: &str,
) -> (String, Authed<'a>) {
    let (user, password) = create_user(app, admin_token, email, display_name).await;
    let tokens = login(app, email, &password).await;
    (id_of(&user), Authed::new(app, tokens.access_token))
}

/// The `id` of a resource as a string.
pub fn id_of(resource: &Value) -> String {
    resource["id"].as_str().unwrap_or_else(|| panic!("no id in {resource}")).to_owned()
}

/// Create an organisation (as an admin).
pub async fn create_org(
    app: &TestApp,
    token: &str,
    name: &str,
    kind: &str,
    parent_id: Option<&str>,
) -> Value {
    let body = json!({ "name": name, "kind": kind, "parent_id": parent_id });
    expect_json(Authed::new(app, token).post("/organizations", &body).await, 201).await
}

/// A programme body with the reference story's data and the given code:
/// trained in May 2023, followed up until 400 days from today (a programme
/// takes no new plans or check-ins once its follow-up has ended).
pub fn program_body(code: &str) -> Value {
    let follow_up_until = (chrono::Utc::now().date_naive() + chrono::Duration::days(400)).to_string();
    json!({
        "code": code,
        "title": "Enhancing Social Rehabilitation Support for the Vulnerable Youth in Indonesia",
        "theme": "Social rehabilitation of vulnerable youth",
        "funder": "KOICA",
        "partners": ["World Vision Korea", "KDS", "Re:bach International"],
        "location": "Seoul",
        "training_starts_on": "2023-05-08",
        "training_ends_on": "2023-05-19",
        "follow_up_until": follow_up_until,
        "check_in_cadence_days": 14
    })
}

/// Create a programme (as an admin) from [`program_body`].
pub async fn create_program(app: &TestApp, token: &str, code: &str) -> Value {
    expect_json(Authed::new(app, token).post("/programs", &program_body(code)).await, 201).await
}

/// Add a user to a programme in a role (as an admin or coordinator).
pub async fn add_member(app: &TestApp, token: &str, program_id: &str, user_id: &str, role: &str) -> Value {
    let body = json!({ "user_id": user_id, "role": role });
    let path = format!("/programs/{program_id}/members");
    expect_json(Authed::new(app, token).post(&path, &body).await, 201).await
}

/// Assign a mentor to a delegate in a programme (as an admin or coordinator).
pub async fn add_mentorship(
    app: &TestApp,
    token: &str,
    program_id: &str,
    mentor_id: &str,
    delegate_id: &str,
) -> Value {
    let body = json!({ "mentor_id": mentor_id, "delegate_id": delegate_id });
    let path = format!("/programs/{program_id}/mentorships");
    expect_json(Authed::new(app, token).post(&path, &body).await, 201).await
}

/// The `items` of a list response.
pub fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().unwrap_or_else(|| panic!("no items array in {page}"))
}

/// A string field of every item of a list response.
pub fn item_strings(page: &Value, field: &str) -> Vec<String> {
    items(page).iter().map(|item| item[field].as_str().unwrap_or_default().to_owned()).collect()
}

/// A request body that must be refused, and how: for table-driven validation tests.
pub struct Refusal {
    /// What the case is, for failure messages.
    pub case: &'static str,
    pub body: Value,
    pub status: u16,
    /// The problem `code`.
    pub code: &'static str,
    /// The field `errors[]` must name, with its code when the contract fixes one.
    pub field: Option<(&'static str, Option<&'static str>)>,
}

impl Refusal {
    /// A 422 `validation_failed` naming `field` (with `field_code` when given).
    pub fn invalid(
        case: &'static str,
        body: Value,
        field: &'static str,
        field_code: Option<&'static str>,
    ) -> Self {
        Self { case, body, status: 422, code: "validation_failed", field: Some((field, field_code)) }
    }

    /// A 422 `validation_failed` whose field the contract does not fix.
    pub fn invalid_body(case: &'static str, body: Value) -> Self {
        Self { case, body, status: 422, code: "validation_failed", field: None }
    }

    /// A 409 with this problem code.
    pub fn conflict(case: &'static str, body: Value, code: &'static str) -> Self {
        Self { case, body, status: 409, code, field: None }
    }

    /// Assert `response` is this refusal; returns the problem body.
    pub async fn assert(&self, response: Response) -> Value {
        let Refusal { case, status, code, field, .. } = self;
        let actual = response.status().as_u16();
        if actual != *status {
            let text = response.text().await.unwrap_or_default();
            panic!("{case}: expected {status} {code}, got {actual}: {text}");
        }
        let problem = crate::assert_problem(response, *status, code).await;
        if let Some((field, field_code)) = field {
            assert_field_error(&problem, field, *field_code);
        }
        problem
    }
}
