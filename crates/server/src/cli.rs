//! The command line: `followup serve | migrate | openapi`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{DatabaseArgs, LogFormat, ServeConfig};
use crate::startup::{open_database, Application};
use crate::telemetry;

/// Followup: tracks post-training action plans and their mentoring.
#[derive(Debug, Parser)]
#[command(name = "followup", version, about)]
pub struct Cli {
    /// Log filter (tracing's EnvFilter syntax, e.g. `info` or `debug,diesel=warn`).
    #[arg(long, global = true, env = "FOLLOWUP_LOG", default_value = telemetry::DEFAULT_FILTER)]
    pub log: String,

    /// Log format.
    #[arg(long, global = true, env = "FOLLOWUP_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the API (migrations run first).
    Serve(ServeConfig),
    /// Apply pending migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the OpenAPI document (the committed openapi/openapi.json is this output).
    Openapi,
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(&cli.log, cli.log_format);
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "followup failed");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Openapi => {
            println!("{}", openapi_json()?);
            Ok(())
        }
        Command::Migrate(args) => {
            open_database(&args)?;
            Ok(())
        }
        Command::Serve(config) => actix_web::rt::System::new().block_on(async move {
            let app = Application::build(&config)?;
            app.run_until_signalled().await
        }),
    }
}

/// The OpenAPI document as pretty JSON, exactly as `followup openapi` prints it.
pub fn openapi_json() -> anyhow::Result<String> {
    Ok(followup_http::openapi().to_pretty_json()?)
}
