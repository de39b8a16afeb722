use std::process::ExitCode;

use clap::Parser;
use vteacher_bench::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    // Before any HTTP client exists (reqwest has no TLS provider of its own).
    shared::tools::http::install_crypto();
    // The benchmarks print their own progress; their logs say only what went wrong.
    workers::telemetry::init_logs_with(shared::config::LogFormat::Text, "warn");
    match vteacher_bench::run(Cli::parse().which).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("vteacher-bench: {err:#}");
            ExitCode::FAILURE
        }
    }
}
