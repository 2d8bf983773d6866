//! `cargo xtask pipeline`: clean → tokenize → train → generate on a corpus.

use crate::{fetch_data, setup};
use anyhow::{bail, Result};

/// Options of `cargo xtask pipeline`.
#[derive(Debug, clap::Args)]
pub(crate) struct PipelineArgs {}

pub(crate) fn run(_args: &PipelineArgs) -> Result<()> {
    setup::run()?;
    fetch_data::run(&fetch_data::FetchArgs { force: false })?;
    bail!("stage `clean` is not implemented yet: the pipeline stops after fetching data")
}
