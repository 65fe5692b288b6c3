//! The Docker (or podman) daemon, through bollard: the image is exported as
//! the `docker save` tar stream and parsed while it streams — no temp file.

use crate::error::{Error, ErrorKind};
use crate::image::{Image, SourceKind};
use crate::source::{archive, LoadOptions, LoadProgress};
use bollard::{Docker, API_DEFAULT_VERSION};
use futures_util::TryStreamExt;
use std::sync::atomic::Ordering;
use tokio_util::io::{StreamReader, SyncIoBridge};

/// Seconds a daemon request may take; exports of big images are slow.
const TIMEOUT_SECS: u64 = 3600;

fn podman_sockets() -> Vec<String> {
    let mut v = Vec::new();
    if let Ok(dir) = std::env::var("XDG_RUNTIME_DIR") {
        v.push(format!("{dir}/podman/podman.sock"));
    }
    v.push("/run/podman/podman.sock".into());
    v
}

/// The endpoint the user's environment points at, for messages and for
/// connecting.
fn endpoint(podman: bool) -> String {
    if podman {
        let socks = podman_sockets();
        let found = socks.iter().find(|s| std::path::Path::new(s).exists());
        return format!("unix://{}", found.unwrap_or(&socks[0]));
    }
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string())
}

/// What `podman://` and plain names talk to, in messages.
fn engine_name(podman: bool) -> &'static str {
    if podman {
        "Podman API service"
    } else {
        "Docker daemon"
    }
}

/// How to get the engine answering, in messages.
fn engine_hint(podman: bool) -> &'static str {
    if podman {
        "start it with `podman system service`"
    } else {
        "start dockerd, or set DOCKER_HOST to the daemon to use"
    }
}

fn connect(endpoint: &str) -> Result<Docker, bollard::errors::Error> {
    if let Some(path) = endpoint.strip_prefix("unix://") {
        Docker::connect_with_unix(path, TIMEOUT_SECS, API_DEFAULT_VERSION)
    } else if endpoint.starts_with("tcp://") || endpoint.starts_with("http://") {
        Docker::connect_with_http(endpoint, TIMEOUT_SECS, API_DEFAULT_VERSION)
    } else {
        Docker::connect_with_defaults()
    }
}

/// A negotiated connection to the daemon, and the runtime its calls block
/// on: the caller's when there is one (the TUI loads from
/// `spawn_blocking`), else a small one of its own.
struct Session {
    handle: tokio::runtime::Handle,
    docker: Docker,
    endpoint: String,
    /// Kept alive while the session is used.
    _own_rt: Option<tokio::runtime::Runtime>,
}

impl Session {
    fn open(reference: &str, podman: bool) -> Result<Session, Error> {
        let err = |k| Error::new(reference, k);
        let endpoint = endpoint(podman);
        let own_rt = match tokio::runtime::Handle::try_current() {
            Ok(_) => None,
            Err(_) => Some(
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                    .map_err(|e| err(ErrorKind::Daemon(e.to_string())))?,
            ),
        };
        let handle = match &own_rt {
            Some(rt) => rt.handle().clone(),
            None => tokio::runtime::Handle::current(),
        };
        let unreachable = |detail: String| {
            err(ErrorKind::DaemonUnreachable {
                engine: engine_name(podman),
                endpoint: endpoint.clone(),
                hint: engine_hint(podman),
                detail: crate::error::detail(detail),
            })
        };
        let docker = connect(&endpoint).map_err(|e| unreachable(e.to_string()))?;
        let docker = handle
            .block_on(docker.negotiate_version())
            .map_err(|e| unreachable(e.to_string()))?;
        Ok(Session {
            handle,
            docker,
            endpoint,
            _own_rt: own_rt,
        })
    }
}

pub(super) fn load(
    reference: &str,
    name: &str,
    podman: bool,
    opts: &LoadOptions,
    progress: &LoadProgress,
) -> Result<Image, Error> {
    let err = |k| Error::new(reference, k);
    // The runtime is bound first, so it is dropped after the client.
    let Session {
        _own_rt,
        handle,
        docker,
        endpoint,
    } = Session::open(reference, podman)?;
    let unreachable = |detail: String| {
        err(ErrorKind::DaemonUnreachable {
            engine: engine_name(podman),
            endpoint: endpoint.clone(),
            hint: engine_hint(podman),
            detail: crate::error::detail(detail),
        })
    };
    let inspect = handle
        .block_on(docker.inspect_image(name))
        .map_err(|e| match e {
            bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            } => err(ErrorKind::NotInDaemon {
                endpoint: endpoint.clone(),
            }),
            bollard::errors::Error::DockerResponseServerError { message, .. } => err(
                ErrorKind::Daemon(crate::escape::escape_str(&message).into_owned()),
            ),
            other => unreachable(other.to_string()),
        })?;
    if let Some(size) = inspect.size {
        // The export is the layers plus a little tar framing.
        progress
            .bytes_total
            .store(size.max(0) as u64, Ordering::Relaxed);
    }
    // Bytes are counted as they stream (`archive::load_stream`); until the
    // first one the daemon is preparing the export, which on big images
    // takes a while: say so rather than sit at "0 B" unexplained.
    progress.set_stage(format!(
        "waiting for the daemon to start the export of {} (it prepares it first)",
        crate::escape::escape_str(name)
    ));
    let stream = docker
        .export_image(name)
        .map_err(|e| std::io::Error::other(e.to_string()));
    let reader = SyncIoBridge::new_with_handle(StreamReader::new(stream), handle.clone());
    let kind = if podman {
        SourceKind::Podman
    } else {
        SourceKind::Daemon
    };
    let mut image =
        archive::load_stream(reference, reader, None, kind, opts, progress).map_err(err)?;
    image.source = kind;
    if image.repo_tags.is_empty() {
        image.repo_tags = inspect.repo_tags.unwrap_or_default();
    }
    Ok(image)
}

/// Reads the layers of a daemon's image again for the export
/// ([`super::reread`]): the daemon exports the image twice more (once for
/// the manifest, which comes last in the stream, once for the layers).
pub(super) fn reread(
    reference: &str,
    name: &str,
    podman: bool,
    again: &super::reread::Again<'_>,
    tap: &mut dyn super::reread::LayerTap,
) -> Result<(), Error> {
    let err = |k| Error::new(reference, k);
    let Session {
        _own_rt,
        handle,
        docker,
        ..
    } = Session::open(reference, podman)?;
    let open = || {
        let stream = docker
            .export_image(name)
            .map_err(|e| std::io::Error::other(e.to_string()));
        Ok(SyncIoBridge::new_with_handle(
            StreamReader::new(stream),
            handle.clone(),
        ))
    };
    archive::reread_stream(open, None, again, tap).map_err(err)
}

#[cfg(test)]
mod engine_tests {
    use super::*;

    #[test]
    fn podman_is_not_told_about_docker() {
        let msg = |podman| {
            ErrorKind::DaemonUnreachable {
                engine: engine_name(podman),
                endpoint: endpoint(podman),
                hint: engine_hint(podman),
                detail: "refused".into(),
            }
            .to_string()
        };
        let p = msg(true);
        assert!(
            p.starts_with("cannot reach the Podman API service at unix://"),
            "{p}"
        );
        assert!(
            p.contains("podman system service") && !p.contains("DOCKER"),
            "{p}"
        );
        let d = msg(false);
        assert!(d.starts_with("cannot reach the Docker daemon at "), "{d}");
        assert!(d.contains("DOCKER_HOST"), "{d}");
    }
}
