//! API2: broken authentication. `auth` already refuses forged tokens signed
//! with the wrong key, `alg: none`, expiry, wrong issuer and audience, and a
//! rotated refresh token used twice in a row; these add claims edited under
//! a real signature, algorithm confusion, tokens in the wrong place, the
//! two kinds of token swapped, a refresh token raced from several clients,
//! and privileges taken away while a token is still alive.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use followup_tests::api::{
    admin, api_url, create_user, expect_json, id_of, jwt_claims, login, refresh_response, Authed,
};
use followup_tests::{assert_problem, backend_test, json, Value, ADMIN_EMAIL, ADMIN_PASSWORD};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

const SECRET: &str = "a-secret-of-the-api2-tests-at-least-32-bytes";

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap())
}

/// Assert GET /me answers 401 `unauthorized` for this Authorization value.
async fn refused(app: &followup_tests::TestApp, authorization: &str, what: &str) {
    let response =
        app.client.get(api_url(app, "/me")).header("authorization", authorization).send().await.unwrap();
    assert_eq!(response.status(), 401, "{what}: must be refused");
    assert_problem(response, 401, "unauthorized").await;
}

configured_test!(
    async fn edited_claims_confused_algorithms_and_misplaced_tokens_are_refused(app) with |cfg| {
        cfg.auth.jwt_secret = Some(SECRET.into());
    }; {
        let admin_tokens = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let admin_id = jwt_claims(&admin_tokens.access_token)["sub"].clone();
        let email = "siti.rahmawati@dinsos.jakarta.go.id";
        let (_, password) = create_user(&app, &admin_tokens.access_token, email, "Siti Rahmawati").await;
        let tokens = login(&app, email, &password).await;
        let token = tokens.access_token.clone();
        // Control: the token as issued works.
        expect_json(Authed::new(&app, token.as_str()).get("/me").await, 200).await;

        let parts: Vec<&str> = token.split('.').collect();
        let (header_part, signature) = (parts[0], parts[2]);
        let claims = jwt_claims(&token);
        let mut as_admin = claims.clone();
        as_admin["sub"] = admin_id.clone();
        let mut with_role = claims.clone();
        with_role["role"] = json!("admin");
        with_role["system_role"] = json!("admin");
        let mut longer = claims.clone();
        longer["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400 * 365);

        let mut cases: Vec<(String, String)> = Vec::new();
        for (what, edited) in [("sub set to the admin", &as_admin), ("role claims added", &with_role), ("exp pushed a year", &longer)] {
            // The real signature over edited claims.
            cases.push((format!("{what}, original signature"), format!("{header_part}.{}.{signature}", b64(edited))));
        }
        for alg in ["none", "None", "NONE", "nOnE"] {
            let header = b64(&json!({ "alg": alg, "typ": "JWT" }));
            cases.push((format!("alg {alg}, no signature"), format!("{header}.{}.", b64(&as_admin))));
            cases.push((format!("alg {alg}, original signature"), format!("{header}.{}.{signature}", b64(&claims))));
        }
        // Algorithm confusion: an asymmetric algorithm named over an HMAC signature.
        for alg in ["RS256", "ES256", "PS256", "EdDSA"] {
            let header = b64(&json!({ "alg": alg, "typ": "JWT" }));
            cases.push((format!("header says {alg}"), format!("{header}.{}.{signature}", parts[1])));
        }
        // Key hints pointing elsewhere, with a token signed by the attacker's key.
        let mut hinted = Header::new(Algorithm::HS256);
        hinted.kid = Some("../../../../dev/null".into());
        hinted.jku = Some("http://127.0.0.1:9/keys.json".into());
        cases.push((
            "kid and jku of the attacker".into(),
            encode(&hinted, &as_admin, &EncodingKey::from_secret(b"attacker-key-attacker-key-attacker-key")).unwrap(),
        ));
        cases.push(("empty key".into(), encode(&Header::new(Algorithm::HS256), &as_admin, &EncodingKey::from_secret(b"")).unwrap()));
        cases.push(("signature stripped".into(), format!("{header_part}.{}.", parts[1])));
        cases.push(("four parts".into(), format!("{token}.{signature}")));
        for (what, forged) in &cases {
            refused(&app, &format!("Bearer {forged}"), what).await;
        }

        // The right token in the wrong place.
        for (what, authorization) in [
            ("Basic scheme", format!("Basic {token}")),
            ("Token scheme", format!("Token {token}")),
            ("no scheme", token.clone()),
            ("two tokens", format!("Bearer {token} {token}")),
            ("refresh token as bearer", format!("Bearer {}", tokens.refresh_token)),
        ] {
            refused(&app, &authorization, what).await;
        }
        let response = app.client.get(format!("{}?access_token={token}", api_url(&app, "/me"))).send().await.unwrap();
        assert_problem(response, 401, "unauthorized").await;
        let response = app.client.get(api_url(&app, "/me")).header("cookie", format!("access_token={token}")).send().await.unwrap();
        assert_problem(response, 401, "unauthorized").await;
        // An access token is no refresh token.
        let response = refresh_response(&app, &token).await;
        assert_eq!(response.status(), 401, "an access token used as a refresh token");
    }
);

backend_test!(
    async fn a_refresh_token_raced_from_many_clients_yields_at_most_one_session(app) {
        let tokens = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
        let attempts = (0..6).map(|_| refresh_response(&app, &tokens.refresh_token));
        let responses = futures_util::future::join_all(attempts).await;
        let mut winners = Vec::new();
        for response in responses {
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            match status {
                200 => winners.push(body["refresh_token"].as_str().unwrap().to_owned()),
                401 => {}
                other => panic!("a raced refresh answered {other}: {body}"),
            }
        }
        assert!(winners.len() <= 1, "one refresh token minted {} sessions", winners.len());
        // The replays revoked the session: whatever was minted is dead too.
        for winner in &winners {
            assert_eq!(
                refresh_response(&app, winner).await.status(),
                401,
                "reuse of the raced token must revoke the session it belongs to"
            );
        }
    }
);

backend_test!(
    async fn a_demoted_admin_loses_admin_rights_with_the_token_in_hand(app) {
        let admin = admin(&app).await;
        let email = "minji.kim@worldvision.or.kr";
        let body = json!({ "email": email, "display_name": "Kim Min-ji", "password": "rehabilitasi-sosial-2023", "system_role": "admin" });
        let user = expect_json(admin.post("/users", &body).await, 201).await;
        let second = Authed::new(&app, login(&app, email, "rehabilitasi-sosial-2023").await.access_token);
        let org = json!({ "name": "Dinas Sosial Kupang", "kind": "technical_unit" });
        expect_json(second.post("/organizations", &org).await, 201).await;

        expect_json(admin.patch(&format!("/users/{}", id_of(&user)), &json!({ "system_role": "member" })).await, 200)
            .await;
        let org = json!({ "name": "Dinas Sosial Ende", "kind": "technical_unit" });
        assert_problem(second.post("/organizations", &org).await, 403, "forbidden").await;
        let names: Vec<String> = followup_tests::plans::all_items(&admin, "/organizations")
            .await
            .iter()
            .map(|o| o["name"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert!(!names.contains(&"Dinas Sosial Ende".to_owned()), "the demoted admin created {names:?}");
    }
);
