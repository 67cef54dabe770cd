//! WeChat login, tokens, extractors, account endpoints, the central access token, web OAuth.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use service::wechat::emulator::EmulatorConfig;

use crate::support::{Backend, TestApp, TestDb, error, json, spawn_emulator};

crate::db_tests!(
    login_creates_the_reader_once_and_never_exposes_wechat_ids,
    wechat_errcodes_map_to_api_errors,
    a_double_tap_gives_both_callers_a_session,
    parallel_first_logins_make_one_user,
    codes_expire_after_five_minutes,
    forged_and_foreign_tokens_are_rejected,
    refresh_rotates_with_a_grace_window,
    logout_ends_tokens_at_once,
    profile_update_and_account_deletion,
    phone_number_through_the_central_token,
    web_oauth_links_by_unionid,
);

crate::backend_tests!(
    refresh_reuse_revokes_the_family,
    wechat_profile_decrypts_the_public_vector,
    central_token_is_fetched_once_across_instances,
    login_is_rate_limited,
    secrets_never_reach_bodies_or_logs,
    wrong_app_credentials_are_a_gateway_error,
);

/// 40013/40125 (our app id or secret is wrong): a configuration error, never the reader's
/// fault and never a leak of the secret.
async fn wrong_app_credentials_are_a_gateway_error(backend: Backend) {
    let Some(testdb) = TestDb::create(backend).await.map(Arc::new) else {
        return;
    };
    let wechat = Arc::new(spawn_emulator(EmulatorConfig::default()).await);
    let base = wechat.base_url.clone();
    let wrong_secret = [
        ("WECHAT_API_BASE", base.as_str()),
        ("WECHAT_APP_ID", wechat.app_id()),
        ("WECHAT_APP_SECRET", "not-the-secret"),
    ];
    let app = TestApp::spawn_on(backend, testdb.clone(), wechat.clone(), &wrong_secret).await;
    let body = error(
        app.post_json("/auth/login", &json!({ "code": "una.1" }))
            .await,
        502,
        "wechat_unavailable",
    )
    .await;
    assert!(!body.to_string().contains("not-the-secret"));
    let wrong_id = [
        ("WECHAT_API_BASE", base.as_str()),
        ("WECHAT_APP_ID", "wx_someone_else"),
        ("WECHAT_APP_SECRET", wechat.app_secret()),
    ];
    let app = TestApp::spawn_on(backend, testdb, wechat.clone(), &wrong_id).await;
    error(
        app.post_json("/auth/login", &json!({ "code": "una.2" }))
            .await,
        502,
        "wechat_unavailable",
    )
    .await;
    assert_eq!(wechat.stats().code2session, 2, "never retried");
}

async fn login_creates_the_reader_once_and_never_exposes_wechat_ids(app: TestApp) {
    let first = app.login("alice").await;
    assert_eq!(first["is_new_user"], true);
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 1800);
    assert!(first["refresh_expires_in"].as_i64().unwrap() > 29 * 24 * 3600);
    assert!(first["refresh_token"].as_str().unwrap().len() >= 43);
    let user = &first["user"];
    for key in [
        "id",
        "nickname",
        "avatar_url",
        "channel",
        "has_phone",
        "created_at",
    ] {
        assert!(user.get(key).is_some(), "user lacks {key}: {user}");
    }
    for key in ["openid", "unionid", "session_key", "session_key_enc"] {
        assert!(
            user.get(key).is_none() && first.get(key).is_none(),
            "{key} leaked"
        );
    }
    let again = app.login("alice").await;
    assert_eq!(again["is_new_user"], false);
    assert_eq!(again["user"]["id"], user["id"]);
    let bob = app.login("bob").await;
    assert_ne!(bob["user"]["id"], user["id"]);

    let token = first["access_token"].as_str().unwrap();
    let me = json(app.get_as(token, "/me").await, 200).await;
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["reader_settings"]["font_size"], 18);
    assert_eq!(me["preferences"]["category_ids"], json!([]));
    assert_eq!(app.count("users").await, 2);
}

async fn wechat_errcodes_map_to_api_errors(app: TestApp) {
    let app = &app;
    let login = |code: &str| {
        let body = json!({ "code": code });
        async move { app.post_json("/auth/login", &body).await }
    };
    error(login("invalid.1").await, 401, "wechat_code_invalid").await;
    error(login("used.1").await, 401, "wechat_code_invalid").await;
    error(login("expired.1").await, 401, "wechat_code_invalid").await;
    error(login("blocked.1").await, 403, "wechat_user_blocked").await;
    let resp = login("limited.1").await;
    assert!(resp.headers().contains_key("retry-after"));
    error(resp, 429, "rate_limited").await;
    // -1 is retried with backoff, a bounded number of times.
    let before = app.wechat.stats().code2session;
    error(login("busy.1").await, 502, "wechat_unavailable").await;
    assert_eq!(app.wechat.stats().code2session - before, 3);
    // A transient -1 succeeds on the retry.
    json(login("flaky.1").await, 200).await;
    error(login("garbage.1").await, 502, "wechat_unavailable").await;
    error(login("http500.1").await, 502, "wechat_unavailable").await;
    // A rejected code is never retried.
    let before = app.wechat.stats().code2session;
    error(login("invalid.2").await, 401, "wechat_code_invalid").await;
    assert_eq!(app.wechat.stats().code2session - before, 1);
    // Input validation comes first.
    error(login("").await, 422, "validation_failed").await;
    let long = "x".repeat(129);
    error(login(&long).await, 422, "validation_failed").await;
    assert_eq!(app.count("users").await, 1);
}

async fn a_double_tap_gives_both_callers_a_session(app: TestApp) {
    let code = app.wechat.mint_code("dora");
    let body = json!({ "code": code });
    let (a, b) = futures::join!(
        app.post_json("/auth/login", &body),
        app.post_json("/auth/login", &body)
    );
    let (a, b) = (json(a, 200).await, json(b, 200).await);
    assert_eq!(a["user"]["id"], b["user"]["id"]);
    assert_ne!(a["refresh_token"], b["refresh_token"]);
    // And once more, later, still within the code's life.
    let c = json(app.post_json("/auth/login", &body).await, 200).await;
    assert_eq!(c["user"]["id"], a["user"]["id"]);
    assert_eq!(c["is_new_user"], false);
    assert_eq!(
        app.wechat.stats().code2session,
        1,
        "{:?}",
        app.wechat.stats()
    );
}

async fn parallel_first_logins_make_one_user(app: TestApp) {
    let requests = (0..50).map(|i| {
        let body = json!({ "code": format!("erin.{i}") });
        let app = &app;
        async move { app.post_json("/auth/login", &body).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.count("users").await, 1);
}

async fn codes_expire_after_five_minutes(app: TestApp) {
    let code = app.wechat.mint_code("fay");
    app.wechat.advance(301);
    error(
        app.post_json("/auth/login", &json!({ "code": code })).await,
        401,
        "wechat_code_invalid",
    )
    .await;
    let fresh = app.wechat.mint_code("fay");
    json(
        app.post_json("/auth/login", &json!({ "code": fresh }))
            .await,
        200,
    )
    .await;
}

fn sign(app: &TestApp, alg: Algorithm, claims: &Value) -> String {
    use secrecy::ExposeSecret;
    let key = service::crypto::derive_key(app.config.jwt_secret.expose_secret().as_bytes(), "jwt");
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(&key)).unwrap()
}

async fn forged_and_foreign_tokens_are_rejected(app: TestApp) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let login = app.login("gus").await;
    let token = login["access_token"].as_str().unwrap();
    json(app.get_as(token, "/me").await, 200).await;
    let parts: Vec<&str> = token.split('.').collect();
    let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();

    // No token, a wrong scheme.
    let resp = app.get("/me").await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    error(resp, 401, "missing_token").await;
    let resp = app
        .client
        .get(app.api("/me"))
        .header("authorization", format!("Token {token}"))
        .send()
        .await
        .unwrap();
    error(resp, 401, "invalid_token").await;
    // alg none.
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    error(app.get_as(&none, "/me").await, 401, "invalid_token").await;
    // Another algorithm with the right key.
    error(
        app.get_as(&sign(&app, Algorithm::HS384, &claims), "/me")
            .await,
        401,
        "invalid_token",
    )
    .await;
    // A tampered payload with the original signature.
    let mut other = claims.clone();
    other["sub"] = json!("999");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(other.to_string()),
        parts[2]
    );
    error(app.get_as(&tampered, "/me").await, 401, "invalid_token").await;
    // Properly signed but expired, wrong audience, wrong issuer, missing session id.
    let mut expired = claims.clone();
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 60);
    error(
        app.get_as(&sign(&app, Algorithm::HS256, &expired), "/me")
            .await,
        401,
        "token_expired",
    )
    .await;
    let mut aud = claims.clone();
    aud["aud"] = json!("someone-else");
    error(
        app.get_as(&sign(&app, Algorithm::HS256, &aud), "/me").await,
        401,
        "invalid_token",
    )
    .await;
    let mut iss = claims.clone();
    iss["iss"] = json!("evil");
    error(
        app.get_as(&sign(&app, Algorithm::HS256, &iss), "/me").await,
        401,
        "invalid_token",
    )
    .await;
    let mut no_sid = claims.clone();
    no_sid.as_object_mut().unwrap().remove("sid");
    error(
        app.get_as(&sign(&app, Algorithm::HS256, &no_sid), "/me")
            .await,
        401,
        "invalid_token",
    )
    .await;
    // The control: the same signing path with untouched claims works.
    json(
        app.get_as(&sign(&app, Algorithm::HS256, &claims), "/me")
            .await,
        200,
    )
    .await;
    // Refresh and access tokens are not interchangeable.
    let refresh = login["refresh_token"].as_str().unwrap();
    error(app.get_as(refresh, "/me").await, 401, "invalid_token").await;
    let resp = app
        .post_json("/auth/refresh", &json!({ "refresh_token": token }))
        .await;
    error(resp, 401, "refresh_token_invalid").await;
}

async fn refresh_rotates_with_a_grace_window(app: TestApp) {
    let login = app.login("hana").await;
    let rt = login["refresh_token"].as_str().unwrap();
    let body = json!({ "refresh_token": rt });
    let (a, b) = futures::join!(
        app.post_json("/auth/refresh", &body),
        app.post_json("/auth/refresh", &body)
    );
    let (a, b) = (json(a, 200).await, json(b, 200).await);
    assert_ne!(a["refresh_token"], login["refresh_token"]);
    // Parallel refreshes with one token get the same new refresh token.
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    let c = json(app.post_json("/auth/refresh", &body).await, 200).await;
    assert_eq!(c["refresh_token"], a["refresh_token"]);
    json(
        app.get_as(a["access_token"].as_str().unwrap(), "/me").await,
        200,
    )
    .await;
    // The new one rotates on.
    let d = json(
        app.post_json(
            "/auth/refresh",
            &json!({ "refresh_token": a["refresh_token"] }),
        )
        .await,
        200,
    )
    .await;
    assert_ne!(d["refresh_token"], a["refresh_token"]);
    error(
        app.post_json("/auth/refresh", &json!({ "refresh_token": "rt_nonsense" }))
            .await,
        401,
        "refresh_token_invalid",
    )
    .await;
    error(
        app.post_json("/auth/refresh", &json!({})).await,
        422,
        "validation_failed",
    )
    .await;
}

async fn refresh_reuse_revokes_the_family(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("REFRESH_GRACE_SECS", "0")]).await else {
        return;
    };
    let login = app.login("ivan").await;
    let other_device = app.login("ivan").await;
    let old = json!({ "refresh_token": login["refresh_token"] });
    let next = json(app.post_json("/auth/refresh", &old).await, 200).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    error(
        app.post_json("/auth/refresh", &old).await,
        401,
        "refresh_token_reused",
    )
    .await;
    // The whole family is gone: the successor and its access token too.
    let successor = json!({ "refresh_token": next["refresh_token"] });
    error(
        app.post_json("/auth/refresh", &successor).await,
        401,
        "refresh_token_invalid",
    )
    .await;
    error(
        app.get_as(next["access_token"].as_str().unwrap(), "/me")
            .await,
        401,
        "invalid_token",
    )
    .await;
    // Another login of the same reader is unaffected.
    json(
        app.get_as(other_device["access_token"].as_str().unwrap(), "/me")
            .await,
        200,
    )
    .await;
}

async fn logout_ends_tokens_at_once(app: TestApp) {
    let phone = app.login("jade").await;
    let tablet = app.login("jade").await;
    let laptop = app.login("jade").await;
    let at = |l: &Value| l["access_token"].as_str().unwrap().to_owned();
    let resp = app
        .client
        .post(app.api("/auth/logout"))
        .bearer_auth(at(&phone))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    error(app.get_as(&at(&phone), "/me").await, 401, "invalid_token").await;
    let rt = json!({ "refresh_token": phone["refresh_token"] });
    error(
        app.post_json("/auth/refresh", &rt).await,
        401,
        "refresh_token_invalid",
    )
    .await;
    json(app.get_as(&at(&tablet), "/me").await, 200).await;
    // Logging out is authenticated.
    error(
        app.client
            .post(app.api("/auth/logout"))
            .send()
            .await
            .unwrap(),
        401,
        "missing_token",
    )
    .await;
    error(
        app.post_as(
            &at(&tablet),
            "/auth/logout",
            &json!({ "all_devices": "yes" }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let resp = app
        .post_as(
            &at(&tablet),
            "/auth/logout",
            &json!({ "all_devices": true }),
        )
        .await;
    assert_eq!(resp.status(), 204);
    error(app.get_as(&at(&tablet), "/me").await, 401, "invalid_token").await;
    error(app.get_as(&at(&laptop), "/me").await, 401, "invalid_token").await;
}

async fn profile_update_and_account_deletion(app: TestApp) {
    let token = app.token("kim").await;
    let body = json!({ "nickname": "小金", "avatar_url": "https://img.example.com/a.png" });
    let resp = app
        .client
        .patch(app.api("/me"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let user = json(resp, 200).await;
    assert_eq!(user["nickname"], "小金");
    assert_eq!(user["avatar_url"], "https://img.example.com/a.png");
    let bad = json!({ "nickname": "", "avatar_url": "javascript:alert(1)" });
    let resp = app
        .client
        .patch(app.api("/me"))
        .bearer_auth(&token)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let err = error(resp, 422, "validation_failed").await;
    assert!(
        err["details"]["nickname"].is_array() && err["details"]["avatar_url"].is_array(),
        "{err}"
    );

    // Deleting removes the reader and every session; a new login is a new reader.
    let other = app.token("lee").await;
    let id = user["id"].as_i64().unwrap();
    let resp = app
        .client
        .delete(app.api("/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    error(app.get_as(&token, "/me").await, 401, "invalid_token").await;
    for table in ["auth_sessions", "login_codes"] {
        assert_eq!(
            app.count(&format!("{table} WHERE user_id = {id}")).await,
            0,
            "{table}"
        );
    }
    assert_eq!(
        app.count("refresh_tokens WHERE session_id NOT IN (SELECT id FROM auth_sessions)")
            .await,
        0
    );
    assert_eq!(app.count("users").await, 1);
    json(app.get_as(&other, "/me").await, 200).await;
    let again = app.login("kim").await;
    assert_eq!(again["is_new_user"], true);
    assert_ne!(again["user"]["id"], user["id"]);
}

async fn phone_number_through_the_central_token(app: TestApp) {
    let token = app.token("mia").await;
    let code = app.wechat.mint_code("mia-phone");
    let phone = json(
        app.post_as(&token, "/me/phone", &json!({ "code": code }))
            .await,
        200,
    )
    .await;
    assert!(phone["phone_number"].as_str().unwrap().starts_with("138"));
    assert_eq!(phone["country_code"], "86");
    let me = json(app.get_as(&token, "/me").await, 200).await;
    assert_eq!(me["has_phone"], true);
    error(
        app.post_as(&token, "/me/phone", &json!({ "code": "invalid.p" }))
            .await,
        401,
        "wechat_code_invalid",
    )
    .await;
    error(
        app.post_as(&token, "/me/phone", &json!({ "code": "busy.p" }))
            .await,
        502,
        "wechat_unavailable",
    )
    .await;
    assert_eq!(app.wechat.stats().stable_token, 1);
}

async fn central_token_is_fetched_once_across_instances(backend: Backend) {
    let Some(testdb) = TestDb::create(backend).await.map(Arc::new) else {
        return;
    };
    let wechat = Arc::new(spawn_emulator(EmulatorConfig::default()).await);
    let one = TestApp::spawn_on(backend, testdb.clone(), wechat.clone(), &[]).await;
    let two = TestApp::spawn_on(backend, testdb, wechat.clone(), &[]).await;
    let (t1, t2) = (one.token("nia").await, two.token("oli").await);
    let calls = (0..50).map(|i| {
        let (app, token) = if i % 2 == 0 { (&one, &t1) } else { (&two, &t2) };
        let code = wechat.mint_code(&format!("phone{i}"));
        async move {
            app.post_as(token, "/me/phone", &json!({ "code": code }))
                .await
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(calls).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(
        wechat.stats().stable_token,
        1,
        "50 callers, 2 instances: one fetch"
    );

    // A token killed behind our back costs exactly one refetch.
    wechat.invalidate_tokens();
    let code = wechat.mint_code("after");
    json(
        one.post_as(&t1, "/me/phone", &json!({ "code": code }))
            .await,
        200,
    )
    .await;
    assert_eq!(wechat.stats().stable_token, 2);
    let code = wechat.mint_code("after2");
    json(
        two.post_as(&t2, "/me/phone", &json!({ "code": code }))
            .await,
        200,
    )
    .await;
    assert_eq!(wechat.stats().stable_token, 2);
}

async fn wechat_profile_decrypts_the_public_vector(backend: Backend) {
    const DATA: &str = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==";
    const IV: &str = "r7BXXKkLb8qrSNn05n0qiA==";
    const RAW: &str = r#"{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}"#;
    let Some(testdb) = TestDb::create(backend).await.map(Arc::new) else {
        return;
    };
    let demo = |key: &str| EmulatorConfig {
        app_id: "wx4f4bc4dec97d474b".into(),
        fixed_session_key: Some(key.into()),
        ..Default::default()
    };
    let wechat = Arc::new(spawn_emulator(demo("tiihtNczf5v6AKRyjwEUhQ==")).await);
    let app = TestApp::spawn_on(backend, testdb.clone(), wechat, &[]).await;
    let token = app.token("band").await;
    let body = json!({ "encrypted_data": DATA, "iv": IV });
    let user = json(app.post_as(&token, "/me/wechat-profile", &body).await, 200).await;
    assert_eq!(user["nickname"], "Band");
    assert!(user.get("openid").is_none() && user.get("unionid").is_none());
    // A `+` turned into a space on the way still decrypts.
    let spaced = json!({ "encrypted_data": DATA.replace('+', " "), "iv": IV });
    json(
        app.post_as(&token, "/me/wechat-profile", &spaced).await,
        200,
    )
    .await;
    let wrong_iv = json!({ "encrypted_data": DATA, "iv": "AAAAAAAAAAAAAAAAAAAAAA==" });
    error(
        app.post_as(&token, "/me/wechat-profile", &wrong_iv).await,
        422,
        "validation_failed",
    )
    .await;
    let short_iv = json!({ "encrypted_data": DATA, "iv": "c2hvcnQ=" });
    let err = error(
        app.post_as(&token, "/me/wechat-profile", &short_iv).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(err["details"]["iv"].is_array(), "{err}");

    // Same data for another app id: the watermark check refuses it.
    let other = Arc::new(
        spawn_emulator(EmulatorConfig {
            fixed_session_key: Some("tiihtNczf5v6AKRyjwEUhQ==".into()),
            ..Default::default()
        })
        .await,
    );
    let app2 = TestApp::spawn_on(backend, testdb.clone(), other, &[]).await;
    let token2 = app2.token("band").await;
    let err = error(
        app2.post_as(&token2, "/me/wechat-profile", &body).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(err["details"]["encrypted_data"].is_array(), "{err}");

    // The signature vector: checked (in constant time) before decryption.
    let wechat3 = Arc::new(spawn_emulator(demo("HyVFkGl5F5OQWJZZaNzBBg==")).await);
    let app3 = TestApp::spawn_on(backend, testdb, wechat3, &[]).await;
    let token3 = app3.token("signer").await;
    let signed =
        |sig: &str| json!({ "encrypted_data": DATA, "iv": IV, "raw_data": RAW, "signature": sig });
    let err = error(
        app3.post_as(
            &token3,
            "/me/wechat-profile",
            &signed("75e81ceda165f4ffa64f4068af58c64b8f54b88d"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(err["details"]["signature"].is_array(), "{err}");
    // The right signature passes; this session key then can't decrypt the demo data.
    let err = error(
        app3.post_as(
            &token3,
            "/me/wechat-profile",
            &signed("75e81ceda165f4ffa64f4068af58c64b8f54b88c"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        err["details"]["encrypted_data"].is_array() && err["details"].get("signature").is_none(),
        "{err}"
    );
}

async fn web_oauth_links_by_unionid(app: TestApp) {
    // Not configured: no redirect URI is allowed.
    let resp = app
        .client
        .get(app.api("/auth/wechat-web/authorize"))
        .query(&[("redirect_uri", "https://m.example.com/cb")])
        .send()
        .await
        .unwrap();
    error(resp, 422, "validation_failed").await;

    let web = TestApp::spawn_on(
        app.backend,
        app.test_db(),
        app.wechat.clone(),
        &[(
            "WECHAT_WEB_REDIRECT_URIS",
            "https://m.example.com/cb, https://m.example.com/other",
        )],
    )
    .await;
    let authorize = |scope: &'static str| {
        web.client
            .get(web.api("/auth/wechat-web/authorize"))
            .query(&[
                ("redirect_uri", "https://m.example.com/cb"),
                ("scope", scope),
            ])
            .send()
    };
    let resp = authorize("snsapi_userinfo").await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize?appid="),
        "{location}"
    );
    assert!(location.ends_with("#wechat_redirect") && location.contains("scope=snsapi_userinfo"));
    let url = url::Url::parse(&location).unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    error(
        authorize("snsapi_everything").await.unwrap(),
        422,
        "validation_failed",
    )
    .await;

    // Carol first used the mini-program; her web login is the same reader.
    let mini = app.login("carol").await;
    let callback = |code: String, state: String| {
        web.client
            .get(web.api("/auth/wechat-web/callback"))
            .query(&[("code", code), ("state", state)])
            .send()
    };
    let code = web.wechat.mint_code("carol");
    let login = json(callback(code, state.clone()).await.unwrap(), 200).await;
    assert_eq!(login["user"]["id"], mini["user"]["id"]);
    assert_eq!(login["is_new_user"], false);
    assert_eq!(login["user"]["nickname"], "carol");
    json(
        web.get_as(login["access_token"].as_str().unwrap(), "/me")
            .await,
        200,
    )
    .await;
    // A state works once; a forged one never.
    let code = web.wechat.mint_code("carol");
    error(
        callback(code.clone(), state.clone()).await.unwrap(),
        401,
        "state_invalid",
    )
    .await;
    let mut forged = state.clone();
    forged.replace_range(0..1, if state.starts_with('0') { "1" } else { "0" });
    error(callback(code, forged).await.unwrap(), 401, "state_invalid").await;
    // A new WeChat account through the web is a new reader; a bad code is WeChat's 40029.
    let resp = authorize("snsapi_base").await.unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    let state = url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    error(
        callback("invalid.w".into(), state.clone()).await.unwrap(),
        401,
        "wechat_code_invalid",
    )
    .await;
}

async fn login_is_rate_limited(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("AUTH_RATE_LIMIT_PER_MINUTE", "3")]).await
    else {
        return;
    };
    for _ in 0..3 {
        app.login("pia").await;
    }
    let resp = app
        .post_json("/auth/login", &json!({ "code": "pia.x" }))
        .await;
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    error(resp, 429, "rate_limited").await;
    let resp = app
        .post_json("/auth/refresh", &json!({ "refresh_token": "rt_x" }))
        .await;
    error(resp, 429, "rate_limited").await;
    // Other endpoints are not limited by it.
    json(
        app.client.get(app.url("/healthz")).send().await.unwrap(),
        200,
    )
    .await;
}

async fn secrets_never_reach_bodies_or_logs(backend: Backend) {
    let Some(testdb) = TestDb::create(backend).await.map(Arc::new) else {
        return;
    };
    let secret = format!("app-secret-{}", uuid::Uuid::new_v4().simple());
    let session_key = "U2VjcmV0U2Vzc2lvbktleQ==";
    let wechat = Arc::new(
        spawn_emulator(EmulatorConfig {
            app_secret: secret.clone(),
            fixed_session_key: Some(session_key.into()),
            ..Default::default()
        })
        .await,
    );
    let app = TestApp::spawn_on(backend, testdb, wechat.clone(), &[]).await;
    let name = format!("quinn{}", uuid::Uuid::new_v4().simple());
    let mut bodies = String::new();
    let login = app.login(&name).await;
    bodies.push_str(&login.to_string());
    let token = login["access_token"].as_str().unwrap();
    for (path, body) in [
        ("/auth/login", json!({ "code": "invalid.z" })),
        ("/auth/login", json!({ "code": "busy.z" })),
        ("/auth/login", json!({ "code": "garbage.z" })),
        ("/me/phone", json!({ "code": format!("{name}.p") })),
        (
            "/me/wechat-profile",
            json!({ "encrypted_data": "AAAAAAAAAAAAAAAAAAAAAA==", "iv": "AAAAAAAAAAAAAAAAAAAAAA==" }),
        ),
    ] {
        bodies.push_str(&app.post_as(token, path, &body).await.text().await.unwrap());
    }
    bodies.push_str(&app.get_as(token, "/me").await.text().await.unwrap());
    // The openid the emulator gives this reader, recovered from the database.
    let row: Value = {
        use sea_orm::EntityTrait;
        let u = entity::user::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        json!({ "openid": u.openid, "unionid": u.unionid, "enc": u.session_key_enc })
    };
    let openid = row["openid"].as_str().unwrap().to_owned();
    let unionid = row["unionid"].as_str().unwrap().to_owned();
    assert!(
        !row["enc"].as_str().unwrap().contains(session_key),
        "session key stored in clear"
    );
    let logs = crate::support::captured_logs();
    assert!(!logs.is_empty(), "no logs were captured");
    assert!(
        logs.contains("/api/v1/auth/login"),
        "request spans are logged"
    );
    for (what, value) in [
        ("app secret", secret.as_str()),
        ("session_key", session_key),
        ("openid", &openid),
        ("unionid", &unionid),
    ] {
        assert!(!bodies.contains(value), "{what} in a response body");
        assert!(!logs.contains(value), "{what} in the logs");
    }
}
