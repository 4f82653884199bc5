//! Bulk import: the per-row report, stock added (one movement per row), one transaction, limits.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Options, TestApp, token};

both_backends!(
    import_creates_and_updates_items_and_reports_every_bad_row,
    importing_twice_adds_the_stock_twice_with_one_movement_per_row,
    twenty_thousand_rows_import_in_one_request,
    import_bodies_have_their_own_size_limit,
);

async fn import(app: &TestApp, t: &str, items: Value) -> crate::helpers::Reply {
    app.post("/api/inventory/import", Some(t), json!({"items": items}))
        .await
}

async fn import_creates_and_updates_items_and_reports_every_bad_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    app.post(
        "/api/inventory",
        Some(&t),
        json!({"name": "Rice", "sku": "R-1", "costPrice": 40, "sellingPrice": 50, "stockQty": 5}),
    )
    .await;
    let r = import(&app, &t, json!([
        {"name": "rice", "sku": "r-1", "category": "Grains", "costPrice": 41, "sellingPrice": "52.5", "stockQty": 10, "unit": "kg"},
        {"name": "Dal", "category": "Pulses", "costPrice": 80, "sellingPrice": 95, "stockQty": 2.5},
        {"name": "", "category": "X", "costPrice": 1, "sellingPrice": 1},
        {"name": "Oil", "category": "Oils", "costPrice": "abc", "sellingPrice": 1, "unit": "barrel"},
        {"name": "Tea A", "sku": "T-9", "category": "Tea", "costPrice": 1, "sellingPrice": 2},
        {"name": "Tea B", "sku": "t-9", "category": "Tea", "costPrice": 1, "sellingPrice": 2},
        {"name": "Salt", "costPrice": 1, "sellingPrice": 2},
        {"name": "DAL", "category": "Pulses", "costPrice": 80, "sellingPrice": 95, "stockQty": 1}
    ])).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.message(),
        "Import completed: 1 items created, 2 items updated, 5 skipped"
    );
    assert_eq!(
        (
            r.body["imported"].as_u64(),
            r.body["updated"].as_u64(),
            r.body["skipped"].as_u64()
        ),
        (Some(1), Some(2), Some(5))
    );
    let report = r.body["validationErrors"].as_array().unwrap();
    let rows: Vec<u64> = report.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert_eq!(rows, [3, 4, 5, 6, 7]);
    let oil = &report[1]["errors"];
    assert_eq!(
        oil.as_array().unwrap().len(),
        2,
        "every problem of a row is reported: {oil}"
    );
    assert!(
        report[2]["errors"][0]
            .as_str()
            .unwrap()
            .contains("more than once")
    );
    let items = app.get("/api/inventory", Some(&t)).await.body;
    let rice = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["sku"] == "R-1")
        .unwrap();
    assert_eq!(
        (
            rice["stockQty"].as_f64(),
            rice["sellingPrice"].as_f64(),
            rice["unit"].as_str(),
            rice["name"].as_str()
        ),
        (Some(15.0), Some(52.5), Some("kg"), Some("Rice"))
    );
    let dal = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "Dal")
        .unwrap();
    assert_eq!(
        dal["stockQty"].as_f64(),
        Some(3.5),
        "a later row for an item the file creates adds to it"
    );
    let dal_ledger = app
        .get(
            &format!("/api/inventory/{}/movements", dal["_id"].as_str().unwrap()),
            Some(&t),
        )
        .await
        .body;
    assert_eq!(
        dal_ledger.as_array().unwrap().len(),
        2,
        "one movement per row"
    );
    for bad in [json!([]), json!("rows"), Value::Null] {
        let r = import(&app, &t, bad).await;
        assert_eq!(
            (r.status, r.message()),
            (StatusCode::BAD_REQUEST, "No items provided for import")
        );
    }
}

async fn importing_twice_adds_the_stock_twice_with_one_movement_per_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let file = json!([{"name": "Rice", "sku": "R-1", "category": "Grains", "costPrice": 40, "sellingPrice": 50, "stockQty": 10}]);
    import(&app, &t, file.clone()).await;
    import(&app, &t, file).await;
    let item = &app.get("/api/inventory", Some(&t)).await.body[0];
    assert_eq!(item["stockQty"].as_f64(), Some(20.0));
    let ledger = app
        .get(
            &format!("/api/inventory/{}/movements", item["_id"].as_str().unwrap()),
            Some(&t),
        )
        .await
        .body;
    let ledger = ledger.as_array().unwrap();
    assert_eq!(ledger.len(), 2);
    assert_eq!(
        (
            ledger[0]["type"].as_str(),
            ledger[0]["before"].as_f64(),
            ledger[0]["after"].as_f64()
        ),
        (Some("IMPORT"), Some(10.0), Some(20.0))
    );
    assert_eq!(
        ledger[0]["after"], item["stockQty"],
        "the ledger's last after equals stockQty"
    );
}

async fn twenty_thousand_rows_import_in_one_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let rows: Vec<Value> = (0..20_000)
        .map(|i| json!({"name": format!("Item {i:05}"), "sku": format!("SKU-{i:05}"), "category": "Bulk", "costPrice": 10.25, "sellingPrice": 12.5, "stockQty": 3}))
        .collect();
    let r = import(&app, &t, Value::Array(rows)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.message());
    assert_eq!(
        (r.body["imported"].as_u64(), r.body["skipped"].as_u64()),
        (Some(20_000), Some(0))
    );
    let (items, movements, stock): (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from items), (select count(*) from stock_movements), (select cast(sum(stock_qty) as bigint) from items)",
    )
    .fetch_one(app.db.reader())
    .await
    .unwrap();
    assert_eq!((items, movements, stock), (20_000, 20_000, 60_000_000));
    let too_many: Vec<Value> = (0..20_001).map(|i| json!({"name": format!("N{i}"), "category": "C", "costPrice": 1, "sellingPrice": 1})).collect();
    let r = import(&app, &t, Value::Array(too_many)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

async fn import_bodies_have_their_own_size_limit(backend: Backend) {
    let app =
        TestApp::spawn_with(backend, Options::default().env("IMPORT_MAX_BYTES", "2MiB")).await;
    let t = token(&app.register("owner@shop.in").await);
    // 1.5 MiB: over the ordinary 1 MiB limit, under the import limit.
    let rows: Vec<Value> = (0..12_000).map(|i| json!({"name": format!("Item {i} {}", "x".repeat(60)), "category": "C", "costPrice": 1, "sellingPrice": 1})).collect();
    let body = json!({"items": rows});
    assert!(body.to_string().len() > 1024 * 1024 && body.to_string().len() < 2 * 1024 * 1024);
    assert_eq!(
        app.post("/api/inventory/import", Some(&t), body.clone())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.post("/api/inventory", Some(&t), body).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let huge: Vec<Value> = (0..20_000).map(|i| json!({"name": format!("Item {i} {}", "x".repeat(100)), "category": "C", "costPrice": 1, "sellingPrice": 1})).collect();
    let r = app
        .post("/api/inventory/import", Some(&t), json!({"items": huge}))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.message().contains("too large"));
}
