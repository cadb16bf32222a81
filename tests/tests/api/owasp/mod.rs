//! The OWASP API Security Top 10 (2023), one module per item: each test
//! mounts attacks on the running server and asserts they fail. Where an
//! older test already proves a point (`plan_access`, `access`, `auth`,
//! `conventions`, `sync`, `export`), these add the attacks it does not make.

use followup_tests::{Backend, TestApp};

/// Like `backend_test!`, for a server started with a changed configuration:
/// `configured_test!(async fn name(app) with |cfg| { ... }; { body });`
macro_rules! configured_test {
    (async fn $name:ident($app:ident) with $configure:expr; $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: followup_tests::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(app) = crate::owasp::spawn(followup_tests::Backend::Sqlite, $configure).await {
                    body(app).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = crate::owasp::spawn(followup_tests::Backend::Postgres, $configure).await {
                    body(app).await;
                }
            }
        }
    };
}

mod api10_unsafe_consumption_of_apis;
mod api1_broken_object_level_authorization;
mod api2_broken_authentication;
mod api3_broken_object_property_level_authorization;
mod api4_unrestricted_resource_consumption;
mod api5_broken_function_level_authorization;
mod api6_unrestricted_access_to_sensitive_business_flows;
mod api7_server_side_request_forgery;
mod api8_security_misconfiguration;
mod api9_improper_inventory_management;

pub async fn spawn(
    backend: Backend,
    configure: impl FnOnce(&mut followup_server::ServeConfig),
) -> Option<TestApp> {
    TestApp::spawn_with(backend, configure).await
}

/// Every object key in a JSON value, with its path (`items[0].owner.id`).
pub fn keys(value: &serde_json::Value) -> Vec<(String, String)> {
    fn walk(value: &serde_json::Value, path: &str, out: &mut Vec<(String, String)>) {
        match value {
            serde_json::Value::Object(map) => {
                for (k, v) in map {
                    let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                    out.push((here.clone(), k.clone()));
                    walk(v, &here, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(value, "", &mut out);
    out
}
