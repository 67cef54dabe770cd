//! WeChat's server API over real HTTP. Errors never carry the URL (it holds the secret).

use std::time::Duration;

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{ServiceError, WechatFailure};

const MAX_ATTEMPTS: u32 = 3;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum WechatError {
    /// WeChat answered with `errcode != 0`.
    #[error("WeChat error {errcode}: {errmsg}")]
    Api { errcode: i64, errmsg: String },
    /// Timeout, a broken answer or a 5xx: the request may have reached WeChat (after bounded
    /// retries where retrying is safe). Never contains the URL.
    #[error("WeChat transport error: {0}")]
    Transport(String),
    /// No connection could be made: the request surely never reached WeChat.
    #[error("WeChat unreachable: {0}")]
    Unreachable(String),
    /// A 200 whose body is not what the call promises.
    #[error("WeChat answered garbage: {0}")]
    InvalidResponse(String),
}

impl WechatError {
    pub fn errcode(&self) -> Option<i64> {
        match self {
            Self::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// The reader's code was invalid, already used or expired: never retried.
    pub fn is_bad_code(&self) -> bool {
        matches!(self.errcode(), Some(40029 | 40163 | 42003))
    }

    /// The code was already spent: by us, when a double tap reached two instances.
    pub fn is_code_used(&self) -> bool {
        self.errcode() == Some(40163)
    }

    /// WeChat flagged the reader's account as high-risk.
    pub fn is_user_blocked(&self) -> bool {
        self.errcode() == Some(40226)
    }

    /// Our app is over WeChat's per-minute quota.
    pub fn is_rate_limited(&self) -> bool {
        self.errcode() == Some(45011)
    }

    /// The access token was invalid or expired.
    pub fn is_bad_access_token(&self) -> bool {
        matches!(self.errcode(), Some(40001 | 40014 | 42001))
    }

    /// WeChat refused our app id or secret: a configuration error, never the reader's.
    pub fn is_bad_credentials(&self) -> bool {
        matches!(self.errcode(), Some(40013 | 40125))
    }

    /// WeChat said it was busy (-1): the one errcode that asks to be sent again.
    pub fn is_busy(&self) -> bool {
        self.errcode() == Some(-1)
    }

    /// What the reader's request can do about this failure.
    pub fn failure(&self) -> WechatFailure {
        if self.is_bad_code() {
            WechatFailure::CodeInvalid
        } else if self.is_user_blocked() {
            WechatFailure::UserBlocked
        } else if self.is_rate_limited() {
            WechatFailure::RateLimited
        } else {
            WechatFailure::Unavailable
        }
    }

    /// Whether sending the request again is safe. A single-use code (login, phone number,
    /// web OAuth) is resent only when the first request surely never reached WeChat or WeChat
    /// said it was busy: after a timeout the code may already be spent, and a resend could
    /// only turn a slow success into a failure.
    fn is_retryable(&self, retry: Retry) -> bool {
        match self {
            Self::Unreachable(_) => true,
            Self::Transport(_) => retry == Retry::Idempotent,
            Self::Api { .. } => self.is_busy(),
            Self::InvalidResponse(_) => false,
        }
    }
}

/// The service's view of a WeChat failure: what kind (decided here, where the errcodes are
/// known) and the detail for the log. A wrong app id or secret is logged here, once, whichever
/// call met it.
impl From<WechatError> for ServiceError {
    fn from(err: WechatError) -> Self {
        if err.is_bad_credentials() {
            tracing::error!(
                errcode = err.errcode(),
                "WeChat rejected the app id/secret: check WECHAT_APP_ID and WECHAT_APP_SECRET"
            );
        }
        ServiceError::Wechat {
            failure: err.failure(),
            detail: err.to_string(),
        }
    }
}

/// What a call may resend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Asking again has no effect beyond the answer (tokens, user info).
    Idempotent,
    /// The request spends a single-use code.
    SingleUse,
}

/// The default bound on one call, retries included.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(6);

/// `jscode2session`'s answer.
#[derive(Clone, Deserialize)]
pub struct Code2Session {
    pub openid: String,
    pub session_key: SecretString,
    #[serde(default)]
    pub unionid: Option<String>,
}

impl std::fmt::Debug for Code2Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Code2Session")
            .field("openid", &"[REDACTED]")
            .field("session_key", &"[REDACTED]")
            .field("unionid", &self.unionid.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

#[derive(Clone, Deserialize)]
pub struct AccessToken {
    pub access_token: SecretString,
    pub expires_in: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PhoneInfo {
    #[serde(rename = "phoneNumber")]
    pub phone_number: String,
    #[serde(rename = "purePhoneNumber", default)]
    pub pure_phone_number: String,
    #[serde(rename = "countryCode", default)]
    pub country_code: String,
    pub watermark: Option<Watermark>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Watermark {
    pub appid: String,
    #[serde(default)]
    pub timestamp: i64,
}

/// The web OAuth token: only what the login reads (its refresh token is never used).
#[derive(Clone, Deserialize)]
pub struct OAuthToken {
    pub access_token: SecretString,
    pub openid: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WebUserInfo {
    pub openid: String,
    #[serde(default)]
    pub nickname: String,
    #[serde(default)]
    pub headimgurl: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

/// The client: timeouts, no redirects, bounded jittered retries on -1 / 5xx / timeouts.
#[derive(Clone)]
pub struct WechatClient {
    http: reqwest::Client,
    base: String,
    app_id: String,
    app_secret: SecretString,
    deadline: Duration,
}

impl std::fmt::Debug for WechatClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatClient")
            .field("base", &self.base)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl WechatClient {
    pub fn new(base: &str, app_id: &str, app_secret: SecretString) -> Result<Self, WechatError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("literature-backend")
            .build()
            .map_err(|e| WechatError::Transport(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            app_id: app_id.to_owned(),
            app_secret,
            deadline: DEFAULT_DEADLINE,
        })
    }

    /// Bounds every call, retries included (login answers within it whatever WeChat does).
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Mini-program login. Needs no access token.
    #[tracing::instrument(skip_all)]
    pub async fn code2session(&self, js_code: &str) -> Result<Code2Session, WechatError> {
        let query = [
            ("appid", self.app_id.as_str()),
            ("secret", self.app_secret.expose_secret()),
            ("js_code", js_code),
            ("grant_type", "authorization_code"),
        ];
        self.call(Retry::SingleUse, || {
            self.http.get(self.url("/sns/jscode2session")).query(&query)
        })
        .await
    }

    /// The stable global access token (same token on repeat calls while it is valid).
    #[tracing::instrument(skip_all)]
    pub async fn stable_token(&self) -> Result<AccessToken, WechatError> {
        let body = serde_json::json!({
            "grant_type": "client_credential",
            "appid": self.app_id,
            "secret": self.app_secret.expose_secret(),
            "force_refresh": false,
        });
        self.call(Retry::Idempotent, || {
            self.http
                .post(self.url("/cgi-bin/stable_token"))
                .json(&body)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    pub async fn phone_number(
        &self,
        access_token: &str,
        code: &str,
    ) -> Result<PhoneInfo, WechatError> {
        #[derive(Deserialize)]
        struct Answer {
            phone_info: PhoneInfo,
        }
        let body = serde_json::json!({ "code": code });
        let answer: Answer = self
            .call(Retry::SingleUse, || {
                self.http
                    .post(self.url("/wxa/business/getuserphonenumber"))
                    .query(&[("access_token", access_token)])
                    .json(&body)
            })
            .await?;
        Ok(answer.phone_info)
    }

    #[tracing::instrument(skip_all)]
    pub async fn oauth_access_token(&self, code: &str) -> Result<OAuthToken, WechatError> {
        let query = [
            ("appid", self.app_id.as_str()),
            ("secret", self.app_secret.expose_secret()),
            ("code", code),
            ("grant_type", "authorization_code"),
        ];
        self.call(Retry::SingleUse, || {
            self.http
                .get(self.url("/sns/oauth2/access_token"))
                .query(&query)
        })
        .await
    }

    #[tracing::instrument(skip_all)]
    pub async fn userinfo(
        &self,
        access_token: &str,
        openid: &str,
    ) -> Result<WebUserInfo, WechatError> {
        let query = [
            ("access_token", access_token),
            ("openid", openid),
            ("lang", "zh_CN"),
        ];
        self.call(Retry::Idempotent, || {
            self.http.get(self.url("/sns/userinfo")).query(&query)
        })
        .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends, retrying only what is safe to retry, within one deadline; parses WeChat's
    /// 200-with-errcode bodies.
    async fn call<T: DeserializeOwned>(
        &self,
        retry: Retry,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, WechatError> {
        tokio::time::timeout(self.deadline, self.attempts(retry, build))
            .await
            .unwrap_or_else(|_| {
                Err(WechatError::Transport(format!(
                    "no answer within {} ms",
                    self.deadline.as_millis()
                )))
            })
    }

    async fn attempts<T: DeserializeOwned>(
        &self,
        retry: Retry,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<T, WechatError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.once(build()).await {
                Err(e) if e.is_retryable(retry) && attempt < MAX_ATTEMPTS => {
                    let base = 100u64 << (attempt - 1);
                    let jitter = rand::rng().random_range(0..=base);
                    tracing::warn!(attempt, error = %e, "WeChat call failed, retrying");
                    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
                }
                other => return other,
            }
        }
    }

    /// One attempt, counted in the `wechat_calls_total` metric by API and outcome.
    async fn once<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<T, WechatError> {
        let (http, req) = req.build_split();
        let req = req.map_err(|e| WechatError::Transport(e.without_url().to_string()))?;
        let api = api_name(req.url().path());
        let result = self.attempt(http, req).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(WechatError::Api { .. }) => "errcode",
            Err(WechatError::Transport(_)) => "transport",
            Err(WechatError::Unreachable(_)) => "unreachable",
            Err(WechatError::InvalidResponse(_)) => "invalid",
        };
        crate::metrics::wechat_call(api, outcome);
        result
    }

    async fn attempt<T: DeserializeOwned>(
        &self,
        http: reqwest::Client,
        req: reqwest::Request,
    ) -> Result<T, WechatError> {
        let resp = http.execute(req).await.map_err(|e| {
            if e.is_connect() {
                WechatError::Unreachable(e.without_url().to_string())
            } else {
                WechatError::Transport(e.without_url().to_string())
            }
        })?;
        let status = resp.status();
        if status.is_server_error() {
            return Err(WechatError::Transport(format!("HTTP {status}")));
        }
        if !status.is_success() {
            return Err(WechatError::InvalidResponse(format!("HTTP {status}")));
        }
        // WeChat often says `text/plain` for JSON, so parse the text whatever the type.
        let text = resp
            .text()
            .await
            .map_err(|e| WechatError::Transport(e.without_url().to_string()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|_| WechatError::InvalidResponse("body is not JSON".into()))?;
        if let Some(errcode) = value.get("errcode").and_then(|c| c.as_i64())
            && errcode != 0
        {
            let errmsg = value
                .get("errmsg")
                .and_then(|m| m.as_str())
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            return Err(WechatError::Api { errcode, errmsg });
        }
        serde_json::from_value(value)
            .map_err(|_| WechatError::InvalidResponse("missing or mistyped fields".into()))
    }
}

/// A fixed label for a WeChat endpoint (metrics never carry a raw path).
fn api_name(path: &str) -> &'static str {
    match path.rsplit('/').next().unwrap_or("") {
        "jscode2session" => "code2session",
        "stable_token" => "stable_token",
        "getuserphonenumber" => "phone_number",
        "access_token" => "oauth_access_token",
        "userinfo" => "userinfo",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(errcode: i64) -> WechatError {
        WechatError::Api {
            errcode,
            errmsg: String::new(),
        }
    }

    #[test]
    fn errcodes_become_what_the_reader_can_do() {
        for code in [40029, 40163, 42003] {
            assert_eq!(api(code).failure(), WechatFailure::CodeInvalid, "{code}");
        }
        assert_eq!(api(40226).failure(), WechatFailure::UserBlocked);
        assert_eq!(api(45011).failure(), WechatFailure::RateLimited);
        for code in [-1, 40001, 40013, 40125] {
            assert_eq!(api(code).failure(), WechatFailure::Unavailable, "{code}");
        }
        let garbage = WechatError::InvalidResponse("x".into());
        assert_eq!(garbage.failure(), WechatFailure::Unavailable);
    }

    #[test]
    fn only_busy_or_unreached_single_use_calls_are_resent() {
        assert!(api(-1).is_retryable(Retry::SingleUse));
        assert!(!api(40029).is_retryable(Retry::Idempotent));
        assert!(WechatError::Unreachable("x".into()).is_retryable(Retry::SingleUse));
        let timeout = WechatError::Transport("x".into());
        assert!(!timeout.is_retryable(Retry::SingleUse) && timeout.is_retryable(Retry::Idempotent));
    }
}
