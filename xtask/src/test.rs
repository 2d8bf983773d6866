//! `cargo xtask test`: what CI runs. Installs libtorch when missing, then formatting, clippy with
//! warnings denied, the API docs with warnings denied, every test of the workspace, the end-to-end
//! pipeline test on the debug stage binaries (`xtask/tests/pipeline_e2e.rs`), and the browser test
//! of the server's page (`crates/generate/tests/serve_browser.rs`, after installing chromium when
//! it is missing).

use crate::pipeline::stage::{BIN_DIR_ENV, Stage};
use crate::{run_command, setup, target_dir};
use anyhow::Result;
use std::process::Command;

pub(crate) fn run() -> Result<()> {
    setup::run()?;
    run_command(Command::new("cargo").args(["fmt", "--all", "--", "--check"]))?;
    run_command(Command::new("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // Broken intra-doc links and stray HTML in `//!` and `///` docs, private items' included
    // (the docs of clap arguments are also the stages' `--help`), fail the run like clippy's
    // warnings.
    run_command(
        Command::new("cargo")
            .args([
                "doc",
                "--workspace",
                "--no-deps",
                "--document-private-items",
            ])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    run_command(Command::new("cargo").args(["test", "--workspace"]))?;
    // The debug binaries share every compiled library with the tests above: only linking is
    // left, where a release build would compile the workspace again.
    let mut build = Command::new("cargo");
    build.args(["build", "--bins"]);
    for stage in Stage::ALL {
        build.args(["--package", stage.name()]);
    }
    run_command(&mut build)?;
    run_command(
        Command::new("cargo")
            .args([
                "test",
                "--package",
                "xtask",
                "--test",
                "pipeline_e2e",
                "--",
                "--ignored",
            ])
            .env(BIN_DIR_ENV, target_dir().join("debug")),
    )?;
    // The test skips itself, saying so, when the browser could not be installed.
    setup::browser::ensure();
    run_command(Command::new("cargo").args([
        "test",
        "--package",
        "generate",
        "--test",
        "serve_browser",
        "--",
        "--ignored",
        "--nocapture",
    ]))?;
    Ok(())
}
