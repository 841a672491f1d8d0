//! A loopback stand-in for NHI's cloud (`cloudicap.nhi.gov.tw:443`) as the outbound check
//! sees it: a TCP server that accepts and waits for the client to finish. It answers
//! nothing, since a connect is all the check asks; what it notes is whether the client
//! ended the connection with a reset instead of a FIN — the courtesy every server the
//! doctor touches is owed (the component dies of less).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use super::fragile::{Life, witness_close};
use super::loopback::Served;

pub struct CloudStandIn {
    served: Served,
    rude: Arc<Life>,
}

impl CloudStandIn {
    pub fn start() -> io::Result<CloudStandIn> {
        let rude = Arc::new(Life::default());
        let seen = rude.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        let served = Served::start("cloud-stand-in", listener, move |mut tcp| {
            let seen = seen.clone();
            async move { witness_close(&mut tcp, &seen, Duration::from_secs(30)).await }
        })?;
        Ok(CloudStandIn { served, rude })
    }

    pub fn port(&self) -> u16 {
        self.served.addr().port()
    }

    /// How a client was rude to it (a reset), if one was.
    pub fn rude_client(&self) -> Option<String> {
        self.rude.cause()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_reset_is_noted_and_a_fin_is_not() {
        let c = CloudStandIn::start().unwrap();
        let s = tokio::net::TcpStream::connect(("127.0.0.1", c.port()))
            .await
            .unwrap();
        crate::bridge::farewell::goodbye(s).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(c.rude_client(), None);
        let s = tokio::net::TcpStream::connect(("127.0.0.1", c.port()))
            .await
            .unwrap();
        // SO_LINGER 0: close sends RST, the rudest goodbye there is.
        s.set_zero_linger().unwrap();
        drop(s);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while c.rude_client().is_none() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(c.rude_client().is_some());
    }
}
