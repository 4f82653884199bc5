//! `bizzai jobs …`: operator commands on the job queue.

use jobs::Status;

use crate::config::Config;
use crate::startup;

pub enum Command {
    List {
        queue: Option<String>,
        status: Option<String>,
        limit: i64,
    },
    Retry {
        id: Option<String>,
        queue: Option<String>,
        dead: bool,
    },
    Stats,
}

fn time(ms: i64) -> String {
    api::auth::responses::iso(ms)
}

pub async fn run(config: Config, command: Command) -> anyhow::Result<()> {
    let db = startup::connect(&config).await?;
    let outcome = execute(&db, command).await;
    db.close().await;
    outcome
}

async fn execute(db: &store::Db, command: Command) -> anyhow::Result<()> {
    match command {
        Command::List {
            queue,
            status,
            limit,
        } => {
            let status = match status.as_deref() {
                None => None,
                Some(s) => Some(Status::parse(s).ok_or_else(|| {
                    anyhow::anyhow!(
                        "unknown status {s:?}: waiting, active, completed, failed or dead"
                    )
                })?),
            };
            let rows = jobs::queue::list(db, queue.as_deref(), status, limit).await?;
            println!(
                "{:<24}  {:<11}  {:<28}  {:<9}  {:>8}  {:<24}  last error",
                "id", "queue", "kind", "status", "attempts", "created"
            );
            for j in &rows {
                println!(
                    "{:<24}  {:<11}  {:<28}  {:<9}  {:>4}/{:<3}  {:<24}  {}",
                    j.id,
                    j.queue,
                    j.kind,
                    j.status,
                    j.attempts,
                    j.max_attempts,
                    time(j.created_at),
                    j.last_error.as_deref().unwrap_or("")
                );
            }
            println!("{} job(s)", rows.len());
        }
        Command::Retry { id, queue, dead } => {
            let n = match (id, queue) {
                (Some(id), None) => jobs::queue::retry_dead(db, Some(&id), None).await?,
                (None, Some(queue)) if dead => {
                    jobs::queue::retry_dead(db, None, Some(&queue)).await?
                }
                _ => anyhow::bail!("give a job id, or --queue Q --dead"),
            };
            println!("{n} dead job(s) back to waiting");
        }
        Command::Stats => {
            let stats = jobs::queue::stats(db).await?;
            for q in stats {
                let counts: Vec<String> = Status::ALL
                    .iter()
                    .map(|s| {
                        format!(
                            "{}={}",
                            s.as_str(),
                            q.counts
                                .iter()
                                .find(|(c, _)| c == s)
                                .map(|(_, n)| *n)
                                .unwrap_or(0)
                        )
                    })
                    .collect();
                let oldest = q
                    .oldest_waiting_ms
                    .map(|ms| format!("{:.1}s", ms as f64 / 1000.0))
                    .unwrap_or_else(|| "-".into());
                println!(
                    "{:<12} {}  oldest waiting: {oldest}",
                    q.queue,
                    counts.join(" ")
                );
            }
        }
    }
    Ok(())
}
