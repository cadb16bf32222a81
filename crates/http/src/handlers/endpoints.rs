//! The endpoints every resource has, each kind written once:
//!
//! - `list`: a page of the resources under a parent (`GET /plans/{id}/activities`),
//!   with the paging parameters and the list's own filters.
//! - `list_all`: a page of a top-level collection (`GET /organizations`),
//!   with its filters.
//! - `items`: every item under a resource, not paged (`GET /check-ins/{id}/versions`),
//!   as `{"items": [...]}`.
//! - `create`: a new resource under a parent (`POST /plans/{id}/activities`):
//!   201 with `Location` and `ETag`, or 200 when a create with a client-chosen
//!   id is sent again; `Idempotency-Key` honoured.
//! - `create_admin`: a new top-level resource, by an admin
//!   (`POST /organizations`): 201 with `Location` and `ETag`; `Idempotency-Key`
//!   honoured.
//! - `add`: a resource added to a parent from a body that names it
//!   (`POST /programs/{id}/members`): 201 with `Location` and `ETag`.
//! - `remove`: a resource taken from its parent (`DELETE
//!   /programs/{id}/members/{user_id}`): 204, no precondition.
//! - `action`: a POST at a resource's own URL with no body
//!   (`POST /api-keys/{id}/revoke`), answered with the resource; `Idempotency-Key`
//!   honoured.
//! - `get_mine` and `patch_mine`: the signed-in person's own resource
//!   (`/me`, `/me/notifications`), as `get` and `patch`; an API key gets 401
//!   `not_an_account`.
//! - `get`: the resource with its `ETag`; 304 when `If-None-Match` matches.
//! - `patch`: a JSON body parsed into the domain's changes, applied when
//!   `If-Match` holds (428 without it, 412 when it names another version); 200
//!   with the new `ETag`.
//! - `delete`: removed when `If-Match` holds; 204. The bytes of files that
//!   went with it are removed from the store after the commit.
//!
//! Each endpoint runs as the signed-in caller (`CallerToken`: the session is
//! checked in the same transaction); `get`, `patch` and `delete` may run as
//! an admin instead (`CheckedCaller`: 403 for anyone else, before the body is
//! read). The resource's own work is a function (or closure) that gets the connection, the
//! actor and the id (and the query and page, the new resource, or the
//! changes and precondition), so each endpoint states only what differs: its
//! path, types, documented errors and the repository call. The module using
//! it imports actix-web's `get`, `post`, `patch` and `delete` attributes
//! (utoipa recognises the operation by their names).
//!
//! ```text
//! endpoint! {
//!     /// Read an indicator.
//!     get get_indicator "/indicators/{id}" tag "indicators", IndicatorId "Indicator id", CallerToken,
//!     IndicatorBody "The indicator", errors(404 "No such indicator, or not visible to you"),
//!     repo::get_indicator
//! }
//! ```

/// Runs `$work` (`|c, actor| …`) as the caller or as an admin, reading or writing.
macro_rules! as_who {
    (CallerToken, $mode:ident, $caller:ident, $state:ident, $work:expr) => {
        $caller.$mode(&$state, $work).await
    };
    (CheckedCaller, $mode:ident, $caller:ident, $state:ident, $work:expr) => {{
        let actor = $caller.0;
        crate::db::$mode(&$state, move |c| ($work)(c, &actor)).await
    }};
}
pub(crate) use as_who;

/// See the module documentation.
macro_rules! endpoint {
    (
        $(#[doc = $doc:literal])*
        list $name:ident $path:literal tag $tag:literal, $parent:ident $parent_doc:literal, $query:ident,
        $body:ident $page:literal, errors($($status:literal $problem:literal),*),
        $list:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $parent_doc), $query),
            security(("bearer" = [])),
            responses(
                (status = 200, description = $page, body = crate::paging::PageBody<$body>),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[get($path)]
        pub async fn $name(
            req: actix_web::HttpRequest,
            caller: crate::auth::CallerToken,
            state: actix_web::web::Data<crate::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            query: crate::query::QueryParams<$query>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            let page = query.page()?;
            let (id, query) = ($parent::from_uuid(id.into_inner()), query.0);
            let found = caller.read(&state, move |c, actor| ($list)(c, actor, id, query, &page)).await?;
            Ok(crate::paging::respond(&req, found.map($body::from)))
        }
    };
    (
        $(#[doc = $doc:literal])*
        list_all $name:ident $path:literal tag $tag:literal, $who:ident, $query:ident,
        $body:ident $page:literal, errors($($status:literal $problem:literal),*),
        $list:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params($query),
            security(("bearer" = [])),
            responses(
                (status = 200, description = $page, body = crate::paging::PageBody<$body>,
                    headers(("Link" = String, description = "`<…>; rel=\"next\"` when there is a next page"))),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[get($path)]
        pub async fn $name(
            req: actix_web::HttpRequest,
            caller: crate::auth::$who,
            state: actix_web::web::Data<crate::AppState>,
            query: crate::query::QueryParams<$query>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            crate::handlers::endpoints::endpoint!(@guard $who, caller);
            let page = query.page()?;
            let query = query.0;
            let found = crate::handlers::endpoints::as_who!(
                $who, read, caller, state, move |c, actor| ($list)(c, actor, query, &page)
            )?;
            Ok(crate::paging::respond(&req, found.map($body::from)))
        }
    };
    (
        $(#[doc = $doc:literal])*
        create_admin $name:ident $path:literal tag $tag:literal,
        $create:ident => $parse:expr, $body:ident $created:literal, errors($($status:literal $problem:literal),*),
        $insert:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            request_body = $create,
            security(("bearer" = [])),
            responses(
                (status = 201, description = $created, body = $body, headers(("Location" = String), ("ETag" = String))),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[post($path)]
        pub async fn $name(
            caller: crate::auth::CheckedCaller,
            key: crate::idempotency::IdempotencyKey,
            state: actix_web::web::Data<crate::AppState>,
            body: crate::json::JsonBody<$create>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            caller.0.require_admin()?;
            let new = ($parse)(body.0)?;
            let actor = caller.0;
            key.respond(&state, move |c| ($insert)(c, &actor, &new), |made| {
                crate::dto::created_at_its_url(&$body::from(made))
            })
            .await
        }
    };
    (
        $(#[doc = $doc:literal])*
        items $name:ident $path:literal tag $tag:literal, $id:ident $id_doc:literal,
        $list:ident { $item:ident } $found:literal, errors($($status:literal $problem:literal),*),
        $read:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $id_doc)),
            security(("bearer" = [])),
            responses(
                (status = 200, description = $found, body = $list),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[get($path)]
        pub async fn $name(
            caller: crate::auth::CallerToken,
            state: actix_web::web::Data<crate::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            let id = $id::from_uuid(id.into_inner());
            let found = caller.read(&state, move |c, actor| ($read)(c, actor, id)).await?;
            Ok(actix_web::HttpResponse::Ok().json($list { items: found.into_iter().map($item::from).collect() }))
        }
    };
    (
        $(#[doc = $doc:literal])*
        create $name:ident $path:literal tag $tag:literal, $parent:ident $parent_doc:literal,
        $create:ident => $parse:expr, $body:ident $created:literal, errors($($status:literal $problem:literal),*),
        $insert:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $parent_doc), crate::dto::IdempotencyKeyHeader),
            request_body = $create,
            security(("bearer" = [])),
            responses(
                (status = 201, description = $created, body = $body, headers(("Location" = String), ("ETag" = String))),
                (status = 200, description = "The same create sent again (client-supplied id)", body = $body),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[post($path)]
        pub async fn $name(
            caller: crate::auth::CallerToken,
            state: actix_web::web::Data<crate::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            body: crate::json::JsonBody<$create>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            let new = ($parse)(body.0)?;
            let id = $parent::from_uuid(id.into_inner());
            caller
                .respond(
                    &state,
                    move |c, actor| ($insert)(c, actor, id, &new),
                    |result| crate::dto::created_or_existing(result, $body::from),
                )
                .await
        }
    };
    (
        $(#[doc = $doc:literal])*
        add $name:ident $path:literal tag $tag:literal, $parent:ident $parent_doc:literal,
        $add:ident => $parse:expr, $body:ident $added:literal, errors($($status:literal $problem:literal),*),
        $insert:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $parent_doc)),
            request_body = $add,
            security(("bearer" = [])),
            responses(
                (status = 201, description = $added, body = $body, headers(("Location" = String))),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[post($path)]
        pub async fn $name(
            caller: crate::auth::CallerToken,
            state: actix_web::web::Data<crate::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            body: crate::json::JsonBody<$add>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            let new = ($parse)($parent::from_uuid(id.into_inner()), body.0);
            caller
                .respond(&state, move |c, actor| ($insert)(c, actor, &new), |added| {
                    crate::dto::created_at_its_url(&$body::from(added))
                })
                .await
        }
    };
    (
        $(#[doc = $doc:literal])*
        remove $name:ident $path:literal tag $tag:literal, $parent:ident $parent_doc:literal,
        $child:ident $child_param:literal $child_doc:literal, $removed:literal, errors($($status:literal $problem:literal),*),
        $remove:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $parent_doc), ($child_param = Uuid, Path, description = $child_doc)),
            security(("bearer" = [])),
            responses(
                (status = 204, description = $removed),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[delete($path)]
        pub async fn $name(
            caller: crate::auth::CallerToken,
            state: actix_web::web::Data<crate::AppState>,
            path: actix_web::web::Path<(uuid::Uuid, uuid::Uuid)>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            let (parent, child) = path.into_inner();
            let (parent, child) = ($parent::from_uuid(parent), $child::from_uuid(child));
            caller.write(&state, move |c, actor| ($remove)(c, actor, parent, child)).await?;
            Ok(actix_web::HttpResponse::NoContent().finish())
        }
    };
    (
        $(#[doc = $doc:literal])*
        action $name:ident $path:literal tag $tag:literal, $id:ident $id_doc:literal,
        $status:literal $code:ident $done:literal $body:ident, errors($($error:literal $problem:literal),*),
        $act:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $id_doc), crate::dto::IdempotencyKeyHeader),
            security(("bearer" = [])),
            responses(
                (status = $status, description = $done, body = $body),
                $((status = $error, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[post($path)]
        pub async fn $name(
            caller: crate::auth::CallerToken,
            state: actix_web::web::Data<crate::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            let id = $id::from_uuid(id.into_inner());
            caller
                .respond(&state, move |c, actor| ($act)(c, actor, id), |done| {
                    actix_web::HttpResponse::build(actix_web::http::StatusCode::$code).json($body::from(done))
                })
                .await
        }
    };
    (
        $(#[doc = $doc:literal])*
        get_mine $name:ident $path:literal tag $tag:literal, $body:ident $found:literal,
        $read:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            security(("bearer" = [])),
            responses(
                (status = 200, description = $found, body = $body, headers(("ETag" = String))),
                (status = 304, description = "Not modified (If-None-Match)"),
                (status = 401, description = "Not signed in; `not_an_account` for an API key, which is not an account", body = crate::problem::Problem, content_type = "application/problem+json"),
            )
        )]
        #[get($path)]
        pub async fn $name(
            req: actix_web::HttpRequest,
            caller: crate::auth::AccountCaller,
            state: actix_web::web::Data<crate::AppState>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            let me = caller.0.user_id;
            let found = crate::db::read(&state, move |c| ($read)(c, me)).await?;
            let body = $body::from(found);
            Ok(crate::conditional::ok_versioned(&req, body.version, &body))
        }
    };
    (
        $(#[doc = $doc:literal])*
        patch_mine $name:ident $path:literal tag $tag:literal,
        $patch:ident => $parse:expr, $body:ident $changed:literal, invalid $invalid:literal,
        $write:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            request_body = $patch,
            params(crate::dto::IfMatchHeader),
            security(("bearer" = [])),
            responses(
                (status = 200, description = $changed, body = $body, headers(("ETag" = String))),
                (status = 401, description = "Not signed in; `not_an_account` for an API key, which is not an account", body = crate::problem::Problem, content_type = "application/problem+json"),
                (status = 412, description = "Stale If-Match", body = crate::problem::Problem, content_type = "application/problem+json"),
                (status = 428, description = "No If-Match: send the ETag of your last read", body = crate::problem::Problem, content_type = "application/problem+json"),
                (status = 422, description = $invalid, body = crate::problem::Problem, content_type = "application/problem+json"),
            )
        )]
        #[patch($path)]
        pub async fn $name(
            crate::auth::AccountToken(caller): crate::auth::AccountToken,
            state: actix_web::web::Data<crate::AppState>,
            crate::conditional::IfMatch(expected): crate::conditional::IfMatch,
            body: crate::json::JsonBody<$patch>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            let changes = ($parse)(body.0)?;
            let changed =
                caller.write(&state, move |c, actor| ($write)(c, actor, &changes, &expected)).await?;
            let body = $body::from(changed);
            Ok(crate::conditional::updated(body.version, &body))
        }
    };
    (
        $(#[doc = $doc:literal])*
        get $name:ident $path:literal tag $tag:literal, $id:ident $id_doc:literal, $who:ident,
        $body:ident $found:literal, errors($($status:literal $problem:literal),*),
        $read:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $id_doc)),
            security(("bearer" = [])),
            responses(
                (status = 200, description = $found, body = $body, headers(("ETag" = String))),
                (status = 304, description = "Not modified (If-None-Match)"),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
            )
        )]
        #[get($path)]
        pub async fn $name(
            req: actix_web::HttpRequest,
            caller: crate::auth::$who,
            state: actix_web::web::Data<crate::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            crate::handlers::endpoints::endpoint!(@guard $who, caller);
            let id = $id::from_uuid(id.into_inner());
            let found =
                crate::handlers::endpoints::as_who!($who, read, caller, state, move |c, actor| ($read)(c, actor, id))?;
            let body = $body::from(found);
            Ok(crate::conditional::ok_versioned(&req, body.version, &body))
        }
    };
    (
        $(#[doc = $doc:literal])*
        patch $name:ident $path:literal tag $tag:literal, $id:ident $id_doc:literal, $who:ident,
        $patch:ident => $parse:expr, $body:ident $changed:literal, errors($($status:literal $problem:literal),*),
        $write:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $id_doc), crate::dto::IfMatchHeader),
            request_body = $patch,
            security(("bearer" = [])),
            responses(
                (status = 200, description = $changed, body = $body, headers(("ETag" = String))),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
                (status = 412, description = "Stale If-Match", body = crate::problem::Problem, content_type = "application/problem+json"),
                (status = 428, description = "No If-Match: send the ETag of your last read", body = crate::problem::Problem, content_type = "application/problem+json"),
                (status = 422, description = "Invalid fields", body = crate::problem::Problem, content_type = "application/problem+json"),
            )
        )]
        #[patch($path)]
        pub async fn $name(
            caller: crate::auth::$who,
            state: actix_web::web::Data<crate::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            expected: crate::conditional::IfMatch,
            body: crate::json::JsonBody<$patch>,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            crate::handlers::endpoints::endpoint!(@guard $who, caller);
            let expected = expected.0;
            let changes = ($parse)(body.0)?;
            let id = $id::from_uuid(id.into_inner());
            let changed = crate::handlers::endpoints::as_who!(
                $who, write, caller, state, move |c, actor| ($write)(c, actor, id, &changes, &expected)
            )?;
            let body = $body::from(changed);
            Ok(crate::conditional::updated(body.version, &body))
        }
    };
    (
        $(#[doc = $doc:literal])*
        delete $name:ident $path:literal tag $tag:literal, $id:ident $id_doc:literal, $who:ident,
        errors($($status:literal $problem:literal),*),
        $delete:expr
    ) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = $tag,
            params(("id" = Uuid, Path, description = $id_doc), crate::dto::IfMatchHeader),
            security(("bearer" = [])),
            responses(
                (status = 204, description = "Deleted"),
                $((status = $status, description = $problem, body = crate::problem::Problem, content_type = "application/problem+json"),)*
                (status = 412, description = "Stale If-Match", body = crate::problem::Problem, content_type = "application/problem+json"),
                (status = 428, description = "No If-Match: send the ETag of your last read", body = crate::problem::Problem, content_type = "application/problem+json"),
            )
        )]
        #[delete($path)]
        pub async fn $name(
            caller: crate::auth::$who,
            state: actix_web::web::Data<crate::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            expected: crate::conditional::IfMatch,
        ) -> Result<actix_web::HttpResponse, crate::problem::ApiError> {
            crate::handlers::endpoints::endpoint!(@guard $who, caller);
            let expected = expected.0;
            let id = $id::from_uuid(id.into_inner());
            let left = crate::handlers::endpoints::as_who!(
                $who, write, caller, state, move |c, actor| ($delete)(c, actor, id, &expected)
            )?;
            if let Some(files) = &state.files {
                files.remove_unstored(left).await;
            }
            Ok(actix_web::HttpResponse::NoContent().finish())
        }
    };
    // Anyone but an admin is refused before anything else is read.
    (@guard CheckedCaller, $caller:ident) => { $caller.0.require_admin()?; };
    (@guard CallerToken, $caller:ident) => {};
}
pub(crate) use endpoint;
