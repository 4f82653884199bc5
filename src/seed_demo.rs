//! `bizzai seed-demo`: demo shops with items, customers and a year of sales, written through the
//! same domain code as the API (the POS sale's `record`, so every invariant holds: dues = ledger,
//! open balances = dues, stock = movements, gap-free numbers, daily figures). No jobs are
//! enqueued. It is the data set of the benchmarks.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use api::auth::extract::AuthUser;
use api::sales::checkout::record;
use api::sales::input::{Checkout, LineRequest};
use domain::ObjectId;
use domain::sale::{MoneyPart, PayMethod};
use rand::RngExt;
use sqlx::Executor;
use store::items::{ItemFields, NewImported};

use crate::config::Config;
use crate::startup;

pub const PASSWORD: &str = "Demo#2026";

pub struct Options {
    pub shops: u32,
    pub items: u32,
    pub customers: u32,
    pub invoices: u64,
}

/// Sales per transaction on SQLite (each in its own savepoint, like the group commit), which
/// saves a sync per sale.
const SQLITE_BATCH: u64 = 500;
const DAY_MS: i64 = 86_400_000;
/// PostgreSQL sales between two `VACUUM ANALYZE`s.
const VACUUM_EVERY: u64 = 10_000;

/// What autovacuum does on a server that runs it (some, like this project's test machines, do
/// not): without it every stock update leaves a dead item row behind, the sale slows down as they
/// pile up, and the planner knows nothing of the new rows.
async fn tidy(db: &store::Db) -> anyhow::Result<()> {
    db.writer().execute("vacuum analyze").await?;
    Ok(())
}

pub async fn run(config: Config, options: Options) -> anyhow::Result<()> {
    let db = startup::connect(&config).await?;
    db.migrate().await?;
    let hasher = api::auth::password::PasswordHasher::new(config.hash_cost)?;
    let hash = hasher.hash(PASSWORD).await?;
    let mut logins = Vec::new();
    for shop in 0..options.shops {
        let email = seed_shop(&db, &config, &options, shop, &hash).await?;
        logins.push(email);
    }
    db.close().await;
    for email in logins {
        println!("login: {email} / {PASSWORD}");
    }
    Ok(())
}

async fn seed_shop(
    db: &store::Db,
    config: &Config,
    o: &Options,
    shop: u32,
    hash: &str,
) -> anyhow::Result<String> {
    let now = store::now_ms();
    // A fresh address per run, so seeding twice never collides.
    let email = format!("demo{}-{}@bizzai.local", shop + 1, now / 1000 % 1_000_000);
    let tenant = ObjectId::new().to_hex();
    let shop_name = format!("Demo Kirana {}", shop + 1);
    let mut tx = db.begin().await?;
    store::users::insert(
        &mut tx,
        &store::users::NewUser {
            id: &tenant,
            email: &email,
            email_key: &domain::text::email_key(&email),
            name: "Demo Owner",
            password_hash: hash,
            phone: "9876543210",
            shop_name: &shop_name,
            timezone: &config.shop_timezone,
            now,
        },
    )
    .await?;
    let mut rng = rand::rng();
    // Items: prices from ₹5 to ₹500, enough stock for the year.
    let units_per_item = (o.invoices * 8 / u64::from(o.items.max(1)) + 50) as i64;
    let fields: Vec<ItemFields> = (0..o.items)
        .map(|n| {
            let name = format!("Demo item {n:05}");
            let sku = format!("DEMO-{n:05}");
            let selling = rng.random_range(5..500) * 100 + rng.random_range(0..4) * 25;
            ItemFields {
                name_key: domain::text::fold_key(&name),
                name,
                sku_key: Some(domain::text::fold_key(&sku)),
                sku: Some(sku),
                barcode: None,
                supplier_sku: None,
                category: ["Grocery", "Dairy", "Household", "Snacks"][n as usize % 4].into(),
                hsn_code: String::new(),
                tax_rate_bp: 0,
                cost_price: selling * 7 / 10,
                selling_price: selling,
                low_stock_limit: 10_000,
                unit: "pcs".into(),
                track_batch: false,
                track_expiry: false,
            }
        })
        .collect();
    let ids: Vec<(String, String)> = (0..o.items)
        .map(|_| (ObjectId::new().to_hex(), ObjectId::new().to_hex()))
        .collect();
    let rows: Vec<NewImported> = fields
        .iter()
        .zip(&ids)
        .map(|(f, (id, movement))| NewImported {
            id,
            fields: f,
            stock: units_per_item * 1000,
            movement_id: movement,
            reference: "Demo data",
        })
        .collect();
    store::items::insert_many(&mut tx, &tenant, &rows, now).await?;
    let mut customers = Vec::with_capacity(o.customers as usize);
    for n in 0..o.customers {
        let id = ObjectId::new().to_hex();
        let name = format!("Demo customer {n:04}");
        let email = format!("customer{n}@example.com");
        store::customers::insert(
            &mut tx,
            &tenant,
            &id,
            &store::customers::CustomerFields {
                name_key: domain::text::fold_key(&name),
                name,
                phone: format!("9{:09}", n + shop * 10_000),
                email_key: Some(domain::text::email_key(&email)),
                email,
                address: "MG Road".into(),
                referred_by: None,
            },
            now,
        )
        .await?;
        customers.push(id);
    }
    tx.commit().await?;
    let user = store::users::find_by_email_key(db.reader(), &domain::text::email_key(&email))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo shop vanished"))?;
    let auth = AuthUser {
        user: Arc::new(user),
        session_id: String::new(),
    };
    let prices: Vec<i64> = fields.iter().map(|f| f.selling_price).collect();
    // Sales spread evenly over the last 365 days, oldest first.
    let span = 365 * DAY_MS;
    let mut made = 0u64;
    let mut refused = 0u64;
    let mut shown = 0u64;
    let terminal = std::io::stderr().is_terminal();
    // On PostgreSQL a long transaction that updates the same rows (the counter, the day's figures,
    // items) again and again keeps every version of them alive until it ends, and past 64
    // savepoints its subtransactions overflow the cache: 500 sales a transaction fell to ~25
    // sales/s. There each sale commits alone, without waiting for the WAL flush (demo data).
    let batch = match db.backend() {
        store::Backend::Sqlite => SQLITE_BATCH,
        store::Backend::Postgres => 1,
    };
    while made + refused < o.invoices {
        let mut tx = db.begin().await?;
        if db.backend() == store::Backend::Postgres {
            tx.execute("set local synchronous_commit = off").await?;
        }
        let end = (made + refused + batch).min(o.invoices);
        for n in made + refused..end {
            let at = now - span + (span as i128 * n as i128 / o.invoices.max(1) as i128) as i64;
            let checkout = demo_sale(&mut rng, &ids, &prices, &customers);
            tx.execute("SAVEPOINT demo_sale").await?;
            match record(&mut tx, &auth, &checkout, Some(at)).await {
                Ok(_) => {
                    tx.execute("RELEASE demo_sale").await?;
                    made += 1;
                }
                Err(_) => {
                    tx.execute("ROLLBACK TO demo_sale").await?;
                    tx.execute("RELEASE demo_sale").await?;
                    refused += 1;
                }
            }
        }
        tx.commit().await?;
        let done = made + refused;
        if db.backend() == store::Backend::Postgres && done.is_multiple_of(VACUUM_EVERY) {
            tidy(db).await?;
        }
        // A bar redrawn in place on a terminal; into a log, a line every 10 %.
        let step = if terminal { 1 } else { 10 };
        let percent = done * 100 / o.invoices;
        if o.invoices >= 10_000 && (percent >= shown + step || done == o.invoices) {
            shown = percent;
            let bar = format!(
                "shop {}/{}: [{:<50}] {done}/{} invoices",
                shop + 1,
                o.shops,
                "#".repeat((shown / 2) as usize),
                o.invoices
            );
            if terminal {
                eprint!("\r{bar}");
                let _ = std::io::stderr().flush();
            } else {
                eprintln!("{bar}");
            }
        }
    }
    if o.invoices >= 10_000 && terminal {
        eprintln!();
    }
    if db.backend() == store::Backend::Postgres && !(made + refused).is_multiple_of(VACUUM_EVERY) {
        tidy(db).await?;
    }
    println!(
        "{shop_name}: {} items, {} customers, {made} invoices ({refused} refused by the sale rules)",
        o.items, o.customers
    );
    Ok(email)
}

/// One sale as a cashier would ring it up: 1–4 lines, a known customer most of the time, and every
/// payment shape (cash, UPI, card, split, on account, partial).
fn demo_sale(
    rng: &mut impl rand::Rng,
    items: &[(String, String)],
    prices: &[i64],
    customers: &[String],
) -> Checkout {
    let mut lines = Vec::new();
    let mut subtotal = 0;
    for _ in 0..rng.random_range(1..=4) {
        let i = rng.random_range(0..items.len());
        let units = rng.random_range(1..=3);
        subtotal += prices[i] * units;
        lines.push(LineRequest {
            item_id: items[i].0.clone(),
            quantity: units * 1000,
            price: None,
        });
    }
    let walk_in = customers.is_empty() || rng.random_range(0..10) < 3;
    let customer_id = (!walk_in).then(|| customers[rng.random_range(0..customers.len())].clone());
    let shape = if walk_in {
        rng.random_range(0..2)
    } else {
        rng.random_range(0..6)
    };
    let (method, paid) = match shape {
        0 => (PayMethod::Cash, subtotal),
        1 => (PayMethod::Upi, subtotal),
        2 => (PayMethod::Card, subtotal),
        3 => (PayMethod::Split, subtotal),
        4 => (PayMethod::Due, 0),
        _ => (PayMethod::Cash, subtotal / 2),
    };
    let parts = match method {
        PayMethod::Split => {
            let cash = paid / 2;
            vec![
                MoneyPart {
                    method: PayMethod::Cash,
                    amount: cash,
                    account: None,
                },
                MoneyPart {
                    method: PayMethod::Card,
                    amount: paid - cash,
                    account: None,
                },
            ]
            .into_iter()
            .filter(|p| p.amount > 0)
            .collect()
        }
        _ if paid > 0 => vec![MoneyPart {
            method,
            amount: paid,
            account: None,
        }],
        _ => Vec::new(),
    };
    Checkout {
        customer_id,
        lines,
        discount: 0,
        paid,
        credit_applied: 0,
        previous_due: 0,
        change_returned: 0,
        method,
        parts,
    }
}
