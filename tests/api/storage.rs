use crate::both_backends;
use crate::helpers::{Backend, TestApp};

both_backends!(
    hot_queries_use_indexes,
    migrations_are_idempotent_and_report_every_table
);

/// Fills the auth tables with enough rows that a sequential scan would cost more than an index.
async fn seed(app: &TestApp) {
    let statements = [
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) \
         insert into users (id, email, email_key, name, password_hash, timezone, created_at, updated_at) \
         select 'u' || i, 'u' || i || '@x.in', 'u' || i || '@x.in', 'User ' || i, 'h', 'Asia/Kolkata', i, i from n",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) \
         insert into sessions (id, user_id, device_id, created_at, expires_at) select 's' || i, 'u' || i, 'd', i, 9999999999999 from n",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) \
         insert into refresh_tokens (id, session_id, user_id, token_hash, created_at, expires_at) \
         select 'r' || i, 's' || i, 'u' || i, 'hash' || i, i, 9999999999999 from n",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) \
         insert into login_throttles (email_key, failures, updated_at) select 'u' || i || '@x.in', 1, i from n",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) \
         insert into customers (id, tenant_id, name, name_key, phone, created_at, updated_at) \
         select 'c' || i, 'u' || (i % 10 + 1), 'Customer ' || i, 'customer ' || i, '9' || (100000000 + i), i, i from n",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) \
         insert into items (id, tenant_id, name, name_key, cost_price, selling_price, created_at, updated_at) \
         select 'i' || i, 'u' || (i % 10 + 1), 'Item ' || i, 'item ' || i, 100, 150, i, i from n",
        "with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) \
         insert into jobs (id, queue, kind, payload, status, attempts, max_attempts, backoff_ms, run_at, created_at, updated_at) \
         select 'j' || i, case when i % 2 = 0 then 'u7' else 'other' end, 'test.noop', '{}', \
                case when i % 5 = 0 then 'completed' else 'waiting' end, 0, 3, 2000, i, i, i from n",
        "analyze",
    ];
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(app.db.writer())
            .await
            .unwrap();
    }
}

async fn hot_queries_use_indexes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    seed(&app).await;
    let hot: &[(&str, &str)] = &[
        (
            "authenticate a request",
            "select u.id, u.email from sessions s join users u on u.id = s.user_id \
             where s.id = $1 and s.user_id = $2 and s.revoked_at is null and s.expires_at > 1 and u.deleted_at is null",
        ),
        (
            "find an account by e-mail",
            "select id from users u where u.email_key = $1 and u.deleted_at is null",
        ),
        (
            "read a login lock",
            "select locked_until from login_throttles where email_key = $1",
        ),
        (
            "find a refresh token",
            "select session_id from refresh_tokens where token_hash = $1 and user_id = $2",
        ),
        (
            "live sessions of a user",
            "select device_id from sessions where user_id = $1 and revoked_at is null and expires_at > 1",
        ),
        (
            "customers of a shop by name",
            "select id from customers where tenant_id = $1 and deleted_at is null order by name_key, id",
        ),
        (
            "claim runnable jobs of a queue",
            "select id from jobs where queue = $1 and status in ('waiting', 'failed') and run_at <= 9999999999999 \
             order by priority desc, run_at, id limit 64",
        ),
        (
            "items of a shop, newest first",
            "select id from items where tenant_id = $1 and deleted_at is null order by created_at desc, id desc",
        ),
    ];
    for (what, sql) in hot {
        let binds = vec!["u7"; sql.matches("$").count()];
        let plan = app.db.explain(sql, &binds).await.unwrap();
        let text = plan.join("\n");
        match backend {
            Backend::Sqlite => {
                for line in &plan {
                    assert!(
                        (!line.starts_with("SCAN") || line.contains("USING"))
                            && !line.contains("TEMP B-TREE"),
                        "{what}: full scan or sort in\n{text}"
                    );
                }
                assert!(text.contains("USING"), "{what}: no index in\n{text}");
            }
            Backend::Postgres => {
                assert!(
                    !text.contains("Seq Scan"),
                    "{what}: sequential scan in\n{text}"
                );
                assert!(text.contains("Index"), "{what}: no index in\n{text}");
            }
        }
    }
}

async fn migrations_are_idempotent_and_report_every_table(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let report = app.db.migrate().await.unwrap();
    assert!(report.applied.is_empty(), "a second run applies nothing");
    assert_eq!(app.db.pending_migrations().await.unwrap(), 0);
    let rendered = report.render();
    assert!(rendered.contains("nothing to change"), "{rendered}");
    let tables: Vec<&str> = report.tables.iter().map(|t| t.table.as_str()).collect();
    for table in [
        "users",
        "sessions",
        "refresh_tokens",
        "password_reset_tokens",
        "items",
        "customers",
        "invoices",
        "invoice_lines",
        "returns",
        "return_lines",
        "sales_orders",
        "sales_order_lines",
        "delivery_challans",
        "stock_movements",
        "ledger_transactions",
        "counters",
        "idempotency_keys",
        "jobs",
    ] {
        assert!(tables.contains(&table), "{table} missing from {tables:?}");
    }
    let indexes: Vec<&str> = report
        .tables
        .iter()
        .flat_map(|t| t.indexes.iter().map(String::as_str))
        .collect();
    // The original's addIndexes.js, one for one.
    for index in [
        "invoices_tenant_created",
        "invoices_customer_created",
        "invoices_tenant_invoice_no_unique",
        "invoices_tenant_payment_status",
        "customers_tenant_name",
        "customers_tenant_dues",
        "items_tenant_category",
        "items_tenant_stock",
        "items_tenant_sku_key_live_unique",
        "returns_tenant_created",
        "returns_invoice",
        "returns_customer",
        "sales_orders_tenant_status",
        "sales_orders_tenant_created",
        "sales_orders_customer_status",
        "ledger_transactions_customer_created",
        "ledger_transactions_invoice",
        "refresh_tokens_token_hash_unique",
        "sessions_expires_at",
        "refresh_tokens_expires_at",
        "password_reset_tokens_expires_at",
    ] {
        assert!(indexes.contains(&index), "{index} missing");
    }
}
