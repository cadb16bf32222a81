//! The OpenAPI 3.1 document: metadata, the security scheme, shared schemas,
//! and the problem+json responses listed on every operation.

use utoipa::openapi::link::LinkBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{Schema, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::server::Server;
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::problem::{Problem, ProblemFieldError};

mod typed;
mod webhooks;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Followup API",
        description = "Tracks post-training action plans: delegates carry out the plan they drafted during an \
international training programme, and mentors help, direct and monitor it until the follow-up period ends.\n\n\
Errors are RFC 9457 `application/problem+json` with a stable `code`; validation errors list `errors[]` per field. \
A query parameter an endpoint does not take is refused with 400 `unknown_parameter`, naming it in `errors[]`: a \
misspelt filter never answers with everything.\n\n\
Language: the `title`, `detail` and field `message`s of a problem follow the `Accept-Language` request header, \
`id` (Indonesian; also `id-ID` and `in`) or `en` (English, the default), weighed by q-value as in RFC 9110. \
Problem answers carry `Content-Language` and `Vary: Accept-Language`; `code`, `type` and `status` are the same in \
every language, so clients switch on those. Successful answers do not depend on the header.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    components(schemas(Problem, ProblemFieldError, crate::handlers::webhooks::WebhookMessage)),
    modifiers(&SecurityAddon),
    tags(
        (name = "auth", description = "Sign in, token refresh and sign out"),
        (name = "me", description = "The signed-in account"),
        (name = "users", description = "Accounts (admin)"),
        (name = "organizations", description = "Ministries, directorates, agencies, units and partners"),
        (name = "programs", description = "Training programmes, their members and mentorships"),
        (name = "plans", description = "Action plans and their workflow: draft → submitted → (changes_requested → submitted)* → active → completed | discontinued"),
        (name = "activities", description = "What the delegate will do, with due dates"),
        (name = "indicators", description = "What the plan measures, and its append-only measurements"),
        (name = "check-ins", description = "The delegate's periodic reports and the mentor's review"),
        (name = "attachments", description = "Evidence files (bukti dukung) on check-ins, activities, measurements and comments: the content type is read from the bytes, images lose their location and camera metadata, files stream to a directory or an S3-compatible store; whoever may see the parent sees its files, also through short-lived signed download links"),
        (name = "comments", description = "Comments on a plan, shared or for mentors only"),
        (name = "surveys", description = "Follow-up surveys (did the training change practice?): a coordinator defines a programme's rounds, each opening a number of days after the training ends — on that date in each delegate's own time zone — for `open_days` days, with questions in Indonesian and English (scale 1–5, number, yes/no, single choice, short text). Each delegate answers once and may change the answers until the round closes. Coordinators and mentors (for their mentees) see who answered; results per question (counts, mean, distribution) are read by coordinators, mentors and observers, the free texts by observers only when the round allows it."),
        (name = "monitoring", description = "What mentors, coordinators and observers watch: the programme dashboard, the delegates table and the mentor overview. Today is always a person's own date in their IANA time zone; an activity is overdue when it is neither done nor cancelled and due before its plan owner's today; a delegate is silent when their latest check-in (or, with none, the end of training) is more than the programme's check-in cadence in days before their today; an indicator is behind schedule when its progress from baseline toward target is below the share of its plan period elapsed."),
        (name = "webhooks", description = "Followup tells integrators: a programme's coordinator subscribes an https endpoint to event types; each message is signed by the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature` v1), retried with backoff for about a day, logged, and can be redelivered; the document's `webhooks` section describes each message"),
        (name = "api-keys", description = "Credentials for integrators: a programme's coordinator creates a key (shown once), sent as `Authorization: Bearer fuk_…`; it reads that programme as an observer does and writes nothing but, with the `webhooks` scope, the programme's webhooks; each key has a request allowance; it is not an account (`/me` and sign-out answer 401 `not_an_account`); revoked, it is refused at once"),
        (name = "sync", description = "The change feed for offline clients: everything you may see that changed since your cursor, deletions as tombstones"),
        (name = "operations", description = "Health checks and metrics, outside /api/v1"),
    )
)]
pub struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description = Some(
            "Access token from POST /api/v1/auth/login, or an API key (`fuk_…`) from POST /api/v1/programs/{id}/api-keys"
                .into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    }
}

/// A header or query parameter is a string or absent, never JSON `null`:
/// an optional one (`Option<T>`) keeps its type without the `null` that
/// utoipa adds, so clients and generators do not send the text `null`.
fn not_nullable(param: &mut RefOr<Parameter>) {
    let RefOr::T(param) = param else { return };
    let Some(RefOr::T(Schema::Object(object))) = param.schema.as_mut() else { return };
    if let SchemaType::Array(types) = &object.schema_type {
        let kept: Vec<Type> = types.iter().filter(|t| **t != Type::Null).cloned().collect();
        if let [single] = kept.as_slice() {
            object.schema_type = SchemaType::Type(single.clone());
        }
    }
}

/// A body that may be left out (`Option<…>` in the handler) is optional
/// (`required` absent), not `null`: utoipa also wraps its schema in `oneOf`
/// with `null`, which the server refuses as it refuses any other non-object.
fn optional_body_is_absent_not_null(op: &mut Operation) {
    let Some(RefOr::T(body)) = op.request_body.as_mut() else { return };
    for content in body.content.values_mut() {
        let RefOr::T(content) = content else { continue };
        let Some(RefOr::T(Schema::OneOf(one))) = content.schema.as_ref() else { continue };
        if let [item @ RefOr::Ref(_), RefOr::T(Schema::Object(null))] = one.items.as_slice() {
            if null.schema_type == SchemaType::Type(Type::Null) {
                content.schema = Some(item.clone());
            }
        }
    }
}

/// A text field ([`crate::text`]) has its rule as an inline schema, which
/// utoipa wraps in `oneOf` with `null` when the field is optional and in
/// `allOf` when the field has a description. Folded into one string schema
/// (`type: [string, null]` when optional), as every other field reads.
fn fold_text_properties(schema: &mut RefOr<Schema>) {
    let RefOr::T(Schema::Object(object)) = schema else { return };
    for property in object.properties.values_mut() {
        let folded = match property {
            RefOr::T(Schema::OneOf(one)) => match one.items.as_slice() {
                [RefOr::T(Schema::Object(text)), RefOr::T(Schema::Object(null))]
                    if text.pattern.is_some() && null.schema_type == SchemaType::Type(Type::Null) =>
                {
                    let mut text = text.clone();
                    text.schema_type = SchemaType::Array(vec![Type::String, Type::Null]);
                    text.description = one.description.clone().or(text.description);
                    Some(text)
                }
                _ => None,
            },
            RefOr::T(Schema::AllOf(all)) => match all.items.as_slice() {
                [RefOr::T(Schema::Object(text)), RefOr::T(Schema::Object(doc))] if text.pattern.is_some() => {
                    let mut text = text.clone();
                    text.description = doc.description.clone();
                    Some(text)
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(text) = folded {
            *property = RefOr::T(Schema::Object(text));
        }
    }
}

/// The operations anyone may call without a token: signing in, refreshing,
/// setting a password with an invitation or reset token, health and metrics,
/// and the tus discovery of what uploads this server takes.
/// Each says so with `security: []`; every other operation requires a bearer
/// token (a unit test holds that).
pub const PUBLIC_OPERATIONS: &[&str] =
    &["login", "refresh", "set_password", "request_reset", "live", "ready", "metrics", "upload_options"];

/// A public operation's `security: []`: no scheme at all, rather than
/// utoipa's `[{}]` (an empty requirement) or nothing (which linters read as
/// "forgotten").
fn public_security(op: &mut Operation) {
    if op.operation_id.as_deref().is_some_and(|id| PUBLIC_OPERATIONS.contains(&id)) {
        op.security = Some(Vec::new());
    }
}

/// A GET that documents 304 Not Modified takes the `If-None-Match` that
/// produces it; declared once here for every such operation.
fn if_none_match_where_304(op: &mut Operation) {
    if !op.responses.responses.contains_key("304") {
        return;
    }
    let parameters = op.parameters.get_or_insert_with(Vec::new);
    let declared =
        parameters.iter().any(|p| matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case("If-None-Match")));
    if !declared {
        parameters.push(RefOr::T(
            ParameterBuilder::new()
                .name("If-None-Match")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .description(Some(
                    "The `ETag` of the copy you hold: when it is still current the answer is 304 with no body",
                ))
                .schema(Some(ObjectBuilder::new().schema_type(SchemaType::Type(Type::String))))
                .build(),
        ));
    }
}

/// Final touches applied to the collected document: the version, the
/// server (this host), optional parameters without `null`, `security: []` on
/// public operations, `If-None-Match` where 304 is documented, and a
/// problem+json response for every 4XX/5XX an operation does not list itself.
pub fn finish(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut server = Server::new("/");
    server.description =
        Some("This host: every path, /api/v1 included, is relative to where Followup is served".into());
    api.servers = Some(vec![server]);
    if let Some(components) = api.components.as_mut() {
        components.schemas.values_mut().for_each(fold_text_properties);
        typed::page_items_by_reference(components);
        typed::sync_items_by_type(components);
    }
    let problem = || ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("Problem")))).build();
    let add_defaults = |op: &mut Operation| {
        op.parameters.iter_mut().flatten().for_each(not_nullable);
        for (range, description) in
            [("4XX", "Client error (problem+json)"), ("5XX", "Server error (problem+json)")]
        {
            op.responses.responses.entry(range.to_owned()).or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(description)
                        .content("application/problem+json", problem())
                        .build(),
                )
            });
        }
    };
    for item in api.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            add_defaults(op);
            public_security(op);
            if_none_match_where_304(op);
            optional_body_is_absent_not_null(op);
            add_links(op);
        }
    }
    webhooks::describe(&mut api);
    api
}

/// Links from a create's answer to what the created resource is used by:
/// a client (or Schemathesis's stateful phase) follows them with the id the
/// answer carries. `(source operation, [(target operation, [(parameter, value)])])`.
const LINKS: &[(&str, &[LinkTo])] = &[
    (
        "create_plan",
        &[
            ("get_plan", BODY_ID),
            ("patch_plan", BODY_ID),
            ("delete_plan", BODY_ID),
            ("submit_plan", BODY_ID),
            ("approve_plan", BODY_ID),
            ("request_changes", BODY_ID),
            ("complete_plan", BODY_ID),
            ("discontinue_plan", BODY_ID),
            ("plan_history", BODY_ID),
            ("list_activities", BODY_ID),
            ("create_activity", BODY_ID),
            ("list_indicators", BODY_ID),
            ("create_indicator", BODY_ID),
            ("list_check_ins", BODY_ID),
            ("create_check_in", BODY_ID),
            ("list_comments", BODY_ID),
            ("create_comment", BODY_ID),
        ],
    ),
    (
        "create_activity",
        &[("get_activity", BODY_ID), ("patch_activity", BODY_ID), ("delete_activity", BODY_ID)],
    ),
    (
        "create_indicator",
        &[
            ("get_indicator", BODY_ID),
            ("patch_indicator", BODY_ID),
            ("delete_indicator", BODY_ID),
            ("list_measurements", BODY_ID),
            ("create_measurement", BODY_ID),
        ],
    ),
    (
        "create_measurement",
        &[
            ("get_measurement", BODY_ID),
            ("correct_measurement", BODY_ID),
            ("withdraw_measurement", BODY_ID),
            ("list_measurement_versions", BODY_ID),
        ],
    ),
    ("create_check_in", &[("get_check_in", BODY_ID), ("review_check_in", BODY_ID)]),
    ("create_comment", &[("get_comment", BODY_ID), ("patch_comment", BODY_ID), ("delete_comment", BODY_ID)]),
    (
        "create_program",
        &[
            ("get_program", BODY_ID),
            ("patch_program", BODY_ID),
            ("dashboard", BODY_ID),
            ("delegates", BODY_ID),
            ("export_program", BODY_ID),
            ("outcome_report", BODY_ID),
            ("outcome_report_csv", BODY_ID),
            ("outcome_report_html", BODY_ID),
            ("list_members", BODY_ID),
            ("add_member", BODY_ID),
            ("list_mentorships", BODY_ID),
            ("add_mentorship", BODY_ID),
        ],
    ),
    (
        "create_organization",
        &[("get_organization", BODY_ID), ("patch_organization", BODY_ID), ("delete_organization", BODY_ID)],
    ),
    ("create_user", &[("get_user", BODY_ID), ("patch_user", BODY_ID)]),
    (
        "add_member",
        &[("remove_member", &[("id", "$request.path.id"), ("user_id", "$response.body#/user_id")])],
    ),
    (
        "add_mentorship",
        &[("remove_mentorship", &[("id", "$request.path.id"), ("mentorship_id", "$response.body#/id")])],
    ),
];

/// A link's target operation and its parameters (name, runtime expression).
type LinkTo = (&'static str, &'static [(&'static str, &'static str)]);

/// The created resource's id, as the `id` path parameter.
const BODY_ID: &[(&str, &str)] = &[("id", "$response.body#/id")];

/// Add [`LINKS`] to the 201 answer of each source operation.
fn add_links(op: &mut Operation) {
    let Some(id) = op.operation_id.as_deref() else { return };
    let Some((_, targets)) = LINKS.iter().find(|(source, _)| *source == id) else { return };
    let Some(RefOr::T(created)) = op.responses.responses.get_mut("201") else { return };
    for (target, parameters) in targets.iter() {
        let link = parameters
            .iter()
            .fold(LinkBuilder::new().operation_id(*target), |link, (name, value)| {
                link.parameter(*name, *value)
            })
            .build();
        created.links.insert((*target).to_owned(), RefOr::T(link));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::PUBLIC_OPERATIONS;

    /// Every operation of the document with its operation id, as JSON.
    fn operations() -> Vec<(String, serde_json::Value)> {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let mut ops = Vec::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                if let Some(id) = op.get("operationId").and_then(|id| id.as_str()) {
                    ops.push((id.to_owned(), op.clone()));
                }
            }
        }
        ops
    }

    #[test]
    fn only_the_public_operations_go_without_a_bearer_token() {
        let ops = operations();
        for public in PUBLIC_OPERATIONS {
            assert!(ops.iter().any(|(id, _)| id == public), "{public} is not an operation");
        }
        for (id, op) in &ops {
            let expected = if PUBLIC_OPERATIONS.contains(&id.as_str()) {
                serde_json::json!([])
            } else {
                serde_json::json!([{"bearer": []}])
            };
            assert_eq!(op["security"], expected, "security of {id}");
        }
    }

    #[test]
    fn every_304_comes_with_the_if_none_match_that_produces_it() {
        let with_304: Vec<_> =
            operations().into_iter().filter(|(_, op)| op["responses"].get("304").is_some()).collect();
        assert!(with_304.len() >= 9, "the single-resource GETs document 304");
        for (id, op) in with_304 {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            assert!(
                params.iter().any(|p| p["name"] == "If-None-Match" && p["in"] == "header"),
                "{id} documents 304 without If-None-Match"
            );
        }
    }
}
