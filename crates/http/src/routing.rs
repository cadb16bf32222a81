//! What to answer for a request no route took: 405 with `Allow` when the path
//! is served with other methods, 404 otherwise. The table is read from the
//! OpenAPI document, so the two cannot disagree.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::problem::ApiError;
use crate::AppState;

/// Path templates of the API and the methods each one serves.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<&'static str>)>,
}

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.trim_matches('/').split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("HEAD", item.head.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                    ("OPTIONS", item.options.is_some()),
                ]
                .into_iter()
                .filter_map(|(m, present)| present.then_some(m))
                .collect();
                (segments, methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods served at this concrete path, if any route matches it.
    pub fn allowed(&self, path: &str) -> Option<String> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut allowed: Vec<&str> = Vec::new();
        for (template, methods) in &self.routes {
            let matches = template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p);
            if matches {
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method);
                    }
                }
            }
        }
        (!allowed.is_empty()).then(|| allowed.join(", "))
    }
}

/// The default service.
pub async fn unmatched(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.routes.allowed(req.path()) {
        Some(allow) => Err(ApiError::method_not_allowed(&allow)),
        None => Err(ApiError::not_found(format!("No route for {} {}.", req.method(), req.path()))
            .key("not_found.route")
            .arg("method", req.method())
            .arg("path", req.path())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_concrete_paths_and_collect_methods() {
        let mut table = RouteTable::default();
        table
            .routes
            .push((vec!["api".into(), "v1".into(), "plans".into(), "{id}".into()], vec!["GET", "PATCH"]));
        table.routes.push((vec!["health".into(), "ready".into()], vec!["GET"]));
        assert_eq!(table.allowed("/api/v1/plans/0190aa").as_deref(), Some("GET, PATCH"));
        assert_eq!(table.allowed("/health/ready").as_deref(), Some("GET"));
        assert_eq!(table.allowed("/api/v1/plans"), None);
        assert_eq!(table.allowed("/api/v1/plans/x/y"), None);
    }
}
