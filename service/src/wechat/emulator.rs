//! The built-in WeChat emulator: a real HTTP server speaking WeChat's server API, used in
//! development (no `WECHAT_APP_ID`) and in tests. It behaves like WeChat, not like a happy
//! path: errors come as HTTP 200 `text/plain` with an `errcode`, codes are single-use and
//! live 5 minutes, each login rotates the session key, tokens expire.
//!
//! Code convention (`js_code`, phone `code`, web OAuth `code`):
//! - `<user>` or `<user>.<anything>` is a valid code for the reader `<user>`: `alice.1` and
//!   `alice.2` are two codes of the same reader. A code works once (then 40163).
//! - A code that starts with `invalid` → 40029, `used` → 40163, `expired` → 42003,
//!   `blocked` → 40226 (high-risk user), `busy` → -1 (system busy) every time,
//!   `flaky` → -1 on its first use and success on a retry, `limited` → 45011,
//!   `garbage` → a body that is not JSON, `http500` → HTTP 500, `slow` → answers after 6 s.
//! - Readers whose name starts with `nounion` get no `unionid`.
//!
//! Control endpoints for tests and curl: `GET /_emulator/code?user=alice` mints a code (valid
//! 5 minutes), `GET /_emulator/stats`, `POST /_emulator/advance?secs=N` moves the emulator's
//! clock, `POST /_emulator/invalidate-token` kills the current access tokens.

// Handlers here return WeChat's answers, errors included, as ready responses.
#![allow(clippy::result_large_err)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::crypto::{random_token, sha256_hex};

const CODE_LIFE_SECS: i64 = 300;

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub app_id: String,
    pub app_secret: String,
    /// Every login returns this session key instead of a fresh one (for decryption tests).
    pub fixed_session_key: Option<String>,
    pub token_ttl_secs: i64,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            app_id: "wx_emulator_app".into(),
            app_secret: "emulator-app-secret".into(),
            fixed_session_key: None,
            token_ttl_secs: 7200,
        }
    }
}

/// Call counters, for tests.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EmulatorStats {
    pub code2session: u64,
    pub stable_token: u64,
    pub phone: u64,
    pub oauth_access_token: u64,
    pub userinfo: u64,
}

#[derive(Default)]
struct Inner {
    /// Seconds added to the real clock (`advance`).
    offset: i64,
    /// Code → minted at (emulator time); codes seen for the first time are minted then.
    minted: HashMap<String, i64>,
    used: HashSet<String>,
    flaky_seen: HashSet<String>,
    stable: Option<(String, i64)>,
    /// Every valid global token → expiry.
    tokens: HashMap<String, i64>,
    /// Web OAuth access token → (user, expiry).
    web_tokens: HashMap<String, (String, i64)>,
    stats: EmulatorStats,
}

struct Shared {
    config: EmulatorConfig,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A poisoned lock only means another request panicked; the data is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn now_secs(offset: i64) -> i64 {
    chrono::Utc::now().timestamp() + offset
}

/// A running emulator.
pub struct Emulator {
    pub base_url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Emulator {
    /// Starts the emulator on `addr` (use port 0 for any free port).
    pub async fn spawn(config: EmulatorConfig, addr: SocketAddr) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            config,
            inner: Mutex::new(Inner::default()),
        });
        let app = router(shared.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            base_url: format!("http://{local}"),
            shared,
            task,
        })
    }

    pub fn app_id(&self) -> &str {
        &self.shared.config.app_id
    }

    pub fn app_secret(&self) -> &str {
        &self.shared.config.app_secret
    }

    pub fn stats(&self) -> EmulatorStats {
        self.shared.lock().stats.clone()
    }

    /// Moves the emulator's clock forward.
    pub fn advance(&self, secs: i64) {
        self.shared.lock().offset += secs;
    }

    /// Kills every global access token, as if another party had refreshed it.
    pub fn invalidate_tokens(&self) {
        let mut g = self.shared.lock();
        g.tokens.clear();
        g.stable = None;
    }

    /// Mints a code for `user` valid for 5 minutes.
    pub fn mint_code(&self, user: &str) -> String {
        mint(&self.shared, user)
    }
}

fn mint(shared: &Shared, user: &str) -> String {
    let code = format!("{user}.{}", random_token(9));
    let mut g = shared.lock();
    let now = now_secs(g.offset);
    g.minted.insert(code.clone(), now);
    code
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/sns/jscode2session", get(code2session))
        .route("/cgi-bin/stable_token", post(stable_token))
        .route("/wxa/business/getuserphonenumber", post(phone_number))
        .route("/sns/oauth2/access_token", get(oauth_access_token))
        .route("/sns/userinfo", get(userinfo))
        .route("/_emulator/code", get(control_mint))
        .route("/_emulator/stats", get(control_stats))
        .route("/_emulator/advance", post(control_advance))
        .route("/_emulator/invalidate-token", post(control_invalidate))
        .with_state(shared)
}

/// WeChat's error style: HTTP 200, `text/plain`, a JSON body.
fn wx_error(errcode: i64, errmsg: &str) -> Response {
    wx_body(json!({ "errcode": errcode, "errmsg": format!("{errmsg} rid: emulator") }))
}

fn wx_body(value: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain")],
        value.to_string(),
    )
        .into_response()
}

fn digest(kind: &str, user: &str) -> String {
    sha256_hex(format!("{kind}:{user}").as_bytes())[..24].to_owned()
}

fn user_of(code: &str) -> &str {
    code.split('.').next().unwrap_or(code)
}

/// Applies the code convention and single use. `Ok(user)` for a good code.
async fn consume_code(shared: &Shared, code: &str) -> Result<String, Response> {
    if code.is_empty() {
        return Err(wx_error(41008, "missing code"));
    }
    let fixed = [
        ("invalid", 40029, "invalid code"),
        ("used", 40163, "code been used"),
        ("expired", 42003, "code expired"),
        ("blocked", 40226, "invalid user, high risk"),
        ("busy", -1, "system error"),
        ("limited", 45011, "api minute-quota reach limit"),
    ];
    for (prefix, errcode, msg) in fixed {
        if code.starts_with(prefix) {
            return Err(wx_error(errcode, msg));
        }
    }
    if code.starts_with("garbage") {
        return Err((StatusCode::OK, "<html>upstream proxy error</html>").into_response());
    }
    if code.starts_with("http500") {
        return Err((StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response());
    }
    if code.starts_with("slow") {
        tokio::time::sleep(Duration::from_secs(6)).await;
    }
    let mut g = shared.lock();
    if code.starts_with("flaky") && g.flaky_seen.insert(code.to_owned()) {
        return Err(wx_error(-1, "system error"));
    }
    let now = now_secs(g.offset);
    let minted = *g.minted.entry(code.to_owned()).or_insert(now);
    if g.used.contains(code) {
        return Err(wx_error(40163, "code been used"));
    }
    if now - minted > CODE_LIFE_SECS {
        return Err(wx_error(42003, "code expired"));
    }
    g.used.insert(code.to_owned());
    Ok(user_of(code).to_owned())
}

fn check_app(shared: &Shared, appid: Option<&str>, secret: &str) -> Result<(), Response> {
    if appid != Some(shared.config.app_id.as_str()) {
        return Err(wx_error(40013, "invalid appid"));
    }
    if secret != shared.config.app_secret {
        return Err(wx_error(40125, "invalid appsecret"));
    }
    Ok(())
}

type Params = Query<HashMap<String, String>>;

async fn code2session(State(s): State<Arc<Shared>>, Query(q): Params) -> Response {
    s.lock().stats.code2session += 1;
    if let Err(r) = check_app(
        &s,
        q.get("appid").map(String::as_str),
        q.get("secret").map_or("", |v| v),
    ) {
        return r;
    }
    if q.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return wx_error(40002, "invalid grant_type");
    }
    let user = match consume_code(&s, q.get("js_code").map_or("", |v| v)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let session_key = s.config.fixed_session_key.clone().unwrap_or_else(|| {
        use base64::Engine;
        let raw: [u8; 16] = rand::random();
        base64::engine::general_purpose::STANDARD.encode(raw)
    });
    let mut body =
        json!({ "openid": format!("om_{}", digest("mini", &user)), "session_key": session_key });
    if !user.starts_with("nounion") {
        body["unionid"] = json!(format!("un_{}", digest("union", &user)));
    }
    wx_body(body)
}

fn issue_token(s: &Shared, g: &mut Inner) -> (String, i64) {
    let token = format!("emu_at_{}", random_token(24));
    let expires = now_secs(g.offset) + s.config.token_ttl_secs;
    g.tokens.insert(token.clone(), expires);
    (token, expires)
}

async fn stable_token(State(s): State<Arc<Shared>>, body: String) -> Response {
    let Ok(req) = serde_json::from_str::<Value>(&body) else {
        return wx_error(47001, "data format error");
    };
    let mut g = s.lock();
    g.stats.stable_token += 1;
    if let Err(r) = check_app(
        &s,
        req["appid"].as_str(),
        req["secret"].as_str().unwrap_or(""),
    ) {
        return r;
    }
    let now = now_secs(g.offset);
    let force = req["force_refresh"].as_bool().unwrap_or(false);
    let current = g
        .stable
        .clone()
        .filter(|(t, exp)| *exp > now && g.tokens.contains_key(t));
    let (token, expires) = match current {
        Some(c) if !force => c,
        _ => {
            if let Some((old, _)) = g.stable.take() {
                g.tokens.remove(&old);
            }
            let issued = issue_token(&s, &mut g);
            g.stable = Some(issued.clone());
            issued
        }
    };
    wx_body(json!({ "access_token": token, "expires_in": expires - now }))
}

/// 40001 for an unknown token, 42001 for an expired one.
fn check_token(g: &Inner, token: &str) -> Result<(), Response> {
    match g.tokens.get(token) {
        None => Err(wx_error(
            40001,
            "invalid credential, access_token is invalid or not latest",
        )),
        Some(exp) if *exp <= now_secs(g.offset) => Err(wx_error(42001, "access_token expired")),
        Some(_) => Ok(()),
    }
}

async fn phone_number(State(s): State<Arc<Shared>>, Query(q): Params, body: String) -> Response {
    {
        let mut g = s.lock();
        g.stats.phone += 1;
        if let Err(r) = check_token(&g, q.get("access_token").map_or("", |v| v)) {
            return r;
        }
    }
    let code = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_default();
    let user = match consume_code(&s, &code).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let digits: String = digest("phone", &user)
        .bytes()
        .map(|b| char::from(b'0' + b % 10))
        .take(8)
        .collect();
    let number = format!("138{digits}");
    let now = now_secs(s.lock().offset);
    wx_body(json!({
        "errcode": 0, "errmsg": "ok",
        "phone_info": {
            "phoneNumber": number, "purePhoneNumber": number, "countryCode": "86",
            "watermark": { "timestamp": now, "appid": s.config.app_id }
        }
    }))
}

fn web_token_body(s: &Shared, g: &mut Inner, user: &str) -> Value {
    let token = format!("emu_web_{}", random_token(24));
    // Sent as WeChat sends it; nothing here uses it.
    let refresh = format!("emu_rt_{}", random_token(24));
    let exp = now_secs(g.offset) + s.config.token_ttl_secs;
    g.web_tokens.insert(token.clone(), (user.to_owned(), exp));
    let mut body = json!({
        "access_token": token, "expires_in": s.config.token_ttl_secs, "refresh_token": refresh,
        "openid": format!("ow_{}", digest("web", user)),
        "scope": if user.starts_with("base") { "snsapi_base" } else { "snsapi_userinfo" },
    });
    if !user.starts_with("nounion") {
        body["unionid"] = json!(format!("un_{}", digest("union", user)));
    }
    body
}

async fn oauth_access_token(State(s): State<Arc<Shared>>, Query(q): Params) -> Response {
    s.lock().stats.oauth_access_token += 1;
    if let Err(r) = check_app(
        &s,
        q.get("appid").map(String::as_str),
        q.get("secret").map_or("", |v| v),
    ) {
        return r;
    }
    let user = match consume_code(&s, q.get("code").map_or("", |v| v)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut g = s.lock();
    wx_body(web_token_body(&s, &mut g, &user))
}

fn web_user(g: &Inner, q: &HashMap<String, String>) -> Result<String, Response> {
    let token = q.get("access_token").map_or("", |v| v);
    match g.web_tokens.get(token) {
        None => Err(wx_error(
            40001,
            "invalid credential, access_token is invalid",
        )),
        Some((_, exp)) if *exp <= now_secs(g.offset) => {
            Err(wx_error(42001, "access_token expired"))
        }
        Some((user, _)) => {
            if q.get("openid") != Some(&format!("ow_{}", digest("web", user))) {
                return Err(wx_error(40003, "invalid openid"));
            }
            Ok(user.clone())
        }
    }
}

async fn userinfo(State(s): State<Arc<Shared>>, Query(q): Params) -> Response {
    let mut g = s.lock();
    g.stats.userinfo += 1;
    let user = match web_user(&g, &q) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let mut body = json!({
        "openid": format!("ow_{}", digest("web", &user)), "nickname": user, "sex": 0,
        "province": "", "city": "", "country": "CN",
        "headimgurl": format!("https://thirdwx.qlogo.cn/emulator/{user}.png"), "privilege": [],
    });
    if !user.starts_with("nounion") {
        body["unionid"] = json!(format!("un_{}", digest("union", &user)));
    }
    wx_body(body)
}

async fn control_mint(State(s): State<Arc<Shared>>, Query(q): Params) -> Response {
    let user = q.get("user").cloned().unwrap_or_else(|| "demo".into());
    Json(json!({ "code": mint(&s, &user) })).into_response()
}

async fn control_stats(State(s): State<Arc<Shared>>) -> Response {
    Json(s.lock().stats.clone()).into_response()
}

async fn control_advance(State(s): State<Arc<Shared>>, Query(q): Params) -> Response {
    let secs = q
        .get("secs")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    s.lock().offset += secs;
    StatusCode::NO_CONTENT.into_response()
}

async fn control_invalidate(State(s): State<Arc<Shared>>) -> Response {
    let mut g = s.lock();
    g.tokens.clear();
    g.stable = None;
    StatusCode::NO_CONTENT.into_response()
}
