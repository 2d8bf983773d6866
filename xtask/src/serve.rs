//! `cargo xtask serve [CORPUS…] [FLAGS]`: builds `jianghu-serve` (the generate crate's server
//! binary; xtask itself never links libtorch) and runs it as a process, as the pipeline runs
//! the stage binaries. Every argument is the server's (`cargo xtask serve --help` prints its
//! help); xtask adds `--artifacts` (the workspace's `artifacts/`) unless it is given. Ctrl-C
//! reaches the server, which stops within a second; xtask exits as it does.

use crate::pipeline::stage::{Stage, let_stages_handle_ctrl_c, stage_binaries};
use crate::{describe, project_root, setup};
use anyhow::{Context, Result, bail};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;

/// The server binary's name.
pub(crate) const SERVE_BINARY: &str = "jianghu-serve";

/// The raw arguments after `cargo xtask serve`: all of them are the server's.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub(crate) struct ServeArgs {
    #[arg(num_args = 0.., allow_hyphen_values = true, trailing_var_arg = true)]
    args: Vec<OsString>,
}

pub(crate) fn run(args: &ServeArgs) -> Result<()> {
    setup::run()?;
    let binary = serve_binary()?;
    let mut command = Command::new(&binary);
    command.args(&args.args);
    if !args.args.iter().any(|a| {
        a.to_str()
            .is_some_and(|a| a == "--artifacts" || a.starts_with("--artifacts="))
    }) {
        command
            .arg("--artifacts")
            .arg(project_root().join("artifacts"));
    }
    eprintln!("$ {}", describe(&command));
    // The server handles Ctrl-C itself (it finishes within a second); we report how it ended.
    let_stages_handle_ctrl_c();
    let status = command
        .status()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    if !status.success() {
        bail!("{SERVE_BINARY} ended with {status}");
    }
    Ok(())
}

/// The release build of the server (or the one in `$JIANGHU_BIN_DIR`), built now when needed.
/// It is a binary of the generate package, built with the stages, as the pipeline builds them
/// (the same packages, so the same features, and nothing is compiled twice).
pub(crate) fn serve_binary() -> Result<PathBuf> {
    Ok(stage_binaries(&Stage::ALL)?.join(SERVE_BINARY))
}
