//! The daemon path reports bytes as the export streams, not once it is
//! over (issue 13 §6.8: "0 B of 853 MB" for the whole export). No Docker
//! needed: a fake Engine API answers on a unix socket, sends the first part
//! of a `docker save` stream, and holds the rest back until the load's
//! progress has moved (or a timeout says it never did).

#![cfg(unix)]

mod common;
use common::{docker_legacy, layer, Rng, T};

use stagediff::source::{load, LoadOptions, LoadProgress};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the fake daemon waits for progress before sending the rest.
const PATIENCE: Duration = Duration::from_secs(10);

/// Reads one request's head; `None` at the end of the connection.
fn request_path(r: &mut BufReader<UnixStream>) -> Option<String> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        if h == "\r\n" {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(path)
}

fn json(w: &mut UnixStream, body: &str) -> std::io::Result<()> {
    write!(
        w,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn chunk(w: &mut UnixStream, data: &[u8]) -> std::io::Result<()> {
    write!(w, "{:x}\r\n", data.len())?;
    w.write_all(data)?;
    w.write_all(b"\r\n")?;
    w.flush()
}

/// What the fake daemon saw of the load's progress once it had sent the
/// first part of the export and waited.
#[derive(Debug, Default)]
struct Seen {
    /// What the load said it was doing when the export was asked for.
    stage_asked: String,
    sent_first: u64,
    done_then: u64,
    waited: Duration,
}

/// Serves one connection: version, inspect, then the export in two parts.
fn serve(
    stream: UnixStream,
    archive: Arc<Vec<u8>>,
    first: usize,
    progress: Arc<LoadProgress>,
    seen: Arc<std::sync::Mutex<Seen>>,
) -> std::io::Result<()> {
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    while let Some(path) = request_path(&mut r) {
        if path.ends_with("/version") {
            json(&mut w, r#"{"ApiVersion":"1.43","Version":"24.0.0"}"#)?;
        } else if path.contains("/images/") && path.ends_with("/json") {
            json(
                &mut w,
                &format!(
                    r#"{{"Id":"sha256:{}","RepoTags":["fake:latest"],"Size":{}}}"#,
                    "a".repeat(64),
                    archive.len()
                ),
            )?;
        } else if path.contains("/images/") && path.contains("/get") {
            let stage_asked = progress.stage();
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n"
            )?;
            for part in archive[..first].chunks(64 * 1024) {
                chunk(&mut w, part)?;
            }
            // Hold the rest back until the reader has counted something.
            let t = Instant::now();
            while progress.done() == 0 && t.elapsed() < PATIENCE {
                std::thread::sleep(Duration::from_millis(5));
            }
            *seen.lock().unwrap() = Seen {
                stage_asked,
                sent_first: first as u64,
                done_then: progress.done(),
                waited: t.elapsed(),
            };
            for part in archive[first..].chunks(64 * 1024) {
                chunk(&mut w, part)?;
            }
            w.write_all(b"0\r\n\r\n")?;
            w.flush()?;
        } else {
            let body = format!(r#"{{"message":"no such endpoint {path}"}}"#);
            write!(
                w,
                "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )?;
        }
    }
    Ok(())
}

#[test]
fn the_daemon_export_reports_bytes_while_it_streams() {
    // A layer of 3 MB that does not compress away, so the stream is long.
    let mut rng = Rng(0x5eed);
    let big: Vec<u8> = (0..3 * 1024 * 1024).map(|_| rng.next() as u8).collect();
    let big: &'static [u8] = Box::leak(big.into_boxed_slice());
    let layers = vec![
        layer(&[T::Dir("data"), T::File("data/blob", big)]),
        layer(&[T::File("app", b"the-app")]),
    ];
    let archive = Arc::new(docker_legacy(&layers, "fake:latest"));
    let first = archive.len() / 4;

    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("docker.sock");
    let listener = UnixListener::bind(&sock).unwrap();
    std::env::set_var("DOCKER_HOST", format!("unix://{}", sock.display()));

    let progress = Arc::new(LoadProgress::default());
    let seen = Arc::new(std::sync::Mutex::new(Seen::default()));
    {
        let (archive, progress, seen) = (archive.clone(), progress.clone(), seen.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { break };
                let (archive, progress, seen) = (archive.clone(), progress.clone(), seen.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, archive, first, progress, seen);
                });
            }
        });
    }

    let image = load("docker://fake:latest", &LoadOptions::default(), &progress)
        .expect("the fake daemon's image loads");
    assert_eq!(image.layers.len(), 2);
    let seen = seen.lock().unwrap();
    assert!(
        seen.done_then > 0 && seen.done_then <= seen.sent_first,
        "progress moved only once the export was over: {seen:?}"
    );
    assert!(seen.waited < PATIENCE, "{seen:?}");
    // Before the first byte, the gauge's line says why nothing moves yet.
    assert_eq!(
        seen.stage_asked,
        "waiting for the daemon to start the export of fake:latest (it prepares it first)"
    );
    // The total came from the inspect, and every byte was counted.
    assert_eq!(progress.total(), archive.len() as u64);
    assert_eq!(progress.done(), archive.len() as u64);
}
