use std::process::ExitCode;

use clap::Parser;
use workers::{cli::Cli, roles};

#[tokio::main]
async fn main() -> ExitCode {
    // Before any HTTP client exists (shared::tools::http: reqwest has no provider of its own).
    shared::tools::http::install_crypto();
    let cli = Cli::parse();
    match roles::run(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("vteacher: {err:#}");
            ExitCode::FAILURE
        }
    }
}
