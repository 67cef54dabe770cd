//! Requests that read as sentences: `amy.put(path, body).expect(200).await` returns the body,
//! `app.anon().get(path).expect_error(404, "not_found").await` the error body. A caller is
//! who asks (anonymous, a reader, or the server root); a call is one request being built.

use reqwest::Method;
use serde_json::Value;

use super::{TestApp, error, json};

/// Who sends the requests: anonymous, a signed-in reader, or the server root (outside
/// `/api/v1`: probes, metrics, docs).
#[derive(Clone)]
pub struct Caller<'a> {
    app: &'a TestApp,
    token: Option<String>,
    under_api: bool,
}

impl TestApp {
    /// Requests under `/api/v1` without a token.
    pub fn anon(&self) -> Caller<'_> {
        Caller {
            app: self,
            token: None,
            under_api: true,
        }
    }

    /// Requests under `/api/v1` with `token` as the bearer.
    pub fn as_reader(&self, token: &str) -> Caller<'_> {
        Caller {
            token: Some(token.to_owned()),
            ..self.anon()
        }
    }

    /// Logs `name` in with a fresh code; requests as that reader.
    pub async fn reader(&self, name: &str) -> Caller<'_> {
        let token = self.token(name).await;
        self.as_reader(&token)
    }

    /// Requests to the server's own paths (`/healthz`, `/metrics`, `/api-docs/…`), no token.
    pub fn root(&self) -> Caller<'_> {
        Caller {
            under_api: false,
            ..self.anon()
        }
    }
}

impl Caller<'_> {
    /// The bearer token (a caller made by `as_reader` or `reader`).
    pub fn token(&self) -> &str {
        self.token
            .as_deref()
            .expect("an anonymous caller has no token")
    }

    pub fn get(&self, path: impl AsRef<str>) -> Call {
        self.request(Method::GET, path)
    }

    pub fn delete(&self, path: impl AsRef<str>) -> Call {
        self.request(Method::DELETE, path)
    }

    pub fn put(&self, path: impl AsRef<str>, body: Value) -> Call {
        self.request(Method::PUT, path).json(&body)
    }

    pub fn post(&self, path: impl AsRef<str>, body: Value) -> Call {
        self.request(Method::POST, path).json(&body)
    }

    pub fn patch(&self, path: impl AsRef<str>, body: Value) -> Call {
        self.request(Method::PATCH, path).json(&body)
    }

    /// Any method, no body (e.g. a POST or PUT sent without one).
    pub fn request(&self, method: Method, path: impl AsRef<str>) -> Call {
        let url = if self.under_api {
            self.app.api(path.as_ref())
        } else {
            self.app.url(path.as_ref())
        };
        let req = self.app.client.request(method, url);
        Call(match &self.token {
            Some(token) => req.bearer_auth(token),
            None => req,
        })
    }
}

/// One request being built; finish it with `expect`, `expect_error`, `status` or `send`.
#[must_use = "a call does nothing until it is awaited"]
pub struct Call(reqwest::RequestBuilder);

impl Call {
    pub fn header(self, name: &str, value: impl AsRef<str>) -> Self {
        Self(self.0.header(name, value.as_ref()))
    }

    pub fn query(self, pairs: &[(&str, &str)]) -> Self {
        Self(self.0.query(pairs))
    }

    pub fn bearer(self, token: &str) -> Self {
        Self(self.0.bearer_auth(token))
    }

    pub fn json(self, body: &Value) -> Self {
        Self(self.0.json(body))
    }

    /// A raw body (no content type is set).
    pub fn body(self, body: impl Into<reqwest::Body>) -> Self {
        Self(self.0.body(body))
    }

    /// The raw response, for a test that reads headers or bytes.
    pub async fn send(self) -> reqwest::Response {
        self.0.send().await.expect("request")
    }

    pub async fn status(self) -> u16 {
        self.send().await.status().as_u16()
    }

    /// Asserts the status; the JSON body (`Null` when empty).
    pub async fn expect(self, status: u16) -> Value {
        json(self.send().await, status).await
    }

    /// Asserts an error of the API's shape with this status and `code`; the error body.
    pub async fn expect_error(self, status: u16, code: &str) -> Value {
        error(self.send().await, status, code).await
    }

    /// Asserts a 422 `validation_failed` that names `field` in its details; the error body.
    pub async fn invalid(self, field: &str) -> Value {
        let err = self.expect_error(422, "validation_failed").await;
        assert!(err["details"][field].is_array(), "{field}: {err}");
        err
    }
}
