//! The command line: `followup serve | migrate | create-admin | seed-demo | openapi`.

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
    /// Create an admin account, or make an existing account an active admin
    /// with a new password (its sessions are signed out).
    CreateAdmin(CreateAdminArgs),
    /// Load the reference story (programme, organisations, people, plans in
    /// every state) into an empty database, for a tour of the API.
    SeedDemo(SeedDemoArgs),
}

#[derive(Debug, clap::Args)]
pub struct SeedDemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The password of every demo account (at least 10 characters); generated and printed when absent.
    #[arg(long)]
    pub password: Option<String>,
    /// Load the demo even into a database that holds other data.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct CreateAdminArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The admin's e-mail address.
    #[arg(long)]
    pub email: String,
    /// Read the password from standard input (one line) instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
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
        Command::CreateAdmin(args) => {
            let db = open_database(&args.database)?;
            let password = if args.password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            match crate::bootstrap::create_or_reset_admin(&db, &args.email, password.as_deref())? {
                crate::bootstrap::AdminOutcome::Created { email, generated_password } => {
                    println!("created admin {email}");
                    if let Some(p) = generated_password {
                        println!("password: {p}");
                    }
                }
                crate::bootstrap::AdminOutcome::Reset { email, generated_password } => {
                    println!("reset admin {email} (its sessions are signed out)");
                    if let Some(p) = generated_password {
                        println!("password: {p}");
                    }
                }
                crate::bootstrap::AdminOutcome::AlreadyPresent => {}
            }
            Ok(())
        }
        Command::SeedDemo(args) => {
            let db = open_database(&args.database)?;
            match crate::demo::seed_demo(&db, args.password.as_deref(), args.force)? {
                crate::demo::Outcome::AlreadyLoaded { program_id } => {
                    println!(
                        "the demo programme {} is already loaded (id {program_id}); nothing changed",
                        crate::demo::PROGRAM_CODE
                    );
                }
                crate::demo::Outcome::Seeded { program_id, accounts, password, generated } => {
                    println!("loaded the demo programme {} (id {program_id})", crate::demo::PROGRAM_CODE);
                    println!("accounts:");
                    for a in &accounts {
                        println!("  {:<12} {:<24} {}", a.role, a.name, a.email);
                    }
                    if generated {
                        println!("password: {password}");
                        println!("(every demo account has this password; it is shown only once)");
                    } else {
                        println!("every demo account has the password given with --password");
                    }
                }
            }
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
