//! WeChat login, tokens, extractors, account endpoints, the central access token, web OAuth.

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use service::wechat::emulator::EmulatorConfig;

use crate::support::{Backend, Call, Caller, TestApp, TestDb, error, spawn_emulator};

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

/// The access token of a login body.
fn access(login: &Value) -> &str {
    login["access_token"].as_str().unwrap()
}

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
    let login = app.login_with("una.1");
    let body = login.expect_error(502, "wechat_unavailable").await;
    assert!(!body.to_string().contains("not-the-secret"));
    let wrong_id = [
        ("WECHAT_API_BASE", base.as_str()),
        ("WECHAT_APP_ID", "wx_someone_else"),
        ("WECHAT_APP_SECRET", wechat.app_secret()),
    ];
    let app = TestApp::spawn_on(backend, testdb, wechat.clone(), &wrong_id).await;
    let login = app.login_with("una.2");
    login.expect_error(502, "wechat_unavailable").await;
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

    let me = app.as_reader(access(&first)).get("/me").expect(200).await;
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["reader_settings"]["font_size"], 18);
    assert_eq!(me["preferences"]["category_ids"], json!([]));
    assert_eq!(app.count("users").await, 2);
}

async fn wechat_errcodes_map_to_api_errors(app: TestApp) {
    let refused = async |code: &str, status: u16, error_code: &str| {
        app.login_with(code).expect_error(status, error_code).await;
    };
    refused("invalid.1", 401, "wechat_code_invalid").await;
    refused("used.1", 401, "wechat_code_invalid").await;
    refused("expired.1", 401, "wechat_code_invalid").await;
    refused("blocked.1", 403, "wechat_user_blocked").await;
    let resp = app.login_with("limited.1").send().await;
    assert!(resp.headers().contains_key("retry-after"));
    error(resp, 429, "rate_limited").await;
    // -1 is retried with backoff, a bounded number of times.
    let before = app.wechat.stats().code2session;
    refused("busy.1", 502, "wechat_unavailable").await;
    assert_eq!(app.wechat.stats().code2session - before, 3);
    // A transient -1 succeeds on the retry.
    app.login_with("flaky.1").expect(200).await;
    refused("garbage.1", 502, "wechat_unavailable").await;
    refused("http500.1", 502, "wechat_unavailable").await;
    // A rejected code is never retried.
    let before = app.wechat.stats().code2session;
    refused("invalid.2", 401, "wechat_code_invalid").await;
    assert_eq!(app.wechat.stats().code2session - before, 1);
    // Input validation comes first.
    refused("", 422, "validation_failed").await;
    refused(&"x".repeat(129), 422, "validation_failed").await;
    assert_eq!(app.count("users").await, 1);
}

async fn a_double_tap_gives_both_callers_a_session(app: TestApp) {
    let code = app.wechat.mint_code("dora");
    let (a, b) = futures::join!(
        app.login_with(&code).expect(200),
        app.login_with(&code).expect(200)
    );
    assert_eq!(a["user"]["id"], b["user"]["id"]);
    assert_ne!(a["refresh_token"], b["refresh_token"]);
    // And once more, later, still within the code's life.
    let c = app.login_with(&code).expect(200).await;
    assert_eq!(c["user"]["id"], a["user"]["id"]);
    assert_eq!(c["is_new_user"], false);
    let stats = app.wechat.stats();
    assert_eq!(stats.code2session, 1, "{stats:?}");
}

async fn parallel_first_logins_make_one_user(app: TestApp) {
    let logins = (0..50).map(|i| app.login_with(&format!("erin.{i}")).status());
    let statuses = futures::future::join_all(logins).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.count("users").await, 1);
}

async fn codes_expire_after_five_minutes(app: TestApp) {
    let code = app.wechat.mint_code("fay");
    app.wechat.advance(301);
    let late = app.login_with(&code);
    late.expect_error(401, "wechat_code_invalid").await;
    let fresh = app.wechat.mint_code("fay");
    app.login_with(&fresh).expect(200).await;
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
    let token = access(&login);
    app.as_reader(token).get("/me").expect(200).await;
    let parts: Vec<&str> = token.split('.').collect();
    let claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    let me_with = |token: &str| app.as_reader(token).get("/me");
    let refused = async |token: &str, code: &str| me_with(token).expect_error(401, code).await;

    // No token, a wrong scheme.
    let resp = app.anon().get("/me").send().await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    error(resp, 401, "missing_token").await;
    let scheme = format!("Token {token}");
    let wrong = app.anon().get("/me").header("authorization", scheme);
    wrong.expect_error(401, "invalid_token").await;
    // alg none.
    let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
    refused(&format!("{header}.{}.", parts[1]), "invalid_token").await;
    // Another algorithm with the right key.
    refused(&sign(&app, Algorithm::HS384, &claims), "invalid_token").await;
    // A tampered payload with the original signature.
    let mut other = claims.clone();
    other["sub"] = json!("999");
    let payload = b64.encode(other.to_string());
    refused(
        &format!("{}.{payload}.{}", parts[0], parts[2]),
        "invalid_token",
    )
    .await;
    // Properly signed but expired, wrong audience, wrong issuer, missing session id.
    let with = |key: &str, value: Option<Value>| {
        let mut c = claims.clone();
        match value {
            Some(v) => c[key] = v,
            None => {
                c.as_object_mut().unwrap().remove(key);
            }
        }
        sign(&app, Algorithm::HS256, &c)
    };
    let past = json!(chrono::Utc::now().timestamp() - 60);
    refused(&with("exp", Some(past)), "token_expired").await;
    refused(&with("aud", Some(json!("someone-else"))), "invalid_token").await;
    refused(&with("iss", Some(json!("evil"))), "invalid_token").await;
    refused(&with("sid", None), "invalid_token").await;
    // The control: the same signing path with untouched claims works.
    let control = sign(&app, Algorithm::HS256, &claims);
    me_with(&control).expect(200).await;
    // Refresh and access tokens are not interchangeable.
    refused(login["refresh_token"].as_str().unwrap(), "invalid_token").await;
    let swapped = app.refresh_with(&json!(token));
    swapped.expect_error(401, "refresh_token_invalid").await;
}

async fn refresh_rotates_with_a_grace_window(app: TestApp) {
    let login = app.login("hana").await;
    let rt = &login["refresh_token"];
    let (a, b) = futures::join!(
        app.refresh_with(rt).expect(200),
        app.refresh_with(rt).expect(200)
    );
    assert_ne!(a["refresh_token"], login["refresh_token"]);
    // Parallel refreshes with one token get the same new refresh token.
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    let c = app.refresh_with(rt).expect(200).await;
    assert_eq!(c["refresh_token"], a["refresh_token"]);
    app.as_reader(access(&a)).get("/me").expect(200).await;
    // The new one rotates on.
    let d = app.refresh_with(&a["refresh_token"]).expect(200).await;
    assert_ne!(d["refresh_token"], a["refresh_token"]);
    let nonsense = app.refresh_with(&json!("rt_nonsense"));
    nonsense.expect_error(401, "refresh_token_invalid").await;
    let empty = app.anon().post("/auth/refresh", json!({}));
    empty.expect_error(422, "validation_failed").await;
}

async fn refresh_reuse_revokes_the_family(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("REFRESH_GRACE_SECS", "0")]).await else {
        return;
    };
    let login = app.login("ivan").await;
    let other_device = app.login("ivan").await;
    let old = &login["refresh_token"];
    let next = app.refresh_with(old).expect(200).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let reused = app.refresh_with(old);
    reused.expect_error(401, "refresh_token_reused").await;
    // The whole family is gone: the successor and its access token too.
    let successor = app.refresh_with(&next["refresh_token"]);
    successor.expect_error(401, "refresh_token_invalid").await;
    let me = app.as_reader(access(&next)).get("/me");
    me.expect_error(401, "invalid_token").await;
    // Another login of the same reader is unaffected.
    let me = app.as_reader(access(&other_device)).get("/me");
    me.expect(200).await;
}

async fn logout_ends_tokens_at_once(app: TestApp) {
    let phone = app.login("jade").await;
    let tablet = app.as_reader(access(&app.login("jade").await));
    let laptop = app.as_reader(access(&app.login("jade").await));
    let logout = |token: &str| app.as_reader(token).request(Method::POST, "/auth/logout");
    logout(access(&phone)).expect(204).await;
    let me = app.as_reader(access(&phone)).get("/me");
    me.expect_error(401, "invalid_token").await;
    let refresh = app.refresh_with(&phone["refresh_token"]);
    refresh.expect_error(401, "refresh_token_invalid").await;
    tablet.get("/me").expect(200).await;
    // Logging out is authenticated.
    let anonymous = app.anon().request(Method::POST, "/auth/logout");
    anonymous.expect_error(401, "missing_token").await;
    let odd = tablet.post("/auth/logout", json!({ "all_devices": "yes" }));
    odd.expect_error(422, "validation_failed").await;
    let everywhere = json!({ "all_devices": true });
    tablet.post("/auth/logout", everywhere).expect(204).await;
    for device in [&tablet, &laptop] {
        device.get("/me").expect_error(401, "invalid_token").await;
    }
}

async fn profile_update_and_account_deletion(app: TestApp) {
    let kim = app.reader("kim").await;
    let body = json!({ "nickname": "小金", "avatar_url": "https://img.example.com/a.png" });
    let user = kim.patch("/me", body).expect(200).await;
    assert_eq!(user["nickname"], "小金");
    assert_eq!(user["avatar_url"], "https://img.example.com/a.png");
    let bad = json!({ "nickname": "", "avatar_url": "javascript:alert(1)" });
    let err = kim.patch("/me", bad).invalid("nickname").await;
    assert!(err["details"]["avatar_url"].is_array(), "{err}");

    // Deleting removes the reader and every session; a new login is a new reader.
    let lee = app.reader("lee").await;
    let id = user["id"].as_i64().unwrap();
    kim.delete("/me").expect(204).await;
    kim.get("/me").expect_error(401, "invalid_token").await;
    for table in ["auth_sessions", "login_codes"] {
        let rows = app.count(&format!("{table} WHERE user_id = {id}")).await;
        assert_eq!(rows, 0, "{table}");
    }
    let orphans = "refresh_tokens WHERE session_id NOT IN (SELECT id FROM auth_sessions)";
    assert_eq!(app.count(orphans).await, 0);
    assert_eq!(app.count("users").await, 1);
    lee.get("/me").expect(200).await;
    let again = app.login("kim").await;
    assert_eq!(again["is_new_user"], true);
    assert_ne!(again["user"]["id"], user["id"]);
}

/// `POST /me/phone` with a WeChat phone code.
fn phone(reader: &Caller<'_>, code: &str) -> Call {
    reader.post("/me/phone", json!({ "code": code }))
}

async fn phone_number_through_the_central_token(app: TestApp) {
    let mia = app.reader("mia").await;
    let code = app.wechat.mint_code("mia-phone");
    let number = phone(&mia, &code).expect(200).await;
    assert!(number["phone_number"].as_str().unwrap().starts_with("138"));
    assert_eq!(number["country_code"], "86");
    assert_eq!(mia.get("/me").expect(200).await["has_phone"], true);
    let invalid = phone(&mia, "invalid.p");
    invalid.expect_error(401, "wechat_code_invalid").await;
    let busy = phone(&mia, "busy.p");
    busy.expect_error(502, "wechat_unavailable").await;
    assert_eq!(app.wechat.stats().stable_token, 1);
}

async fn central_token_is_fetched_once_across_instances(backend: Backend) {
    let Some(testdb) = TestDb::create(backend).await.map(Arc::new) else {
        return;
    };
    let wechat = Arc::new(spawn_emulator(EmulatorConfig::default()).await);
    let one = TestApp::spawn_on(backend, testdb.clone(), wechat.clone(), &[]).await;
    let two = TestApp::spawn_on(backend, testdb, wechat.clone(), &[]).await;
    let (nia, oli) = (one.reader("nia").await, two.reader("oli").await);
    let calls = (0..50).map(|i| {
        let reader = if i % 2 == 0 { &nia } else { &oli };
        phone(reader, &wechat.mint_code(&format!("phone{i}"))).status()
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
    phone(&nia, &wechat.mint_code("after")).expect(200).await;
    assert_eq!(wechat.stats().stable_token, 2);
    phone(&oli, &wechat.mint_code("after2")).expect(200).await;
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
    let band = app.reader("band").await;
    let profile = |body: Value| band.post("/me/wechat-profile", body);
    let body = json!({ "encrypted_data": DATA, "iv": IV });
    let user = profile(body.clone()).expect(200).await;
    assert_eq!(user["nickname"], "Band");
    assert!(user.get("openid").is_none() && user.get("unionid").is_none());
    // A `+` turned into a space on the way still decrypts.
    let spaced = json!({ "encrypted_data": DATA.replace('+', " "), "iv": IV });
    profile(spaced).expect(200).await;
    let wrong_iv = json!({ "encrypted_data": DATA, "iv": "AAAAAAAAAAAAAAAAAAAAAA==" });
    let wrong = profile(wrong_iv);
    wrong.expect_error(422, "validation_failed").await;
    let short_iv = json!({ "encrypted_data": DATA, "iv": "c2hvcnQ=" });
    profile(short_iv).invalid("iv").await;

    // Same data for another app id: the watermark check refuses it.
    let other = Arc::new(
        spawn_emulator(EmulatorConfig {
            fixed_session_key: Some("tiihtNczf5v6AKRyjwEUhQ==".into()),
            ..Default::default()
        })
        .await,
    );
    let app2 = TestApp::spawn_on(backend, testdb.clone(), other, &[]).await;
    let band2 = app2.reader("band").await;
    let watermarked = band2.post("/me/wechat-profile", body);
    watermarked.invalid("encrypted_data").await;

    // The signature vector: checked (in constant time) before decryption.
    let wechat3 = Arc::new(spawn_emulator(demo("HyVFkGl5F5OQWJZZaNzBBg==")).await);
    let app3 = TestApp::spawn_on(backend, testdb, wechat3, &[]).await;
    let signer = app3.reader("signer").await;
    let signed = |sig: &str| {
        let body = json!({ "encrypted_data": DATA, "iv": IV, "raw_data": RAW, "signature": sig });
        signer.post("/me/wechat-profile", body)
    };
    let forged = signed("75e81ceda165f4ffa64f4068af58c64b8f54b88d");
    forged.invalid("signature").await;
    // The right signature passes; this session key then can't decrypt the demo data.
    let right = signed("75e81ceda165f4ffa64f4068af58c64b8f54b88c");
    let err = right.invalid("encrypted_data").await;
    assert!(err["details"].get("signature").is_none(), "{err}");
}

/// The `state` parameter of an authorize redirect.
fn state_of(resp: &reqwest::Response) -> String {
    let location = resp.headers()["location"].to_str().unwrap();
    let url = url::Url::parse(location).unwrap();
    let (_, state) = url.query_pairs().find(|(k, _)| k == "state").unwrap();
    state.into_owned()
}

async fn web_oauth_links_by_unionid(app: TestApp) {
    // Not configured: no redirect URI is allowed.
    let authorize = app.anon().get("/auth/wechat-web/authorize");
    let authorize = authorize.query(&[("redirect_uri", "https://m.example.com/cb")]);
    authorize.expect_error(422, "validation_failed").await;

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
    let authorize = |scope: &str| {
        let to = [
            ("redirect_uri", "https://m.example.com/cb"),
            ("scope", scope),
        ];
        web.anon().get("/auth/wechat-web/authorize").query(&to)
    };
    let resp = authorize("snsapi_userinfo").send().await;
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("https://open.weixin.qq.com/connect/oauth2/authorize?appid="),
        "{location}"
    );
    assert!(location.ends_with("#wechat_redirect") && location.contains("scope=snsapi_userinfo"));
    let state = state_of(&resp);
    let everything = authorize("snsapi_everything");
    everything.expect_error(422, "validation_failed").await;

    // Carol first used the mini-program; her web login is the same reader.
    let mini = app.login("carol").await;
    let callback = |code: &str, state: &str| {
        let query = [("code", code), ("state", state)];
        web.anon().get("/auth/wechat-web/callback").query(&query)
    };
    let code = web.wechat.mint_code("carol");
    let login = callback(&code, &state).expect(200).await;
    assert_eq!(login["user"]["id"], mini["user"]["id"]);
    assert_eq!(login["is_new_user"], false);
    assert_eq!(login["user"]["nickname"], "carol");
    web.as_reader(access(&login)).get("/me").expect(200).await;
    // A state works once; a forged one never.
    let code = web.wechat.mint_code("carol");
    let replayed = callback(&code, &state);
    replayed.expect_error(401, "state_invalid").await;
    let mut forged_state = state.clone();
    forged_state.replace_range(0..1, if state.starts_with('0') { "1" } else { "0" });
    let forged = callback(&code, &forged_state);
    forged.expect_error(401, "state_invalid").await;
    // A new WeChat account through the web is a new reader; a bad code is WeChat's 40029.
    let state = state_of(&authorize("snsapi_base").send().await);
    let bad_code = callback("invalid.w", &state);
    bad_code.expect_error(401, "wechat_code_invalid").await;
}

async fn login_is_rate_limited(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, &[("AUTH_RATE_LIMIT_PER_MINUTE", "3")]).await
    else {
        return;
    };
    for _ in 0..3 {
        app.login("pia").await;
    }
    let resp = app.login_with("pia.x").send().await;
    let retry_after: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    error(resp, 429, "rate_limited").await;
    let refresh = app.refresh_with(&json!("rt_x"));
    refresh.expect_error(429, "rate_limited").await;
    // Other endpoints are not limited by it.
    app.root().get("/healthz").expect(200).await;
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
    let quinn = app.as_reader(access(&login));
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
        bodies.push_str(&quinn.post(path, body).send().await.text().await.unwrap());
    }
    bodies.push_str(&quinn.get("/me").send().await.text().await.unwrap());
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
