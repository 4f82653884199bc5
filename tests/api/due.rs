//! Due adjustments: dues lowered with one ledger row, every method, validation, idempotency.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, token};

both_backends!(
    an_adjustment_lowers_dues_with_one_ledger_row_for_every_method,
    bad_adjustments_are_refused_and_change_nothing,
    an_idempotency_key_replays_and_never_adjusts_twice,
    adjustments_are_listed_per_shop_and_customer,
);

async fn customer_owing(app: &TestApp, t: &str, phone: &str, dues_paise: i64) -> String {
    let r = app
        .post(
            "/api/customers",
            Some(t),
            json!({"name": format!("C {phone}"), "phone": phone}),
        )
        .await;
    let id = r.body["_id"].as_str().unwrap().to_owned();
    // Sales book dues with their issue; set them directly for now.
    sqlx::query("update customers set dues = $1 where id = $2")
        .bind(dues_paise)
        .bind(&id)
        .execute(app.db.writer())
        .await
        .unwrap();
    id
}

async fn dues(app: &TestApp, t: &str, id: &str) -> f64 {
    app.get(&format!("/api/customers/{id}"), Some(t)).await.body["dues"]
        .as_f64()
        .unwrap()
}

async fn ledger(app: &TestApp, t: &str, id: &str) -> Vec<Value> {
    app.get(&format!("/api/customers/{id}/transactions"), Some(t))
        .await
        .body["transactions"]
        .as_array()
        .unwrap()
        .clone()
}

async fn an_adjustment_lowers_dues_with_one_ledger_row_for_every_method(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let id = customer_owing(&app, &t, "9000000001", 12_500).await;
    let r = app.post("/api/due/adjust", Some(&t), json!({"customerId": id, "adjustmentAmount": "25.505", "adjustmentMethod": "cash", "notes": "counter"})).await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::CREATED, "Due adjustment created successfully"),
        "{:?}",
        r.body
    );
    let a = &r.body["adjustment"];
    assert_eq!(
        (
            a["previousDue"].as_f64(),
            a["updatedDue"].as_f64(),
            a["adjustmentAmount"].as_f64()
        ),
        (Some(125.0), Some(99.49), Some(25.51))
    );
    assert_eq!(a["customer"]["dues"].as_f64(), Some(99.49));
    assert_eq!(dues(&app, &t, &id).await, 99.49);
    for (method, ledger_method) in [
        ("bank", "bank_transfer"),
        ("credit", "credit"),
        ("original_payment", "original_payment"),
    ] {
        let r = app
            .post(
                "/api/due/adjust",
                Some(&t),
                json!({"customerId": id, "adjustmentAmount": 10, "adjustmentMethod": method}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{method}: {:?}", r.body);
        assert_eq!(
            ledger(&app, &t, &id).await[0]["paymentMethod"],
            ledger_method
        );
    }
    assert_eq!(dues(&app, &t, &id).await, 69.49);
    let rows = ledger(&app, &t, &id).await;
    assert_eq!(rows.len(), 4, "one ledger row per adjustment");
    assert!(
        rows.iter()
            .all(|r| r["type"] == "due_adjustment" && r["amount"].as_f64().unwrap() > 0.0)
    );
    let effects: f64 = rows.iter().map(|r| r["effect"].as_f64().unwrap()).sum();
    assert!(
        (effects - (69.49 - 125.0)).abs() < 0.001,
        "Σ effects = change of dues"
    );
}

async fn bad_adjustments_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let other = token(&app.register("other@shop.in").await);
    let id = customer_owing(&app, &t, "9000000001", 5_000).await;
    let foreign = customer_owing(&app, &other, "9000000002", 5_000).await;
    let cases = [
        (
            json!({"adjustmentAmount": 1, "adjustmentMethod": "cash"}),
            StatusCode::BAD_REQUEST,
            "Please provide customerId, adjustmentAmount and adjustmentMethod",
        ),
        (
            json!({"customerId": "nope", "adjustmentAmount": 1, "adjustmentMethod": "cash"}),
            StatusCode::BAD_REQUEST,
            "Invalid customer ID format",
        ),
        (
            json!({"customerId": id, "adjustmentAmount": 0, "adjustmentMethod": "cash"}),
            StatusCode::BAD_REQUEST,
            "Adjustment amount must be greater than 0",
        ),
        (
            json!({"customerId": id, "adjustmentAmount": -5, "adjustmentMethod": "cash"}),
            StatusCode::BAD_REQUEST,
            "Adjustment amount must be greater than 0",
        ),
        (
            json!({"customerId": id, "adjustmentAmount": 1, "adjustmentMethod": "barter"}),
            StatusCode::BAD_REQUEST,
            "Invalid adjustment method",
        ),
        (
            json!({"customerId": id, "adjustmentAmount": 50.01, "adjustmentMethod": "cash"}),
            StatusCode::BAD_REQUEST,
            "Adjustment amount cannot exceed the customer's outstanding dues (₹50.00)",
        ),
        (
            json!({"customerId": foreign, "adjustmentAmount": 1, "adjustmentMethod": "cash"}),
            StatusCode::NOT_FOUND,
            "Customer not found or unauthorized",
        ),
        (
            json!({"customerId": "0123456789abcdef01234567", "adjustmentAmount": 1, "adjustmentMethod": "cash"}),
            StatusCode::NOT_FOUND,
            "Customer not found or unauthorized",
        ),
    ];
    for (body, status, message) in cases {
        let r = app.post("/api/due/adjust", Some(&t), body.clone()).await;
        assert_eq!((r.status, r.message()), (status, message), "{body}");
    }
    let r = app
        .post(
            "/api/due/adjust",
            Some(&t),
            json!({"customerId": id, "adjustmentAmount": "lots", "adjustmentMethod": "cash"}),
        )
        .await;
    assert!(
        r.status == StatusCode::BAD_REQUEST && r.message().starts_with("adjustmentAmount:"),
        "{}",
        r.message()
    );
    assert_eq!(dues(&app, &t, &id).await, 50.0);
    assert!(ledger(&app, &t, &id).await.is_empty());
    assert_eq!(dues(&app, &other, &foreign).await, 50.0);
}

async fn an_idempotency_key_replays_and_never_adjusts_twice(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let id = customer_owing(&app, &t, "9000000001", 10_000).await;
    let body = json!({"customerId": id, "adjustmentAmount": 10, "adjustmentMethod": "cash"});
    let send = |key: &'static str, body: Value| {
        let app = &app;
        let t = t.clone();
        async move {
            app.call_with(
                Method::POST,
                "/api/due/adjust",
                Some(&t),
                Some(body),
                &[("idempotency-key", key)],
            )
            .await
        }
    };
    let first = send("k-1", body.clone()).await;
    let again = send(
        "k-1",
        json!({"adjustmentMethod": "cash", "adjustmentAmount": 10, "customerId": id}),
    )
    .await;
    assert_eq!(
        (first.status, again.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(
        first.body, again.body,
        "the first response is replayed (key order in the body does not matter)"
    );
    assert_eq!(dues(&app, &t, &id).await, 90.0);
    let other_body = send(
        "k-1",
        json!({"customerId": id, "adjustmentAmount": 11, "adjustmentMethod": "cash"}),
    )
    .await;
    assert_eq!(other_body.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A refusal is replayed too.
    let too_much = json!({"customerId": id, "adjustmentAmount": 500, "adjustmentMethod": "cash"});
    assert_eq!(
        send("k-2", too_much.clone()).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(send("k-2", too_much).await.status, StatusCode::BAD_REQUEST);
    // Concurrent duplicates: exactly one adjustment.
    let racers = (0..8).map(|_| send("k-3", body.clone()));
    let replies = futures::future::join_all(racers).await;
    assert!(
        replies
            .iter()
            .all(|r| r.status == StatusCode::CREATED || r.status == StatusCode::CONFLICT),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(
        dues(&app, &t, &id).await,
        80.0,
        "one adjustment among the duplicates"
    );
    assert_eq!(ledger(&app, &t, &id).await.len(), 2);
    // Keys are per shop.
    let other = token(&app.register("other@shop.in").await);
    let theirs = customer_owing(&app, &other, "9000000002", 10_000).await;
    let r = app
        .call_with(
            Method::POST,
            "/api/due/adjust",
            Some(&other),
            Some(json!({"customerId": theirs, "adjustmentAmount": 10, "adjustmentMethod": "cash"})),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(dues(&app, &other, &theirs).await, 90.0);
}

async fn adjustments_are_listed_per_shop_and_customer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let other = token(&app.register("other@shop.in").await);
    let a = customer_owing(&app, &t, "9000000001", 10_000).await;
    let b = customer_owing(&app, &t, "9000000002", 10_000).await;
    for (c, amount) in [(&a, 1), (&b, 2), (&a, 3)] {
        app.post(
            "/api/due/adjust",
            Some(&t),
            json!({"customerId": c, "adjustmentAmount": amount, "adjustmentMethod": "cash"}),
        )
        .await;
    }
    let all = app.get("/api/due/adjustments", Some(&t)).await.body;
    let amounts: Vec<f64> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["adjustmentAmount"].as_f64().unwrap())
        .collect();
    assert_eq!(amounts, [3.0, 2.0, 1.0], "newest first");
    let mine = app
        .get(&format!("/api/due/customer/{a}/adjustments"), Some(&t))
        .await
        .body;
    assert_eq!(mine["customer"]["phone"], "9000000001");
    assert_eq!(mine["adjustments"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/api/due/adjustments", Some(&other)).await.body,
        json!([])
    );
    assert_eq!(
        app.get(&format!("/api/due/customer/{a}/adjustments"), Some(&other))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/due", Some(&t)).await.status,
        StatusCode::NOT_IMPLEMENTED
    );
}
