//! The middleware that answers problems in the caller's language: it
//! negotiates `Accept-Language`, runs the request in that language (so
//! `ApiError::error_response` words the body in it, once; a request with no
//! `Accept-Language` from a signed-in caller is worded again in their
//! profile's language, learnt when the session is checked) and labels every
//! response carrying an [`ApiError`] with `Content-Language` and
//! `Vary: Accept-Language`. Successful responses pass through untouched.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;

use super::{ApiError, Worded};
use crate::i18n;

/// Answer problem details in the language the request asks for.
pub async fn localize(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let asked = req.headers().contains_key(header::ACCEPT_LANGUAGE);
    let lang = i18n::negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    // Handler and extractor errors arrive as responses carrying their error;
    // the middlewares inside this one answer theirs the same way
    // (`ServiceRequest::error_response`). The request is not kept here: a
    // second reference would stop inner middlewares from changing it.
    let res = i18n::in_language(lang, next.call(req)).await?.map_into_boxed_body();
    let Some(error) = res.response().error().and_then(|e| e.as_error::<ApiError>()) else {
        return Ok(res);
    };
    // Without `Accept-Language`, a signed-in caller is answered in their
    // profile's language (known once the session was checked).
    let profile = res.request().extensions().get::<i18n::ProfileLocale>().map(|p| p.0);
    let lang = if asked { lang } else { profile.unwrap_or(lang) };
    let worded = res.response().extensions().get::<Worded>().copied();
    let mut res = if worded == Some(Worded(lang)) {
        res
    } else {
        // Worded where the request's language is not known: in a task of its
        // own (the idempotency middleware runs keyed requests so, and keeps
        // that English body for replays).
        let Ok(body) = serde_json::to_vec(&error.problem_in(lang)) else { return Ok(res) };
        res.map_body(|_, _| BoxBody::new(body))
    };
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.as_str()));
    headers.append(header::VARY, HeaderValue::from_static("Accept-Language"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use actix_web::middleware::from_fn;
    use actix_web::test::{call_service, init_service, read_body, TestRequest};
    use actix_web::{web, App, HttpResponse, ResponseError};
    use followup_domain::values::Locale;
    use serde_json::Value;

    use super::*;

    fn plan_not_found() -> ApiError {
        ApiError::not_found("No plan with that id is visible to you.")
            .key("not_found.entity")
            .arg("entity", "plan")
    }

    async fn failing_handler() -> Result<HttpResponse, ApiError> {
        Err(plan_not_found())
    }

    /// Worded in a task of its own, as the idempotency middleware runs keyed requests.
    async fn spawned_handler() -> HttpResponse {
        let task = actix_web::rt::spawn(async { HttpResponse::from_error(plan_not_found()) });
        task.await.unwrap_or_else(|e| HttpResponse::from_error(ApiError::internal(&e)))
    }

    /// A middleware inside `localize` that refuses the request itself.
    async fn refusing(
        req: ServiceRequest,
        next: Next<impl MessageBody + 'static>,
    ) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
        if req.path() == "/refused" {
            return Ok(req.error_response(plan_not_found()));
        }
        next.call(req).await.map(ServiceResponse::map_into_boxed_body)
    }

    /// What `path` answers in `language`: the language `error_response` worded
    /// it in, `Content-Language`, `Vary`, title and detail.
    async fn answer(
        path: &str,
        language: Option<&str>,
    ) -> (Option<Locale>, Option<String>, String, String, String) {
        let app = init_service(
            App::new()
                .route("/handler", web::get().to(failing_handler))
                .route("/spawned", web::get().to(spawned_handler))
                .wrap(from_fn(refusing))
                .wrap(from_fn(localize)),
        )
        .await;
        let mut req = TestRequest::get().uri(path);
        if let Some(language) = language {
            req = req.insert_header((header::ACCEPT_LANGUAGE, language));
        }
        let res = call_service(&app, req.to_request()).await;
        let worded = res.response().extensions().get::<Worded>().map(|w| w.0);
        let header = |name| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (content_language, vary) = (header(header::CONTENT_LANGUAGE), header(header::VARY));
        let body: Value = serde_json::from_slice(&read_body(res).await).unwrap_or_default();
        let text = |name| body.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
        (worded, content_language, vary.unwrap_or_default(), text("title"), text("detail"))
    }

    #[actix_web::test]
    async fn every_way_of_answering_an_error_is_worded_in_the_callers_language() {
        for path in ["/handler", "/spawned", "/refused"] {
            // Worded once, in Indonesian; only a task of its own words in
            // English, and the middleware words it again.
            let (worded, language, vary, title, detail) = answer(path, Some("id")).await;
            let expected = if path == "/spawned" { Locale::En } else { Locale::Id };
            assert_eq!(worded, Some(expected), "{path}");
            assert_eq!(language.as_deref(), Some("id"), "{path}");
            assert_eq!(vary, "Accept-Language", "{path}");
            assert_eq!(title, "Tidak ditemukan", "{path}");
            assert_eq!(detail, "Rencana aksi tidak ditemukan atau tidak dapat Anda akses.", "{path}");

            let (worded, language, vary, title, detail) = answer(path, None).await;
            assert_eq!(worded, Some(Locale::En), "{path}");
            assert_eq!(language.as_deref(), Some("en"), "{path}");
            assert_eq!(vary, "Accept-Language", "{path}");
            assert_eq!(title, "Not found", "{path}");
            assert_eq!(detail, "No plan with that id is visible to you.", "{path}");
        }
    }

    #[actix_web::test]
    async fn the_body_is_worded_once_in_the_requests_language() {
        let worded = |res: &HttpResponse| res.extensions().get::<Worded>().copied();
        let outside = plan_not_found().error_response();
        assert_eq!(worded(&outside), Some(Worded(Locale::En)));
        assert!(outside.headers().get(header::CONTENT_LANGUAGE).is_none());
        let inside = i18n::in_language(Locale::Id, async { plan_not_found().error_response() }).await;
        assert_eq!(worded(&inside), Some(Worded(Locale::Id)));
        let body = actix_web::body::to_bytes(inside.into_body()).await.unwrap_or_default();
        let problem: Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(problem.get("title").and_then(Value::as_str), Some("Tidak ditemukan"));
    }
}
