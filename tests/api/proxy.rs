//! A TCP proxy that a test can cut and restore, to make a real database unreachable.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct TcpProxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    /// A black hole: connections stay open (and new ones are accepted) but nothing passes.
    stalled: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy addr");
        let down = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicBool::new(false));
        let (cut, _) = watch::channel(0u64);
        let (down2, stalled2, cut2) = (down.clone(), stalled.clone(), cut.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if down2.load(Ordering::SeqCst) {
                    continue; // refused: dropped at once
                }
                let mut cut_rx = cut2.subscribe();
                let stalled3 = stalled2.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    let stall = async {
                        while !stalled3.load(Ordering::SeqCst) {
                            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        }
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = stall => {
                            // Hold both sockets, pass nothing, until cut.
                            let _ = cut_rx.changed().await;
                        }
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Self {
            addr,
            down,
            stalled,
            cut,
            task,
        }
    }

    /// A proxy in front of the database of `url`, and the same URL pointing through it.
    pub async fn in_front_of(url: &str) -> (Self, String) {
        let real = url::Url::parse(url).expect("database url");
        let target =
            tokio::net::lookup_host((real.host_str().expect("host"), real.port().unwrap_or(3306)))
                .await
                .expect("resolve database host")
                .next()
                .expect("an address");
        let proxy = Self::start(target).await;
        let mut via = real;
        via.set_host(Some("127.0.0.1")).expect("host");
        via.set_port(Some(proxy.addr.port())).expect("port");
        (proxy, via.to_string())
    }

    /// Closes every open connection and refuses new ones.
    pub fn go_down(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    pub fn come_back(&self) {
        self.down.store(false, Ordering::SeqCst);
        self.stalled.store(false, Ordering::SeqCst);
    }

    /// Turns the database into a black hole: every connection, open or new, stays open and
    /// nothing is answered (until `go_down` cuts them).
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
