//! A TCP proxy a test controls, in front of a real server (PostgreSQL): `cut` drops every
//! connection through it and refuses new ones until `restore`, as a network partition would,
//! without touching the machine's own server.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

pub(crate) struct TcpProxy {
    pub addr: SocketAddr,
    blocked: Arc<AtomicBool>,
    /// Cancelled to drop the connections of the present generation.
    generation: Arc<Mutex<CancellationToken>>,
    stop: CancellationToken,
}

impl TcpProxy {
    pub(crate) async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port for the proxy");
        let addr = listener.local_addr().unwrap();
        let blocked = Arc::new(AtomicBool::new(false));
        let generation = Arc::new(Mutex::new(CancellationToken::new()));
        let stop = CancellationToken::new();
        let (b, g, s) = (blocked.clone(), generation.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    () = s.cancelled() => return,
                };
                let Ok((client, _)) = accepted else { continue };
                if b.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let cut = g.lock().unwrap().clone();
                tokio::spawn(relay(client, upstream, cut));
            }
        });
        Self { addr, blocked, generation, stop }
    }

    /// Drops every connection and refuses new ones.
    pub(crate) fn cut(&self) {
        self.blocked.store(true, Ordering::SeqCst);
        let mut generation = self.generation.lock().unwrap();
        generation.cancel();
        *generation = CancellationToken::new();
    }

    pub(crate) fn restore(&self) {
        self.blocked.store(false, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.stop.cancel();
        self.generation.lock().unwrap().cancel();
    }
}

async fn relay(mut client: TcpStream, upstream: SocketAddr, cut: CancellationToken) {
    let Ok(mut server) = TcpStream::connect(upstream).await else { return };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
        () = cut.cancelled() => {}
    }
}
