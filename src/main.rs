//! `bizzai`: POS, billing and inventory backend for small retail shops.

use std::process::ExitCode;

use bizzai::config::{Config, redact_url};
use bizzai::startup::{self, App};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bizzai",
    version,
    about = "POS, billing and inventory backend for small retail shops"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve {
        /// Do not apply pending migrations on start (readiness stays 503 until they are applied).
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply pending migrations and print every table with its indexes.
    Migrate,
    /// Inspect and retry background jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Create demo shops (items, customers, a year of sales) and print their logins.
    SeedDemo {
        /// Invoices per shop.
        #[arg(long, default_value_t = 1_000)]
        invoices: u64,
        #[arg(long, default_value_t = 1)]
        shops: u32,
        /// Items per shop.
        #[arg(long, default_value_t = 2_000)]
        items: u32,
        /// Customers per shop.
        #[arg(long, default_value_t = 1_000)]
        customers: u32,
    },
    /// The daily figures the dashboard reads.
    Aggregates {
        #[command(subcommand)]
        command: AggregatesCommand,
    },
}

#[derive(Subcommand)]
enum AggregatesCommand {
    /// Recompute a shop's daily figures from its invoices and ledger.
    Rebuild {
        /// The shop's account e-mail or id.
        #[arg(long)]
        shop: String,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List jobs, newest first (never their payloads).
    List {
        #[arg(long)]
        queue: Option<String>,
        /// waiting, active, completed, failed or dead
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Put dead jobs back to waiting: one by id, or all dead jobs of a queue (`--queue Q --dead`).
    Retry {
        id: Option<String>,
        #[arg(long)]
        queue: Option<String>,
        #[arg(long)]
        dead: bool,
    },
    /// Counts per queue and status, and the age of the oldest waiting job.
    Stats,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("bizzai: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    bizzai::telemetry::init(config.log_json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bizzai: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { no_migrate } => serve(config, !no_migrate).await,
            Command::Migrate => migrate(config).await,
            Command::Jobs { command } => bizzai::jobs_cli::run(config, command.into()).await,
            Command::SeedDemo {
                invoices,
                shops,
                items,
                customers,
            } => {
                let options = bizzai::seed_demo::Options {
                    shops,
                    items,
                    customers,
                    invoices,
                };
                bizzai::seed_demo::run(config, options).await
            }
            Command::Aggregates {
                command: AggregatesCommand::Rebuild { shop },
            } => bizzai::aggregates_cli::rebuild(config, &shop).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bizzai: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, migrate: bool) -> anyhow::Result<()> {
    let database = redact_url(&config.database_url);
    let app = App::build(config, migrate).await?;
    tracing::info!(address = %app.local_addr(), database = %database, "bizzai listening");
    app.serve_until(startup::shutdown_signal()).await?;
    tracing::info!("bizzai stopped");
    Ok(())
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = startup::connect(&config).await?;
    let report = db.migrate().await?;
    print!("{}", report.render());
    db.close().await;
    Ok(())
}

impl From<JobsCommand> for bizzai::jobs_cli::Command {
    fn from(c: JobsCommand) -> Self {
        use bizzai::jobs_cli::Command as C;
        match c {
            JobsCommand::List {
                queue,
                status,
                limit,
            } => C::List {
                queue,
                status,
                limit,
            },
            JobsCommand::Retry { id, queue, dead } => C::Retry { id, queue, dead },
            JobsCommand::Stats => C::Stats,
        }
    }
}
