//! Request and response pieces shared by every resource: PATCH's
//! `null`-means-clear fields, the paging parameters of list endpoints, and
//! the answer to a create.

use actix_web::HttpResponse;
use followup_persistence::repo::plans::Created;
use serde::{Deserialize, Deserializer, Serialize};

use crate::conditional::{created, etag};

/// For PATCH bodies: absent → `None` (leave alone), `null` → `Some(None)`
/// (clear), a value → `Some(Some(v))` (set).
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Declares the query parameters of a list endpoint: the paging parameters
/// every list shares, `limit` (1–200, default 50) and `cursor`, then the
/// endpoint's own filters. A list whose order the caller picks says so in
/// the cursor's description (`cursor: "…"`).
macro_rules! list_query {
    ($(#$attr:tt)* pub struct $name:ident, cursor: $cursor:tt { $($fields:tt)* }) => {
        $(#$attr)*
        #[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Page size, 1–200 (default 50).
            #[param(minimum = 1, maximum = 200)]
            pub limit: Option<i64>,
            #[doc = $cursor]
            pub cursor: Option<String>,
            $($fields)*
        }

        impl $name {
            /// The page asked for (422 for a bad `limit` or `cursor`).
            pub fn page(&self) -> Result<followup_domain::paging::PageRequest, crate::problem::ApiError> {
                crate::paging::page_request(self.limit, self.cursor.as_deref())
            }
        }
    };
    ($(#$attr:tt)* pub struct $name:ident { $($fields:tt)* }) => {
        $crate::dto::list_query! {
            $(#$attr)* pub struct $name, cursor: " `next_cursor` of the previous page." { $($fields)* }
        }
    };
}
pub(crate) use list_query;

list_query! {
    /// Paging alone, for lists without filters.
    pub struct PageQuery {}
}

/// A response body with its own URL and version, as a create answers it.
pub trait Addressable: Serialize {
    /// Where the resource is read (the `Location` of a 201).
    fn location(&self) -> String;
    fn version(&self) -> i64;
}

/// Implements [`Addressable`] for a body: its URL from its fields.
macro_rules! addressable {
    ($body:ty, $path:literal, $($field:ident),+) => {
        impl $crate::dto::Addressable for $body {
            fn location(&self) -> String {
                format!($path, $(self.$field),+)
            }
            fn version(&self) -> i64 {
                self.version
            }
        }
    };
}
pub(crate) use addressable;

/// 201 with the new resource, its URL as `Location` and its version as `ETag`.
pub(crate) fn created_at_its_url<B: Addressable>(body: &B) -> HttpResponse {
    created(body.location(), body.version(), body)
}

/// 201 with `Location` for a new resource; 200 with the existing one when a
/// create with a client-supplied id was sent again with the same content.
pub(crate) fn created_or_existing<T, B: Addressable>(
    result: Created<T>,
    body: impl Fn(T) -> B,
) -> HttpResponse {
    match result {
        Created::New(t) => created_at_its_url(&body(t)),
        Created::Existing(t) => {
            let body = body(t);
            HttpResponse::Ok().insert_header(("ETag", etag(body.version()))).json(body)
        }
    }
}

/// The `If-Match` header of a PATCH or DELETE, for the OpenAPI document
/// (read by [`crate::conditional::if_match`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatchHeader {
    /// Required: the ETag you last read (428 without it), or a list of them;
    /// 412 unless one is current (strong comparison: a weak `W/` tag never
    /// matches). `*` changes whichever version is current.
    #[param(rename = "If-Match", pattern = "^(\\*|(W/)?\"[!#-~]*\"( *, *(W/)?\"[!#-~]*\")*)$")]
    pub if_match: String,
}

/// The `Idempotency-Key` header of a create, for the OpenAPI document (read
/// by [`crate::idempotency`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IdempotencyKeyHeader {
    /// Retry-safe key
    #[param(rename = "Idempotency-Key", pattern = "^[\\x21-\\x7E]{1,255}$")]
    pub idempotency_key: Option<String>,
}

/// A file's bytes, sent or received as they are (`type: string, format:
/// binary`, which the Swagger UI offers as a file to choose and generated
/// clients take as a file).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);
