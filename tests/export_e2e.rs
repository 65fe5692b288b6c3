//! Runs what `stagediff plan --export` predicts. For every real pair in
//! `tests/images`, against the real dockerd: export the single-stage
//! image's minimal image, `docker load` it, run the app's smoke check on
//! both the single-stage and the minimal image — an HTTP request for the
//! servers, stdin or argv → stdout for the CLIs — and require the same
//! output and exit status; then compare the minimal image's size with the
//! hand-written multi-stage image's and print the table.
//!
//! Needs the images `scripts/build-test-images.sh` builds (in the docker
//! store and as `STAGEDIFF_FIXTURES/<app>-single.docker.tar`). Ignored by
//! default; `scripts/e2e.sh` runs it with `--include-ignored`.

mod common;

use common::fixtures;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The port both servers listen on (fixed in their code): the two images of
/// a pair run one after the other on the host network.
const PORT: u16 = 8080;

fn docker(args: &[&str]) -> std::process::Output {
    Command::new("docker").args(args).output().expect("docker")
}

/// What an image answered: output and exit status.
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    status: Option<i32>,
    out: String,
}

enum Smoke {
    /// A server on [`PORT`]: GET / once it answers.
    Http,
    /// A CLI: these bytes on stdin, these args.
    Cli {
        stdin: &'static [u8],
        args: &'static [&'static str],
    },
}

/// The node app prints its uptime; everything else must match exactly.
fn normalise(app: &str, s: String) -> String {
    if app != "nodeapp" {
        return s;
    }
    s.split(' ')
        .scan(false, |after_up, w| {
            let out = if *after_up { "<uptime>" } else { w };
            *after_up = w == "up";
            Some(out.to_string())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn http_get() -> Option<String> {
    use std::io::Read;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", PORT)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    // Status line and body; the headers carry a date.
    let status = text.lines().next()?.to_string();
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    Some(format!("{status}\n{body}"))
}

/// Removes a container when dropped.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = docker(&["rm", "-f", &self.0]);
    }
}

fn run(app: &str, image: &str, smoke: &Smoke) -> Answer {
    match smoke {
        Smoke::Http => {
            assert!(
                http_get().is_none(),
                "something already answers on port {PORT}: cannot test {image}"
            );
            let o = docker(&["run", "-d", "--network=host", image]);
            assert!(
                o.status.success(),
                "{image}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let c = Container(String::from_utf8_lossy(&o.stdout).trim().to_string());
            let start = Instant::now();
            let answer = loop {
                if let Some(a) = http_get() {
                    break Some(a);
                }
                let state = docker(&["inspect", "-f", "{{.State.Running}}", &c.0]);
                if String::from_utf8_lossy(&state.stdout).trim() == "false" {
                    break None;
                }
                if start.elapsed() > Duration::from_secs(60) {
                    break None;
                }
                std::thread::sleep(Duration::from_millis(100));
            };
            let logs = docker(&["logs", &c.0]);
            let out = match answer {
                Some(a) => a,
                None => format!(
                    "no answer; logs: {}{}",
                    String::from_utf8_lossy(&logs.stdout),
                    String::from_utf8_lossy(&logs.stderr)
                ),
            };
            drop(c);
            // The port is free again before the next image starts.
            let start = Instant::now();
            while http_get().is_some() && start.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(100));
            }
            Answer {
                status: Some(0),
                out,
            }
        }
        Smoke::Cli { stdin, args } => {
            let mut child = Command::new("docker")
                .args(["run", "--rm", "-i", "--network=none", image])
                .args(*args)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("docker run");
            child.stdin.take().unwrap().write_all(stdin).unwrap();
            let o = child.wait_with_output().unwrap();
            Answer {
                status: o.status.code(),
                out: normalise(
                    app,
                    format!(
                        "stdout: {}\nstderr: {}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    ),
                ),
            }
        }
    }
}

fn size_of(image: &str) -> u64 {
    let o = docker(&["image", "inspect", "-f", "{{.Size}}", image]);
    assert!(
        o.status.success(),
        "{image}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

struct Row {
    app: &'static str,
    single: u64,
    multi: u64,
    minimal: u64,
    files: u64,
    same: bool,
}

fn mb(b: u64) -> String {
    format!("{:.2} MB", b as f64 / 1e6)
}

#[test]
#[ignore = "needs dockerd and the real image pairs (scripts/e2e.sh)"]
fn every_pair_runs_from_its_minimal_image() {
    let apps: [(&str, Smoke); 6] = [
        ("goapp", Smoke::Http),
        ("pyapp", Smoke::Http),
        (
            "capp",
            Smoke::Cli {
                stdin: b"hello world\nsecond line\n",
                args: &[],
            },
        ),
        (
            "rustapp",
            Smoke::Cli {
                stdin: b"hello world\nsecond line\n",
                args: &[],
            },
        ),
        (
            "nodeapp",
            Smoke::Cli {
                stdin: b"",
                args: &[r#"{"greeting":"hi","__proto__":{"x":1}}"#],
            },
        ),
        // A stand-in file, not a program (tests/images/rpmapp): it runs in
        // neither image, and must fail the same way in both.
        (
            "rpmapp",
            Smoke::Cli {
                stdin: b"",
                args: &[],
            },
        ),
    ];
    let work = tempfile::tempdir().unwrap();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (app, smoke) in &apps {
        let single = format!("stagediff-test/{app}:single");
        let minimal = format!("smoke/{app}:min");
        let _ = docker(&["rmi", "-f", &minimal]);
        let out = work.path().join(format!("{app}.tar"));
        let source = fixtures().join(format!("{app}-single.docker.tar"));
        assert!(source.exists(), "{} is missing", source.display());
        let o = common::cli()
            .args(["plan", "--json"])
            .arg(format!("docker-archive:{}", source.display()))
            .arg("--export")
            .arg(&out)
            .args(["--tag", &minimal])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{app}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let files = doc["export"]["files"].as_u64().unwrap();
        let l = docker(&["load", "-i", out.to_str().unwrap()]);
        let loaded = String::from_utf8_lossy(&l.stdout);
        assert!(
            l.status.success() && loaded.contains(&format!("Loaded image: {minimal}")),
            "{app}: docker load: {loaded}{}",
            String::from_utf8_lossy(&l.stderr)
        );
        assert_eq!(
            doc["export"]["id"].as_str().unwrap(),
            String::from_utf8_lossy(
                &docker(&["image", "inspect", "-f", "{{.Id}}", &minimal]).stdout
            )
            .trim(),
            "{app}: the ID the report names is the image docker loaded"
        );
        let want = run(app, &single, smoke);
        let got = run(app, &minimal, smoke);
        let same = want == got;
        if !same {
            failures.push(format!(
                "{app}: the minimal image answers differently\n  single:  {want:?}\n  minimal: {got:?}"
            ));
        }
        if matches!(smoke, Smoke::Http) && !want.out.starts_with("HTTP/1.") {
            failures.push(format!(
                "{app}: the single-stage server did not answer: {want:?}"
            ));
        }
        rows.push(Row {
            app,
            single: size_of(&single),
            multi: size_of(&format!("stagediff-test/{app}:multi")),
            minimal: size_of(&minimal),
            files,
            same,
        });
    }
    let mut table = String::from(
        "\n| pair | single-stage | multi-stage (by hand) | minimal (plan --export) | files | runs the same |\n|---|---:|---:|---:|---:|---|\n",
    );
    for r in &rows {
        table.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.app,
            mb(r.single),
            mb(r.multi),
            mb(r.minimal),
            r.files,
            if r.same { "yes" } else { "NO" }
        ));
    }
    // Shown in the e2e log whether or not the test passes.
    let _ = std::io::stderr().write_all(table.as_bytes());
    for r in &rows {
        if r.minimal > r.multi {
            failures.push(format!(
                "{}: the minimal image ({}) is bigger than the multi-stage one ({})",
                r.app,
                mb(r.minimal),
                mb(r.multi)
            ));
        }
    }
    assert!(failures.is_empty(), "{}\n{table}", failures.join("\n"));
}
