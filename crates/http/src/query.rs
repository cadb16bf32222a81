//! The query-string extractor: like `web::Query`, but a bad value is a 422
//! naming the parameter (`errors[].field`), as a bad body field is.

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
        assert!(parse::<Q>("status=active&limit=5&unknown=1").is_ok());
    }
}
