//! The page of `jianghu-serve` in a real browser: headless Chromium, driven through
//! chromedriver (WebDriver), loads the page of a server on a tiny model, types a prompt,
//! presses generate, and waits for the metrics; the text the page assembled from the streamed
//! token events must be the Chinese text the API returns for the same request. The screenshot
//! goes to `target/serve-page.png`.
//!
//! Ignored by plain `cargo test`: it needs Debian's `chromium` and `chromium-driver`, which
//! `cargo xtask test` installs (as it installs libtorch) before it runs this test with
//! `--ignored`. Without them the test says so and passes without checking anything.

mod common;

use common::fixture_with;
use common::server::{DEADLINE, Server, TEXT};
use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

/// Where the screenshot goes: `target/serve-page.png`.
fn screenshot_path() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is target/tmp")
        .join("serve-page.png")
}

/// The first of `names` found on PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// chromedriver on a port of its choosing; killed when dropped.
struct Driver {
    child: Child,
    url: String,
    /// Its output, kept open: a driver whose stdout is closed dies of its next log line.
    _stdout: std::io::Lines<BufReader<ChildStdout>>,
}

impl Driver {
    fn start(binary: &Path) -> Driver {
        // Port 0 is not accepted: take a free port from the system and hand it over.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .spawn()
            .expect("chromedriver starts");
        // Ready once it says so.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = lines
            .by_ref()
            .map_while(Result::ok)
            .any(|line| line.contains("started successfully"));
        if !ready {
            let _ = child.wait();
            panic!("chromedriver exited before it was ready");
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            _stdout: lines,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "needs chromium and chromium-driver: cargo xtask test installs them and runs it"]
fn the_page_streams_chinese_text_and_shows_the_metrics() {
    let (Some(chromium), Some(chromedriver)) = (
        on_path(&["chromium", "chromium-browser"]),
        on_path(&["chromedriver"]),
    ) else {
        eprintln!(
            "SKIPPED the browser test: chromium and chromedriver are not installed (Debian: apt-get install chromium chromium-driver fonts-noto-cjk; cargo xtask test installs them)"
        );
        return;
    };
    let f = fixture_with(TEXT, 21, 16);
    let server = Server::start(&f, &[]);
    let driver = Driver::start(&chromedriver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let page_text = runtime.block_on(async {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,900"],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let browser = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .expect("a chromium session");
        let result = async {
            browser.goto(&format!("http://{}/", server.addr)).await?;
            // The model list arrives from /v1/models.
            browser
                .wait()
                .at_most(DEADLINE)
                .for_element(Locator::Css("#model option"))
                .await?;
            browser
                .find(Locator::Id("prompt"))
                .await?
                .send_keys("明月")
                .await?;
            let max_tokens = browser.find(Locator::Id("max_tokens")).await?;
            max_tokens.clear().await?;
            max_tokens.send_keys("40").await?;
            browser.find(Locator::Id("generate")).await?.click().await?;
            browser
                .wait()
                .at_most(DEADLINE)
                .for_element(Locator::Id("metrics-table"))
                .await?;
            let text = browser.find(Locator::Id("sample-0")).await?.text().await?;
            let metrics = browser
                .find(Locator::Id("metrics-table"))
                .await?
                .text()
                .await?;
            let png = browser.screenshot().await?;
            std::fs::write(screenshot_path(), png).expect("the screenshot is written");
            Ok::<_, fantoccini::error::CmdError>((text, metrics))
        }
        .await;
        let _ = browser.close().await;
        result.expect("the page works in the browser")
    });
    let (text, metrics) = page_text;
    eprintln!(
        "browser test: the page showed {text:?}; screenshot {}",
        screenshot_path().display()
    );
    // The request the page sends for those controls, without streaming.
    let reply = server
        .post(
            "/v1/generate",
            &json!({"model": "names", "prompt": "明月", "temperature": 0.8, "repetition_penalty": 1,
                     "max_tokens": 40, "paragraphs": 1, "num_samples": 1, "seed": 42}),
        )
        .json()
        .unwrap();
    let expected = reply["samples"][0]["text"].as_str().unwrap();
    // innerText drops a trailing newline (the <eos> that ended the paragraph).
    assert_eq!(text, expected.trim_end_matches('\n'));
    assert!(
        text.starts_with("明月") && text.chars().count() > 2,
        "{text:?}"
    );
    assert!(
        text.chars()
            .filter(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
            .count()
            > 2,
        "{text:?}"
    );
    assert!(
        metrics.contains("distinct-1") && metrics.contains("tokens"),
        "{metrics:?}"
    );
}
