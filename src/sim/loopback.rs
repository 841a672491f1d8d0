//! What every TLS fake shares: a server certificate from a generated set, and a listener
//! served on its own thread and runtime, so a test's or the demo's own runtime never
//! carries it and dropping the handle stops it.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

use super::certs::CertSet;

/// TLS 1.3 and 1.2 with the set's chain, as the component and NHI's servers offer.
pub fn tls_acceptor(certs: &CertSet) -> io::Result<tokio_rustls::TlsAcceptor> {
    let mut tls = rustls::ServerConfig::builder_with_provider(crate::bridge::tls::provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs.chain.clone(), certs.key.clone_key())
        .map_err(io::Error::other)?;
    // Two tickets after every TLS 1.3 handshake, as the component (OpenSSL 1.1.1) sends.
    tls.send_tls13_tickets = 2;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(tls)))
}

/// A running server; dropping it stops accepting and ends the connections still open.
pub struct Served {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Served {
    /// Serves `listener` on a thread named `<name>-<port>`, each connection in a task of its own.
    pub fn start<F, Fut>(
        name: &str,
        listener: std::net::TcpListener,
        handle: F,
    ) -> io::Result<Served>
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Served::start_until(name, listener, handle, std::future::pending())
    }

    /// As [`Served::start`], and the server stops by itself when `until` resolves (a fake
    /// component that died): the listener closes and the open connections end.
    pub fn start_until<F, Fut, U>(
        name: &str,
        listener: std::net::TcpListener,
        handle: F,
        until: U,
    ) -> io::Result<Served>
    where
        F: Fn(TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
        U: Future<Output = ()> + Send + 'static,
    {
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let label = name.replace('-', " ");
        let thread = std::thread::Builder::new()
            .name(format!("{name}-{}", addr.port()))
            .spawn(move || {
                rt.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(l) => accept_loop(l, handle, rx, until).await,
                        Err(e) => eprintln!("{label}: {e}"),
                    }
                });
                // Connections still open (a silent one, a slow card read) end here.
                rt.shutdown_timeout(Duration::from_millis(500));
            })?;
        Ok(Served {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop<F, Fut, U>(
    listener: TcpListener,
    handle: F,
    mut stop: oneshot::Receiver<()>,
    until: U,
) where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
    U: Future<Output = ()>,
{
    let mut until = std::pin::pin!(until);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = &mut until => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    tokio::spawn(handle(tcp));
                }
                // A failed accept (too many open files) is retried, not the end of the server.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn each_connection_is_handled_until_the_server_is_dropped() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let served = Served::start("test-echo", listener, |mut tcp: TcpStream| async move {
            let mut b = [0u8; 4];
            if tcp.read_exact(&mut b).await.is_ok() {
                let _ = tcp.write_all(&b).await;
            }
        })
        .unwrap();
        let addr = served.addr();
        for word in [b"ping", b"pong"] {
            let mut c = std::net::TcpStream::connect(addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            std::io::Write::write_all(&mut c, word).unwrap();
            let mut back = [0u8; 4];
            std::io::Read::read_exact(&mut c, &mut back).unwrap();
            assert_eq!(&back, word);
        }
    }
}
