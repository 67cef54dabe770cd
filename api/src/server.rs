//! Serving connections: hyper's HTTP/1 server with a header-read timeout, the client's socket
//! address for `ConnectInfo`, and a graceful drain (`main` serves with it, and so do the tests).
//!
//! Drain, on the shutdown signal: `/readyz` turns 503 at once; connections are still accepted
//! for `drain_delay` (for load balancers that poll `/readyz`); then the listener closes (new
//! connections are refused, so nginx retries them on another instance), idle keep-alive
//! connections close, and in-flight requests get `grace` to finish before they are cut.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::config::Config;

/// Shared with the handlers: whether this process is draining.
#[derive(Debug, Clone, Default)]
pub struct Lifecycle {
    draining: Arc<AtomicBool>,
}

impl Lifecycle {
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }
}

#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Time allowed for a request's headers (also the idle time of a keep-alive connection).
    pub header_read_timeout: Duration,
    /// After the signal, keep accepting this long while `/readyz` says 503.
    pub drain_delay: Duration,
    /// Then, how long in-flight requests may take to finish.
    pub grace: Duration,
}

impl ServeOptions {
    pub fn from_config(config: &Config) -> Self {
        Self {
            header_read_timeout: Duration::from_millis(config.header_read_timeout_ms),
            drain_delay: Duration::from_millis(config.shutdown_drain_delay_ms),
            grace: Duration::from_secs(config.shutdown_grace_secs),
        }
    }
}

/// How a drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Every connection finished within the grace period.
    Clean,
    /// The grace period ran out; the remaining connections were cut.
    GraceExpired,
}

/// Serves `app` on `listener` until `shutdown` completes, then drains (see the module docs).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    opts: ServeOptions,
    lifecycle: Lifecycle,
    shutdown: impl Future<Output = ()>,
) -> Drained {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(opts.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let accept = |accepted: std::io::Result<(TcpStream, SocketAddr)>| {
        let (stream, remote) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                return false;
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(remote));
            app.clone().oneshot(req)
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
        });
        true
    };

    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if !accept(accepted) {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            () = &mut shutdown => break,
        }
    }
    lifecycle.start_draining();
    tracing::info!(
        delay_ms = opts.drain_delay.as_millis() as u64,
        "draining: /readyz answers 503"
    );
    let delay = tokio::time::sleep(opts.drain_delay);
    tokio::pin!(delay);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if !accept(accepted) {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            () = &mut delay => break,
        }
    }
    drop(listener);
    tracing::info!(
        grace_secs = opts.grace.as_secs(),
        "stopped accepting; waiting for in-flight requests"
    );
    tokio::select! {
        () = graceful.shutdown() => {
            tracing::info!("every connection finished");
            Drained::Clean
        }
        () = tokio::time::sleep(opts.grace) => {
            tracing::warn!("grace period over: cutting the remaining connections");
            Drained::GraceExpired
        }
    }
}

/// Binds `addr`, for `main`.
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
