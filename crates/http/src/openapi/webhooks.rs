//! The document's `webhooks` section: one entry per event type, each a
//! POST that Followup makes to a subscribed endpoint, with the Standard
//! Webhooks headers and the `WebhookMessage` body.

use followup_domain::webhooks::EVENT_TYPES;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, PathsBuilder, Ref, Required, ResponseBuilder};

const HEADERS: [(&str, &str, &str); 3] = [
    (
        "webhook-id",
        "The event's id: the same on every attempt and redelivery, so a receiver can drop a message it has already handled.",
        "0193b7e2-2a40-7d55-9c1e-4f6a8b2d0e37",
    ),
    (
        "webhook-timestamp",
        "When this attempt was signed, in Unix seconds. Refuse messages older than a few minutes (the libraries' default is five).",
        "1772414142",
    ),
    (
        "webhook-signature",
        "`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`, keyed with the bytes of the webhook's secret (base64 after `whsec_`). Verify it with any Standard Webhooks library before trusting the body.",
        "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
    ),
];

/// Add the `webhooks` section to `api`.
pub(super) fn describe(api: &mut OpenApi) {
    let mut paths = PathsBuilder::new();
    for (event, meaning) in EVENT_TYPES {
        let mut op = OperationBuilder::new()
            .operation_id(Some(format!("webhook_{}", event.replace('.', "_"))))
            .tag("webhooks")
            .summary(Some(meaning))
            .description(Some(format!(
                "Sent to each enabled webhook of the programme subscribed to `{event}` (or to every type). The body's \
`type` is `{event}`. Answer 2XX within the timeout (10 s by default) once the message is stored; anything else, a \
redirect included, is retried with backoff for about a day (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, each moved by up \
to a fifth), and an endpoint that has failed for five days is disabled. Messages carry only what an observer of the \
programme may see.",
            )));
        for (name, description, example) in HEADERS {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Header)
                    .required(Required::True)
                    .description(Some(description))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).examples([example]))),
            );
        }
        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("WebhookMessage"))).build();
        let mut op = op
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", body)
                    .required(Some(Required::True))
                    .build(),
            ))
            .response("2XX", ResponseBuilder::new().description("Received: the delivery succeeded"))
            .response(
                "4XX",
                ResponseBuilder::new()
                    .description("Refused: the delivery is retried, and logged with the answer"),
            )
            .build();
        // Followup signs the message; the receiver needs no credential of ours.
        op.security = Some(Vec::new());
        paths = paths.path(event, PathItem::new(HttpMethod::Post, op));
    }
    api.webhooks = Some(paths.build());
}
