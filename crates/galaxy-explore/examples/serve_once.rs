//! Starts the explorer on a free loopback port, asks its API for the bound of the seed's test galaxy
//! (`POST /api/crb` with an empty scene: every field takes its default) and prints the answer.
//!
//!     cargo run --release -p galaxy-explore --example serve_once
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let served = galaxy_explore::serve("127.0.0.1", 0, None, |addr| {
            let _ = tx.send(addr);
        });
        if let Err(e) = served {
            eprintln!("server: {e}");
        }
    });
    let addr = rx.recv()?;
    println!("explorer listening on http://{addr}/");
    let mut stream = TcpStream::connect(addr)?;
    let body = "{}";
    write!(
        stream,
        "POST /api/crb HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let json = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    println!("POST /api/crb {{}} -> {json}");
    Ok(())
}
