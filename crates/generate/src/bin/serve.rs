//! `jianghu-serve`: serve the latest trained models of corpora over HTTP, with a page at `/`
//! (see [`generate::serve`]; `--help` lists the flags).

use clap::Parser;
use generate::serve::{ServeArgs, run};

fn main() -> std::process::ExitCode {
    artifact::exit_code(run(ServeArgs::parse()))
}
