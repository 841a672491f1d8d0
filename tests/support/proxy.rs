//! A stand-in for an agency's HTTP proxy on loopback: it tunnels `CONNECT` to the sites it
//! can reach (here, the stand-in eCPA page on 127.0.0.1:443) and answers `502` for a name
//! it cannot — as a real proxy does for `iccert.nhi.gov.tw`, whose public address is not
//! this computer. It records every `CONNECT` target, so a test sees where the browser went.

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

pub struct ConnectProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// Tunnels `host:port` targets found in `routes` (target → local address).
    pub fn start(routes: Vec<(String, String)>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                let routes = routes.clone();
                let log = log.clone();
                std::thread::spawn(move || serve(client, &routes, &log));
            }
        });
        ConnectProxy { port, seen }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `CONNECT` targets asked for so far, in order.
    pub fn targets(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(client: TcpStream, routes: &[(String, String)], log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) if line == "\r\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    log.lock().unwrap().push(target.to_string());
    let mut out = client;
    let upstream = routes
        .iter()
        .find(|(t, _)| method == "CONNECT" && t == target)
        .and_then(|(_, addr)| TcpStream::connect(addr).ok());
    let Some(up) = upstream else {
        let _ = out.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        let _ = out.shutdown(Shutdown::Write);
        return;
    };
    if out
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    // Bytes the client sent after its request head are in the reader's buffer.
    let buffered = reader.buffer().to_vec();
    let (mut up_w, mut up_r) = (up.try_clone().unwrap(), up);
    if up_w.write_all(&buffered).is_err() {
        return;
    }
    let mut client_r = reader.into_inner();
    let t = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_r, &mut up_w);
        let _ = up_w.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_r, &mut out);
    let _ = out.shutdown(Shutdown::Write);
    let _ = t.join();
}
