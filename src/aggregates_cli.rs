//! `bizzai aggregates rebuild --shop <e-mail or id>`: recomputes a shop's daily figures from its
//! invoices and ledger (after a restore, an import, or to check them: the report says whether
//! the rebuilt figures equal the maintained ones).

use crate::config::Config;
use crate::startup;

pub async fn rebuild(config: Config, shop: &str) -> anyhow::Result<()> {
    let db = startup::connect(&config).await?;
    let outcome = run(&db, shop).await;
    db.close().await;
    outcome
}

async fn run(db: &store::Db, shop: &str) -> anyhow::Result<()> {
    let user =
        match store::users::find_by_email_key(db.reader(), &domain::text::email_key(shop)).await? {
            Some(u) => u,
            None => {
                let mut conn = db.read_conn().await?;
                store::users::find_live(&mut conn, shop)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("no shop with the id or e-mail {shop}"))?
            }
        };
    let mut tx = db.begin().await?;
    let before = store::aggregates::snapshot(&mut tx, &user.id).await?;
    store::aggregates::rebuild(&mut tx, &user.id).await?;
    let after = store::aggregates::snapshot(&mut tx, &user.id).await?;
    tx.commit().await?;
    let days: std::collections::BTreeSet<&str> =
        after.iter().map(|r| r.local_date.as_str()).collect();
    println!(
        "rebuilt the daily figures of {} ({}): {} days, {} rows",
        user.email,
        user.id,
        days.len(),
        after.len()
    );
    if before == after {
        println!("the rebuilt figures equal the maintained ones");
    } else {
        let changed = after.iter().filter(|r| !before.contains(r)).count()
            + before.iter().filter(|r| !after.contains(r)).count();
        println!("{changed} rows differed from the maintained figures and were replaced");
    }
    Ok(())
}
