//! `cargo xtask bench --serve`: a load test of `jianghu-serve`. It starts the server (release
//! build) on a free loopback port with the latest model of a corpus, then for each client count
//! N runs N clients for a bounded time, each sending streaming generate requests one after
//! another (fixed length: no paragraph limit, so every request draws the same number of
//! tokens), and reports requests/s, tokens/s, and the p50/p99 latency to the first token and to
//! the end of a request; last, how many times more tokens/s the largest N got than the
//! smallest, which continuous batching is for. Then the ceiling of that ratio: the worker's own
//! tokens/s for one request of one sample and of N samples (batching without HTTP clients). A
//! request that starts before the time is up runs to its end; every request must get its
//! complete answer, or the bench fails naming the errors.

use crate::project_root;
use crate::serve::serve_binary;
use anyhow::{Context, Result, bail};
use generate::client;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What to run.
pub(crate) struct ServeBench {
    pub(crate) corpus: String,
    pub(crate) clients: Vec<usize>,
    pub(crate) duration: Duration,
    /// Tokens every request draws.
    pub(crate) tokens: usize,
}

/// One request as a client saw it.
struct Measured {
    first_token: Duration,
    total: Duration,
    tokens: u64,
}

/// The figures of one client count.
struct Row {
    clients: usize,
    requests: usize,
    seconds: f64,
    tokens: u64,
    first_token: (Duration, Duration),
    total: (Duration, Duration),
}

impl Row {
    fn tokens_per_s(&self) -> f64 {
        self.tokens as f64 / self.seconds
    }
}

pub(crate) fn run(bench: &ServeBench) -> Result<()> {
    let artifacts = project_root().join("artifacts");
    if !artifacts
        .join(&bench.corpus)
        .join("train")
        .join("latest")
        .is_file()
    {
        bail!(
            "no trained model of `{}` under {}: run `cargo xtask pipeline --corpus {} --preset quick` first (about a minute)",
            bench.corpus,
            artifacts.display(),
            bench.corpus
        );
    }
    let binary = serve_binary()?;
    let most = bench.clients.iter().copied().max().unwrap_or(1);
    let mut server = Command::new(&binary)
        .arg(&bench.corpus)
        .arg("--artifacts")
        .arg(&artifacts)
        .args(["--port", "0", "--device", "cpu"])
        .args(["--max-concurrent", &(most + 1).to_string()])
        .args(["--max-batch", &most.to_string()])
        .args(["--max-samples", &most.to_string()])
        .args(["--max-tokens", &bench.tokens.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let result = measure_all(&mut server, bench);
    // SIGINT, as Ctrl-C: the server must stop cleanly after the load too.
    let pid = server.id().to_string();
    let _ = Command::new("kill").args(["-INT", &pid]).status();
    let status = server.wait()?;
    let (rows, alone) = result?;
    anyhow::ensure!(
        status.success(),
        "the server did not exit cleanly after the bench: {status}"
    );
    print_table(bench, &rows, &alone);
    Ok(())
}

/// Tokens/s of a batch decoding on its own, without HTTP clients: one request of `samples`
/// samples at a time, timed by the worker (from taking the request to its reply,
/// `elapsed_ms`); the median of a few requests.
struct DecodeAlone {
    samples: usize,
    tokens_per_s: f64,
}

/// What batching alone gives: [`DecodeAlone`] for one sample and for `most`. The ratio of the
/// two bounds what `most` clients can get over one, whatever the HTTP side costs.
fn decode_alone(addr: SocketAddr, bench: &ServeBench, most: usize) -> Result<Vec<DecodeAlone>> {
    const REQUESTS: u64 = 7;
    let mut out = Vec::new();
    for samples in [1, most] {
        let mut rates = Vec::new();
        for seed in 0..REQUESTS {
            let body = serde_json::json!({
                "model": bench.corpus,
                "max_tokens": bench.tokens,
                "num_samples": samples,
                "seed": seed,
            });
            let reply = client::post_json(addr, "/v1/generate", &body.to_string())?;
            anyhow::ensure!(reply.status == 200, "status {}", reply.status);
            let reply = reply.json()?;
            let tokens = reply["metrics"]["tokens"]
                .as_f64()
                .context("no token count")?;
            let ms = reply["elapsed_ms"].as_f64().context("no elapsed_ms")?;
            rates.push(tokens / (ms / 1e3));
        }
        rates.sort_by(f64::total_cmp);
        out.push(DecodeAlone {
            samples,
            tokens_per_s: rates[rates.len() / 2],
        });
    }
    Ok(out)
}

fn measure_all(server: &mut Child, bench: &ServeBench) -> Result<(Vec<Row>, Vec<DecodeAlone>)> {
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("piped stdout")).read_line(&mut line)?;
    let addr: SocketAddr = line
        .trim()
        .strip_prefix("listening on http://")
        .with_context(|| format!("the server did not start: {line:?}"))?
        .parse()?;
    eprintln!(
        "bench --serve: {} on {addr}, {} tokens a request, {:?} per client count; load average before: {}",
        bench.corpus,
        bench.tokens,
        bench.duration,
        load_average()
    );
    // One request first, so that the first measured one pays no warm-up.
    one_request(addr, bench, 0).context("the warm-up request failed")?;
    let mut rows = Vec::new();
    for &n in &bench.clients {
        let row = measure(addr, bench, n)?;
        eprintln!(
            "  N = {n}: {} requests, {:.0} tokens/s (load average {})",
            row.requests,
            row.tokens_per_s(),
            load_average()
        );
        rows.push(row);
    }
    let most = bench.clients.iter().copied().max().unwrap_or(1);
    let alone = decode_alone(addr, bench, most).context("the decode-alone requests failed")?;
    Ok((rows, alone))
}

/// N clients for the bench's duration.
fn measure(addr: SocketAddr, bench: &ServeBench, n: usize) -> Result<Row> {
    let start = Instant::now();
    let deadline = start + bench.duration;
    let results: Vec<Vec<Result<Measured>>> = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..n)
            .map(|client| {
                scope.spawn(move || {
                    let mut done = Vec::new();
                    let mut k = 0u64;
                    while Instant::now() < deadline {
                        let seed = ((client as u64) << 32) | k;
                        done.push(one_request(addr, bench, seed));
                        k += 1;
                    }
                    done
                })
            })
            .collect();
        clients
            .into_iter()
            .map(|c| c.join().expect("a client thread panicked"))
            .collect()
    });
    let seconds = start.elapsed().as_secs_f64();
    let (mut ok, mut errors) = (Vec::new(), Vec::new());
    for result in results.into_iter().flatten() {
        match result {
            Ok(m) => ok.push(m),
            Err(e) => errors.push(format!("{e:#}")),
        }
    }
    if !errors.is_empty() {
        bail!(
            "{} of {} requests at N = {n} got no complete answer; the first: {}",
            errors.len(),
            errors.len() + ok.len(),
            errors[0]
        );
    }
    let mut first: Vec<Duration> = ok.iter().map(|m| m.first_token).collect();
    let mut total: Vec<Duration> = ok.iter().map(|m| m.total).collect();
    Ok(Row {
        clients: n,
        requests: ok.len(),
        seconds,
        tokens: ok.iter().map(|m| m.tokens).sum(),
        first_token: (percentile(&mut first, 0.5), percentile(&mut first, 0.99)),
        total: (percentile(&mut total, 0.5), percentile(&mut total, 0.99)),
    })
}

/// One streaming request to its `done` event.
fn one_request(addr: SocketAddr, bench: &ServeBench, seed: u64) -> Result<Measured> {
    let body = serde_json::json!({
        "model": bench.corpus,
        "stream": true,
        "max_tokens": bench.tokens,
        "num_samples": 1,
        "seed": seed,
    });
    let start = Instant::now();
    let mut stream = client::post_events(addr, "/v1/generate", &body.to_string())?;
    if stream.status != 200 {
        let status = stream.status;
        bail!(
            "status {status}: {}",
            String::from_utf8_lossy(&stream.rest()?)
        );
    }
    let mut first_token = None;
    while let Some(event) = stream.next_event()? {
        match event.name.as_str() {
            "token" => {
                first_token.get_or_insert_with(|| start.elapsed());
            }
            "done" => {
                let reply: serde_json::Value = serde_json::from_str(&event.data)?;
                let tokens = reply["metrics"]["tokens"]
                    .as_u64()
                    .context("the reply has no token count")?;
                anyhow::ensure!(
                    tokens == bench.tokens as u64,
                    "{tokens} tokens instead of {}",
                    bench.tokens
                );
                return Ok(Measured {
                    first_token: first_token.context("done before any token")?,
                    total: start.elapsed(),
                    tokens,
                });
            }
            other => bail!("event {other}: {}", event.data),
        }
    }
    bail!("the stream ended without its reply")
}

/// The `q` quantile (nearest rank) of `values`, sorting them.
fn percentile(values: &mut [Duration], q: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}

/// `/proc/loadavg`'s first three figures (the machine may be shared).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn print_table(bench: &ServeBench, rows: &[Row], alone: &[DecodeAlone]) {
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "\njianghu-serve, {} ({} tokens a request, {:?} per row, {} CPU cores):",
        bench.corpus,
        bench.tokens,
        bench.duration,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "| clients | requests | requests/s | tokens/s | first token p50 | p99 | request p50 | p99 |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        println!(
            "| {} | {} | {:.2} | {:.0} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms |",
            r.clients,
            r.requests,
            r.requests as f64 / r.seconds,
            r.tokens_per_s(),
            ms(r.first_token.0),
            ms(r.first_token.1),
            ms(r.total.0),
            ms(r.total.1)
        );
    }
    if let (Some(low), Some(high)) = (
        rows.iter().min_by_key(|r| r.clients),
        rows.iter().max_by_key(|r| r.clients),
    ) && high.clients > low.clients
    {
        println!(
            "\ntokens/s at N = {} over N = {}: {:.1}×",
            high.clients,
            low.clients,
            high.tokens_per_s() / low.tokens_per_s()
        );
    }
    if let [one, many] = alone {
        println!(
            "\ndecoding alone (one request of n samples, the worker's time, no HTTP clients): n = {}: {:.0} tokens/s, n = {}: {:.0} tokens/s, {:.1}×; N clients cannot get more over one client than this",
            one.samples,
            one.tokens_per_s,
            many.samples,
            many.tokens_per_s,
            many.tokens_per_s / one.tokens_per_s
        );
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;
    use std::time::Duration;

    #[test]
    fn percentiles_are_nearest_ranks() {
        let mut v: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        assert_eq!(percentile(&mut v, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&mut v, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&mut v[..1], 0.99), Duration::from_millis(1));
        assert_eq!(percentile(&mut [], 0.5), Duration::ZERO);
    }
}
