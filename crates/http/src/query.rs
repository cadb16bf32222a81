//! The query-string extractor: like `web::Query`, but a bad value is a 422
//! naming the parameter (`errors[].field`), as a bad body field is, and a
//! parameter the endpoint does not take is a 400 `unknown_parameter` naming
//! it (the query types deny unknown fields): a misspelt filter never answers
//! with everything.

use std::future::{ready, Ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use followup_domain::FieldError;
use serde::de::DeserializeOwned;

use crate::problem::ApiError;

/// Query parameters of type `T`.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<T> Deref for QueryParams<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parse a query string into `T`.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let message = e.into_inner().to_string();
        if let Some(unknown) = unknown_parameter(&message) {
            return unknown;
        }
        let error = match message.strip_prefix("missing field `") {
            Some(rest) => {
                FieldError::new(rest.split('`').next().unwrap_or_default(), "required", "is required")
            }
            None => crate::json::value_error(if field == "." { String::new() } else { field }, &message),
        };
        ApiError::validation(vec![error])
            .with_detail("A query parameter is invalid.")
            .key("validation_failed.query")
    })
}

/// 400 for serde's "unknown field `x`, expected one of `a`, `b`".
fn unknown_parameter(message: &str) -> Option<ApiError> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, expected) = rest.split_once('`')?;
    let taken: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    let expected = if taken.is_empty() { "no parameters".to_owned() } else { taken.join(", ") };
    let field = FieldError::new(name, "unknown_parameter", "is not a query parameter of this endpoint");
    Some(
        ApiError::bad_request(
            "unknown_parameter",
            format!("`{name}` is not a query parameter of this endpoint; it takes: {expected}."),
        )
        .arg("name", name)
        .arg("expected", expected)
        .with_errors(vec![field]),
    )
}

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(QueryParams))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<i64>,
        status: Option<Status>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Active,
    }

    #[test]
    fn a_bad_parameter_is_named() {
        let field =
            |q: &str| parse::<Q>(q).err().and_then(|e| e.problem().errors.first().map(|f| f.field.clone()));
        assert_eq!(field("status=finished"), Some("status".into()));
        assert_eq!(field("limit=many"), Some("limit".into()));
        assert!(parse::<Q>("status=active&limit=5").is_ok());
        let unknown = parse::<Q>("status=active&overdue=true").err().map(|e| e.problem());
        assert_eq!(unknown.as_ref().map(|p| (p.status, p.code.as_str())), Some((400, "unknown_parameter")));
        assert_eq!(unknown.and_then(|p| p.errors.first().map(|f| f.field.clone())), Some("overdue".into()));
    }
}
