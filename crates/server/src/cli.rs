//! The command line: `followup serve | migrate | create-admin | seed-demo | seed-bench | openapi`.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::{DatabaseArgs, FilesArgs, LogFormat, ServeConfig, WorkerConfig};
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
    Serve(Box<ServeConfig>),
    /// Run only the worker (webhook deliveries), beside `serve` processes
    /// started with `FOLLOWUP_WORKER=false`; any number may run.
    Worker(WorkerConfig),
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
    /// Load a synthetic programme for benchmarks and load tests: N delegates
    /// mentored by one mentor, a coordinator, plans, activities, indicators,
    /// measurements and check-ins. Prints the programme id and the mentor's
    /// and coordinator's credentials as JSON.
    SeedBench(SeedBenchArgs),
}

#[derive(Debug, clap::Args)]
pub struct SeedDemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Where the demo's evidence files go (the server's file store).
    #[command(flatten)]
    pub files: FilesArgs,
    /// The password of every demo account (at least 10 characters); generated and printed when absent.
    #[arg(long)]
    pub password: Option<String>,
    /// Load the demo even into a database that holds other data.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, clap::Args)]
pub struct SeedBenchArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Programme code (default `BENCH-<unix time>`); also makes the e-mails unique.
    #[arg(long)]
    pub code: Option<String>,
    #[arg(long, default_value_t = 1000)]
    pub delegates: usize,
    #[arg(long, default_value_t = 5000)]
    pub plans: usize,
    #[arg(long, default_value_t = 50_000)]
    pub activities: usize,
    #[arg(long, default_value_t = 100_000)]
    pub check_ins: usize,
    #[arg(long, default_value_t = 2)]
    pub indicators_per_plan: usize,
    #[arg(long, default_value_t = 2)]
    pub measurements_per_indicator: usize,
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
                crate::demo::Outcome::Seeded {
                    program_id,
                    accounts,
                    password,
                    generated,
                    api_key,
                    evidence,
                } => {
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
                    println!(
                        "API key \"{}\" (reads the programme as an observer): {api_key}",
                        crate::demo::API_KEY_NAME
                    );
                    let store = followup_http::files::store::FileStore::from_url(&args.files.storage_url)
                        .map_err(anyhow::Error::msg)?;
                    let quota = i64::try_from(args.files.program_quota_mb.saturating_mul(1_000_000))
                        .unwrap_or(i64::MAX);
                    let stored = actix_web::rt::System::new()
                        .block_on(crate::demo::attach_evidence(&db, &store, quota, &evidence))
                        .context("the demo is loaded, but its evidence files could not be stored")?;
                    println!("evidence files: {stored}, in {}", store.described);
                }
            }
            Ok(())
        }
        Command::SeedBench(args) => seed_bench(&args),
        Command::Worker(config) => actix_web::rt::System::new().block_on(async move {
            let db = open_database(&config.database)?;
            let worker = crate::worker::Worker::new(db, config.worker.clone(), None)?;
            if config.once {
                let started = std::time::Instant::now();
                let told = worker.tell_what_is_due().await;
                let reminded = worker.remind().await;
                let looked = started.elapsed();
                worker.round().await;
                tracing::info!(
                    told,
                    reminded,
                    look_ms = looked.as_millis() as u64,
                    total_ms = started.elapsed().as_millis() as u64,
                    "worker ran once"
                );
                return Ok(());
            }
            tracing::info!("worker started");
            let running = tokio::spawn(worker.run());
            crate::startup::wait_for_signal().await;
            running.abort();
            tracing::info!("worker stopped");
            Ok(())
        }),
        Command::Serve(config) => actix_web::rt::System::new().block_on(async move {
            let app = Application::build(&config)?;
            app.run_until_signalled().await
        }),
    }
}

fn seed_bench(args: &SeedBenchArgs) -> anyhow::Result<()> {
    let db = open_database(&args.database)?;
    let password = followup_http::auth::passwords::generate();
    let hash = followup_http::auth::passwords::hash(&password).map_err(anyhow::Error::msg)?;
    let code = args.code.clone().unwrap_or_else(|| format!("BENCH-{}", chrono::Utc::now().timestamp()));
    let spec = followup_persistence::bulk::BulkSpec {
        code,
        delegates: args.delegates,
        plans: args.plans,
        activities: args.activities,
        check_ins: args.check_ins,
        indicators_per_plan: args.indicators_per_plan,
        measurements_per_indicator: args.measurements_per_indicator,
        password_hash: hash,
    };
    let started = std::time::Instant::now();
    let seeded = db.write(|c| followup_persistence::bulk::seed_program(c, &spec))?;
    // Fresh planner statistics, as autovacuum (PostgreSQL) or a routine
    // ANALYZE (SQLite) would leave them on a database of this size.
    db.write(followup_persistence::bulk::analyze)?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "seeded");
    let out = serde_json::json!({
        "program_id": seeded.program_id,
        "code": spec.code,
        "delegates": seeded.delegate_ids.len(),
        "mentor": { "email": seeded.mentor_email, "password": password },
        "coordinator": { "email": seeded.coordinator_email, "password": password },
    });
    println!("{out}");
    Ok(())
}

/// The OpenAPI document as pretty JSON, exactly as `followup openapi` prints it.
pub fn openapi_json() -> anyhow::Result<String> {
    Ok(followup_http::openapi().to_pretty_json()?)
}
