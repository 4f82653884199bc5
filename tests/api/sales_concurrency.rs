//! Sales under concurrency: no oversold stock, gap-free numbers, no deadlock surfacing, payments
//! and credit never applied twice, and `Idempotency-Key` on the sale and both payment routes.

use std::collections::BTreeSet;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Reply, TestApp};
use crate::shop::{Shop, paise};

both_backends!(
    a_hundred_concurrent_sales_of_twenty_units_sell_exactly_twenty,
    concurrent_multi_item_sales_in_different_orders_all_succeed,
    sales_refused_after_taking_stock_roll_back_alone_among_concurrent_ones,
    concurrent_payments_never_exceed_the_balance_and_credit_is_spent_once,
    idempotency_keys_make_a_sale_and_a_payment_happen_once,
);

async fn post_with_key(
    app: &TestApp,
    shop: &Shop<'_>,
    method: Method,
    path: &str,
    key: &str,
    body: Value,
) -> Reply {
    app.call_with(
        method,
        path,
        shop.t(),
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

async fn a_hundred_concurrent_sales_of_twenty_units_sell_exactly_twenty(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Phone", json!(999), json!(20)).await;
    let replies =
        join_all((0..100).map(|_| {
            shop.sell(json!({"items": [{"item": item, "quantity": 1}], "paidAmount": 999}))
        }))
        .await;
    let mut numbers = BTreeSet::new();
    let mut refused = 0;
    for r in &replies {
        match r.status {
            StatusCode::CREATED => {
                numbers.insert(r.body["invoice"]["invoiceNo"].as_str().unwrap().to_owned());
            }
            StatusCode::BAD_REQUEST => {
                assert!(
                    r.message().starts_with("Insufficient stock for Phone"),
                    "{:?}",
                    r.body
                );
                refused += 1;
            }
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    let expected: BTreeSet<String> = (1..=20).map(|n| format!("INV-{n:05}")).collect();
    assert_eq!(numbers, expected, "gap-free and unique");
    assert_eq!(refused, 80);
    assert_eq!(shop.stock(&item).await, 0);
    let movements = shop.movements(&item).await;
    assert_eq!(movements.len(), 21, "opening stock and one per sale");
    assert_eq!(movements[0]["after"].as_f64(), Some(0.0));
    // The next sale after the rush takes the next number: refusals consumed none.
    let case = shop.item("Case", json!(5), json!(1)).await;
    let next = shop
        .sold(json!({"items": [{"item": case, "quantity": 1}], "paidAmount": 5}))
        .await;
    assert_eq!(next["invoiceNo"], "INV-00021");
}

async fn concurrent_multi_item_sales_in_different_orders_all_succeed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let mut items = Vec::new();
    for name in ["A", "B", "C", "D"] {
        items.push(shop.item(name, json!(10), json!(1000)).await);
    }
    let c = shop.customer("9000000021").await;
    // Each sale takes the four items in another order (and one item twice).
    let bodies: Vec<Value> = (0..40)
        .map(|n| {
            let mut order = items.clone();
            order.rotate_left(n % 4);
            if n % 2 == 1 {
                order.reverse();
            }
            let mut lines: Vec<Value> = order
                .iter()
                .map(|i| json!({"item": i, "quantity": 1}))
                .collect();
            lines.push(json!({"item": order[0], "quantity": 2}));
            let customer = if n % 3 == 0 { json!(c) } else { Value::Null };
            json!({"customerId": customer, "items": lines, "paidAmount": 60})
        })
        .collect();
    let replies = join_all(bodies.iter().map(|b| shop.sell(b.clone()))).await;
    for r in &replies {
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let mut total = 0;
    for item in &items {
        total += 1_000_000 - shop.stock(item).await;
    }
    assert_eq!(total, 40 * 6 * 1000, "every unit sold exactly once");
    assert_eq!(shop.invoices().await.len(), 40);
}

/// On SQLite concurrent sales share one transaction (group commit): a sale refused after it took
/// stock (a walk-in paying too little) must roll back alone, leaving its neighbours committed.
async fn sales_refused_after_taking_stock_roll_back_alone_among_concurrent_ones(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Bulb", json!(40), json!(1000)).await;
    let replies = join_all((0..60).map(|n| {
        let paid = if n % 2 == 0 { 80 } else { 79 };
        shop.sell(json!({"items": [{"item": item, "quantity": 2}], "paidAmount": paid}))
    }))
    .await;
    let mut numbers = BTreeSet::new();
    for (n, r) in replies.iter().enumerate() {
        if n % 2 == 0 {
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            numbers.insert(r.body["invoice"]["invoiceNo"].as_str().unwrap().to_owned());
        } else {
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        }
    }
    let expected: BTreeSet<String> = (1..=30).map(|n| format!("INV-{n:05}")).collect();
    assert_eq!(numbers, expected);
    assert_eq!(shop.stock(&item).await, 1_000_000 - 30 * 2_000);
    assert_eq!(shop.movements(&item).await.len(), 31);
    assert_eq!(shop.invoices().await.len(), 30);
}

async fn concurrent_payments_never_exceed_the_balance_and_credit_is_spent_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Fan", json!(100), json!(100)).await;
    let c = shop.customer("9000000022").await;
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paymentMethod": "due"}))
        .await;
    let id = inv["_id"].as_str().unwrap();
    let replies =
        join_all((0..20).map(|_| shop.pay(id, json!({"amount": 15, "paymentMethod": "cash"}))))
            .await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    for r in replies.iter().filter(|r| r.status != StatusCode::OK) {
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
    }
    assert_eq!(ok, 6, "6 × 15 fit into 100, a seventh does not");
    let doc = shop.invoice(id).await;
    assert_eq!(
        (paise(&doc["paidAmount"]), paise(&doc["balanceDue"])),
        (9_000, 1_000)
    );
    assert_eq!(shop.dues(&c).await, 1_000);
    // Credit of 100 and ten concurrent sales each asking for 30 of it: three get it.
    let rich = shop.customer("9000000023").await;
    shop.sold(
        json!({"customerId": rich, "items": [{"item": item, "quantity": 1}], "paidAmount": 200}),
    )
    .await;
    assert_eq!(shop.dues(&rich).await, -10_000);
    let cheap = shop.item("Pin", json!(30), json!(100)).await;
    let replies = join_all((0..10).map(|_| {
        shop.sell(json!({"customerId": rich, "items": [{"item": cheap, "quantity": 1}], "creditApplied": 30, "paymentMethod": "credit"}))
    }))
    .await;
    let ok = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    for r in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert!(
            r.message()
                .starts_with("Credit applied (₹30) exceeds available credit (₹10)"),
            "{}",
            r.message()
        );
    }
    assert_eq!(ok, 3);
    assert_eq!(shop.dues(&rich).await, -1_000);
}

async fn idempotency_keys_make_a_sale_and_a_payment_happen_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Lamp", json!(250), json!(50)).await;
    let c = shop.customer("9000000024").await;
    let body =
        json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paymentMethod": "due"});
    // Eight concurrent duplicates (a double click, a retry): one sale.
    let replies = join_all((0..8).map(|_| {
        post_with_key(
            &app,
            &shop,
            Method::POST,
            "/api/pos/invoice",
            "checkout-1",
            body.clone(),
        )
    }))
    .await;
    let mut ids = BTreeSet::new();
    for r in &replies {
        match r.status {
            StatusCode::CREATED => {
                ids.insert(r.body["invoice"]["_id"].as_str().unwrap().to_owned());
            }
            StatusCode::CONFLICT => assert!(r.message().contains("still being processed")),
            other => panic!("unexpected {other}: {:?}", r.body),
        }
    }
    assert_eq!(ids.len(), 1, "every success is the same sale");
    assert_eq!(shop.invoices().await.len(), 1);
    assert_eq!(shop.stock(&item).await, 49_000);
    // Afterwards: the replay, then another body under the same key is a 422.
    let again = post_with_key(
        &app,
        &shop,
        Method::POST,
        "/api/pos/invoice",
        "checkout-1",
        body.clone(),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers.get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        again.body["invoice"]["_id"].as_str(),
        ids.iter().next().map(String::as_str)
    );
    let other = post_with_key(
        &app,
        &shop,
        Method::POST,
        "/api/pos/invoice",
        "checkout-1",
        json!({"customerId": c, "items": [{"item": item, "quantity": 2}]}),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A refused sale under a key is replayed as refused, and consumed nothing.
    let refused = json!({"items": [{"item": item, "quantity": 1}], "paidAmount": 1});
    let first = post_with_key(
        &app,
        &shop,
        Method::POST,
        "/api/pos/invoice",
        "checkout-2",
        refused.clone(),
    )
    .await;
    let second = post_with_key(
        &app,
        &shop,
        Method::POST,
        "/api/pos/invoice",
        "checkout-2",
        refused,
    )
    .await;
    assert_eq!(
        (first.status, second.status),
        (StatusCode::BAD_REQUEST, StatusCode::BAD_REQUEST)
    );
    assert_eq!(first.body, second.body);
    // Payments, on both routes: one payment per key, and a key is per invoice.
    let id = ids.iter().next().unwrap().clone();
    let pay = json!({"amount": 10, "paymentMethod": "cash"});
    let path = format!("/api/pos/invoice/{id}/payment");
    let replies = join_all(
        (0..6).map(|_| post_with_key(&app, &shop, Method::PUT, &path, "pay-1", pay.clone())),
    )
    .await;
    assert!(
        replies
            .iter()
            .all(|r| r.status == StatusCode::OK || r.status == StatusCode::CONFLICT)
    );
    let path = format!("/api/sales-invoice/invoice/{id}/mark-paid");
    let r1 = post_with_key(&app, &shop, Method::PUT, &path, "pay-1", pay.clone()).await;
    let r2 = post_with_key(&app, &shop, Method::PUT, &path, "pay-1", pay.clone()).await;
    assert_eq!((r1.status, r2.status), (StatusCode::OK, StatusCode::OK));
    assert_eq!(r2.headers.get("idempotent-replayed").unwrap(), "true");
    let doc = shop.invoice(&id).await;
    assert_eq!(
        paise(&doc["paidAmount"]),
        2_000,
        "one payment per route and key"
    );
    assert_eq!(shop.dues(&c).await, 23_000);
    assert_eq!(shop.ledger(&c).await.len(), 3);
    // A request whose stale claim was taken over by a later one cannot store its outcome (its
    // transaction rolls back): only the claim's owner completes a key.
    let tenant = app.get("/api/auth/profile", shop.t()).await.body["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = "stale-1";
    sqlx::query(
        "insert into idempotency_keys (tenant_id, method, route, key, request_hash, state, created_at, updated_at) \
         values ($1, 'POST', '/api/pos/invoice', $2, 'h', 'in_progress', 1, 1)",
    )
    .bind(&tenant)
    .bind(key)
    .execute(app.db.writer())
    .await
    .unwrap();
    let first_claim = store::idempotency::KeyScope {
        tenant_id: tenant.clone(),
        method: "POST".into(),
        route: "/api/pos/invoice".into(),
        key: key.into(),
        request_hash: "h".into(),
        claimed_at: 1,
    };
    let taken = post_with_key(
        &app,
        &shop,
        Method::POST,
        "/api/pos/invoice",
        key,
        body.clone(),
    )
    .await;
    assert_eq!(
        taken.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another body's stale key is still that body's"
    );
    sqlx::query("update idempotency_keys set updated_at = 2 where key = $1")
        .bind(key)
        .execute(app.db.writer())
        .await
        .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    let outcome = store::idempotency::complete(&mut tx, &first_claim, 201, "{}", 3).await;
    assert!(
        matches!(outcome, Err(store::StoreError::KeyTakenOver)),
        "{outcome:?}"
    );
}
