//! A `jianghu-serve` process for the server's tests, on a free port of a fixture's artifact
//! root; ready once it prints the address it listens on.

use super::Fixture;
use generate::client::{self, EventStream};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Lines of ci-like length, so that a fixture's model is in text mode.
pub const TEXT: &str = "明月几时有把酒问青天\n不知天上宫阙今夕是何年\n我欲乘风归去又恐琼楼玉宇\n高处不胜寒起舞弄清影\n";

/// How long a test waits for the server to reach a state before it fails.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A running server; killed when dropped.
pub struct Server {
    pub child: Option<Child>,
    pub addr: SocketAddr,
}

impl Server {
    pub fn start(f: &Fixture, flags: &[&str]) -> Server {
        let artifacts = f.root.parent().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_jianghu-serve"))
            .arg("--artifacts")
            .arg(artifacts)
            .args(["--port", "0", "--device", "cpu"])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("jianghu-serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on http://")
            .unwrap_or_else(|| panic!("not the readiness line: {line:?}"))
            .parse()
            .unwrap();
        Server {
            child: Some(child),
            addr,
        }
    }

    pub fn post(&self, path: &str, body: &Value) -> client::Response {
        client::post_json(self.addr, path, &body.to_string()).unwrap()
    }

    pub fn stream(&self, body: &Value) -> EventStream {
        let mut body = body.clone();
        body["stream"] = json!(true);
        client::post_events(self.addr, "/v1/generate", &body.to_string()).unwrap()
    }

    pub fn status(&self) -> Value {
        client::get(self.addr, "/v1/status")
            .unwrap()
            .json()
            .unwrap()
    }

    /// Polls `/v1/status` until `done` holds for it.
    pub fn wait_for(&self, what: &str, done: impl Fn(&Value) -> bool) {
        let start = Instant::now();
        loop {
            let status = self.status();
            if done(&status) {
                return;
            }
            assert!(start.elapsed() < DEADLINE, "{what}: still {status}");
            std::thread::yield_now();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
