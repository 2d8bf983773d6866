//! `jianghu-serve`: the models of trained corpora behind an HTTP API and a page, for several
//! users at once.
//!
//! The server loads the latest train artifact of each corpus it is given (default: every corpus
//! under the artifact root that has one), each on its own worker thread ([`worker`]), which
//! owns the model's tensors and decodes all of that model's requests with continuous batching
//! ([`crate::batch`]): concurrent requests share one batch, joining and leaving it between
//! steps. The HTTP side ([`api`]) is axum on a small tokio runtime; requests are the generate
//! stage's own parameters ([`request`]). It listens on loopback by default and prints
//! `listening on http://ADDR` once it accepts connections (with `--port 0`, on a free port).
//!
//! Ctrl-C (or SIGTERM) stops accepting connections, ends every request in progress with an
//! error (a stream gets an `error` event), and exits 0 within a second.

pub mod api;
pub mod request;
pub mod worker;

use crate::config::parse_device;
use anyhow::{Context, Result, bail};
use api::AppState;
use request::Limits;
use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

/// The page served at `/`: one self-contained file, embedded at build time.
pub const PAGE: &str = include_str!("page.html");

/// The longest the server waits for requests in progress to end after Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// The flags of `jianghu-serve` (and of `cargo xtask serve`, which passes them on).
#[derive(clap::Parser, Debug, Clone)]
#[command(name = "jianghu-serve", version)]
pub struct ServeArgs {
    /// Corpora whose latest train artifact to serve (`artifacts/<corpus>`); the first is the
    /// default model of requests that name none. Default: every corpus under --artifacts with a
    /// train artifact, in name order.
    #[arg(value_name = "CORPUS")]
    pub corpora: Vec<String>,

    /// The artifact root holding the corpora.
    #[arg(long, default_value = "artifacts", value_name = "DIR")]
    pub artifacts: PathBuf,

    /// Address to listen on (loopback by default: give 0.0.0.0 to serve other machines).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on; 0 picks a free one (the address is printed).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,

    /// Device: `auto` (CUDA when available), `cpu`, `cuda` or `cuda:N`.
    #[arg(long, default_value = "auto")]
    pub device: String,

    /// libtorch's CPU threads in each model's worker. One by default: the batch already shares
    /// each step among all requests, and on a busy machine libtorch's threads spin waiting for
    /// each other (on this project's shared 2-core machine, 2 threads made batches of 8 rows
    /// over 10 times slower than 1 thread).
    #[arg(long, default_value = "1", value_name = "N")]
    pub threads: NonZeroUsize,

    #[command(flatten)]
    pub limits: Limits,
}

/// Loads the models and serves until Ctrl-C or SIGTERM.
pub fn run(args: ServeArgs) -> Result<()> {
    let device = parse_device(&args.device)?;
    let corpora = if args.corpora.is_empty() {
        corpora_with_models(&args.artifacts)?
    } else {
        args.corpora.clone()
    };
    let shutdown = Arc::new(AtomicBool::new(false));
    let mut models = Vec::new();
    for name in corpora {
        let dir = args.artifacts.join(&name);
        if !dir.join("train").is_dir() {
            bail!(
                "corpus `{name}` has no train artifact under {}: run `cargo xtask pipeline --corpus {name}` first",
                args.artifacts.display()
            );
        }
        let settings = worker::Settings {
            device,
            threads: args.threads,
            limits: args.limits,
        };
        let handle = worker::spawn(name.clone(), dir, settings, shutdown.clone())
            .with_context(|| format!("loading the model of `{name}`"))?;
        eprintln!(
            "loaded {name}: train {}, valid {} bits/char",
            handle.info.lineage.train,
            handle
                .info
                .mixture_valid_bpc
                .or(handle.info.valid_bpc)
                .map_or("?".into(), |b| format!("{b:.3}"))
        );
        models.push(handle);
    }
    let state = Arc::new(AppState {
        models,
        limits: args.limits,
        permits: Arc::new(Semaphore::new(args.limits.max_concurrent.get())),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(serve(
        SocketAddr::new(args.host, args.port),
        state,
        shutdown,
    ))
}

/// Every corpus under `root` with a train artifact, in name order.
fn corpora_with_models(root: &Path) -> Result<Vec<String>> {
    let entries = std::fs::read_dir(root).with_context(|| {
        format!(
            "cannot read the artifact root {}: run the pipeline first, or pass --artifacts",
            root.display()
        )
    })?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join("train").join("latest").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    if names.is_empty() {
        bail!(
            "no corpus under {} has a train artifact: run `cargo xtask pipeline` first",
            root.display()
        );
    }
    Ok(names)
}

async fn serve(addr: SocketAddr, state: Arc<AppState>, shutdown: Arc<AtomicBool>) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let bound = listener.local_addr()?;
    // The handlers are in place before the readiness line, so that a Ctrl-C sent as soon as it
    // appears stops the server cleanly.
    let signals = StopSignals::install()?;
    // The line a client (the tests, `cargo xtask bench --serve`) waits for.
    println!("listening on http://{bound}");
    std::io::stdout().flush()?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        signals.recv().await;
        eprintln!("stopping: no new connections; requests in progress end now");
        // The workers end their requests (their streams get an error event) and stop.
        shutdown.store(true, Ordering::SeqCst);
        let _ = stop_tx.send(true);
    });
    let server = axum::serve(listener, api::router(state))
        .with_graceful_shutdown(stopped(stop_rx.clone()));
    tokio::select! {
        result = server => result.context("the server failed")?,
        () = async {
            stopped(stop_rx).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => eprintln!("connections still open {SHUTDOWN_GRACE:?} after the stop: closing them"),
    }
    Ok(())
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|&s| s).await;
}

/// The signals that stop the server: Ctrl-C (SIGINT), SIGTERM and SIGHUP.
struct StopSignals([tokio::signal::unix::Signal; 3]);

impl StopSignals {
    fn install() -> Result<StopSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        let kinds = [
            SignalKind::interrupt(),
            SignalKind::terminate(),
            SignalKind::hangup(),
        ];
        let [a, b, c] = kinds.map(signal);
        Ok(StopSignals([
            a.context("cannot handle SIGINT")?,
            b.context("cannot handle SIGTERM")?,
            c.context("cannot handle SIGHUP")?,
        ]))
    }

    /// Waits for the first of them.
    async fn recv(self) {
        let [mut interrupt, mut terminate, mut hangup] = self.0;
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
            _ = hangup.recv() => {}
        }
    }
}
