//! Inventory over HTTP: whitelisted fields, the stock ledger, low stock, scan, alerts, isolation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, token};

both_backends!(
    items_are_created_listed_and_read_with_the_fields_the_frontend_reads,
    bad_items_and_duplicates_are_refused_and_change_nothing,
    updates_take_whitelisted_fields_and_log_stock_adjustments,
    reserved_stock_blocks_adjustments_below_it_and_deletion,
    low_stock_scan_and_alerts_use_available_stock,
    another_shop_gets_404_on_every_item_id,
);

async fn shop(app: &TestApp, email: &str) -> String {
    token(&app.register(email).await)
}

async fn create(app: &TestApp, t: &str, body: Value) -> crate::helpers::Reply {
    app.post("/api/inventory", Some(t), body).await
}

async fn item(app: &TestApp, t: &str, body: Value) -> Value {
    let r = create(app, t, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["item"].clone()
}

async fn movements(app: &TestApp, t: &str, id: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/inventory/{id}/movements"), Some(t))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body.as_array().unwrap().clone()
}

async fn count_items(app: &TestApp, t: &str) -> usize {
    app.get("/api/inventory", Some(t))
        .await
        .body
        .as_array()
        .unwrap()
        .len()
}

async fn items_are_created_listed_and_read_with_the_fields_the_frontend_reads(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = shop(&app, "owner@shop.in").await;
    let r = create(
        &app,
        &t,
        json!({"name": "Rice 1kg", "sku": "RICE-1", "category": "Grains", "costPrice": 42.5,
        "sellingPrice": "55.50", "stockQty": 10, "lowStockLimit": 5, "unit": "pcs"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["alerts"].is_array());
    let i = &r.body["item"];
    for key in [
        "_id",
        "name",
        "sku",
        "barcode",
        "category",
        "costPrice",
        "sellingPrice",
        "stockQty",
        "reservedStock",
        "lowStockLimit",
        "unit",
        "availableStock",
        "createdAt",
    ] {
        assert!(i.get(key).is_some(), "{key} in {i}");
    }
    assert_eq!(
        (i["costPrice"].as_f64(), i["sellingPrice"].as_f64()),
        (Some(42.5), Some(55.5))
    );
    assert_eq!(
        (
            i["stockQty"].as_f64(),
            i["availableStock"].as_f64(),
            i["taxRate"].as_f64()
        ),
        (Some(10.0), Some(10.0), Some(18.0))
    );
    let id = i["_id"].as_str().unwrap();
    item(&app, &t, json!({"name": "Dal 500g", "costPrice": 0, "sellingPrice": 60, "taxRate": 0, "stockQty": 0.5})).await;
    let list = app.get("/api/inventory", Some(&t)).await.body;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Dal 500g", "Rice 1kg"], "newest first");
    assert_eq!(
        app.get(&format!("/api/inventory/{id}"), Some(&t))
            .await
            .body["name"],
        "Rice 1kg"
    );
    let ledger = movements(&app, &t, id).await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        (
            ledger[0]["type"].as_str(),
            ledger[0]["before"].as_f64(),
            ledger[0]["after"].as_f64()
        ),
        (Some("OPENING_STOCK"), Some(0.0), Some(10.0))
    );
}

async fn bad_items_and_duplicates_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = shop(&app, "owner@shop.in").await;
    item(
        &app,
        &t,
        json!({"name": "Rice 1kg", "sku": "RICE-1", "costPrice": 40, "sellingPrice": 50}),
    )
    .await;
    let cases = [
        (
            json!({"costPrice": 1, "sellingPrice": 2}),
            "Please fill all required fields",
        ),
        (
            json!({"name": "X", "sellingPrice": 2}),
            "Please fill all required fields",
        ),
        (
            json!({"name": "X", "costPrice": -1, "sellingPrice": 2}),
            "costPrice must not be negative",
        ),
        (
            json!({"name": "X", "costPrice": 1, "sellingPrice": 2, "taxRate": 101}),
            "taxRate must be between 0 and 100",
        ),
        (
            json!({"name": "X", "costPrice": 1, "sellingPrice": 2, "stockQty": -3}),
            "stockQty must not be negative",
        ),
        (
            json!({"name": "rice 1KG", "costPrice": 1, "sellingPrice": 2}),
            "Item already exists in your inventory",
        ),
        (
            json!({"name": "Other", "sku": "rice-1", "costPrice": 1, "sellingPrice": 2}),
            "An item with this SKU already exists in your inventory",
        ),
    ];
    for (body, message) in cases {
        let r = create(&app, &t, body.clone()).await;
        assert_eq!(
            (r.status, r.message()),
            (StatusCode::BAD_REQUEST, message),
            "{body}"
        );
    }
    for body in [
        json!({"name": "X", "costPrice": "abc", "sellingPrice": 2}),
        json!({"name": "X", "costPrice": 1, "sellingPrice": 2, "stockQty": 1.2345}),
    ] {
        let r = create(&app, &t, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            r.message().starts_with("costPrice:") || r.message().starts_with("stockQty:"),
            "{}",
            r.message()
        );
    }
    assert_eq!(count_items(&app, &t).await, 1, "nothing was created");
}

async fn updates_take_whitelisted_fields_and_log_stock_adjustments(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = shop(&app, "owner@shop.in").await;
    let other = app.register("other@shop.in").await;
    let id = item(
        &app,
        &t,
        json!({"name": "Rice 1kg", "costPrice": 40, "sellingPrice": 50, "stockQty": 10}),
    )
    .await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    item(
        &app,
        &t,
        json!({"name": "Sugar", "costPrice": 40, "sellingPrice": 50}),
    )
    .await;
    let body = json!({"name": "Basmati 1kg", "sellingPrice": 61.25, "stockQty": 7, "reservedStock": 99, "addedBy": other["_id"],
        "_id": "000000000000000000000000", "inTransitStock": 5});
    let r = app
        .call(
            Method::PUT,
            &format!("/api/inventory/{id}"),
            Some(&t),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let u = &r.body["updated"];
    assert_eq!(
        (
            u["_id"].as_str(),
            u["name"].as_str(),
            u["sellingPrice"].as_f64()
        ),
        (Some(id.as_str()), Some("Basmati 1kg"), Some(61.25))
    );
    assert_eq!(
        (
            u["stockQty"].as_f64(),
            u["reservedStock"].as_f64(),
            u["inTransitStock"].as_f64()
        ),
        (Some(7.0), Some(0.0), Some(0.0))
    );
    assert_ne!(u["addedBy"], other["_id"]);
    assert!(r.body["alerts"].is_array());
    let ledger = movements(&app, &t, &id).await;
    assert_eq!(ledger[0]["type"], "ADJUSTMENT");
    assert_eq!(
        (
            ledger[0]["before"].as_f64(),
            ledger[0]["after"].as_f64(),
            ledger[0]["quantity"].as_f64()
        ),
        (Some(10.0), Some(7.0), Some(-3.0))
    );
    assert_eq!(
        ledger[0]["after"], u["stockQty"],
        "the ledger's last after equals stockQty"
    );
    let clash = app
        .call(
            Method::PUT,
            &format!("/api/inventory/{id}"),
            Some(&t),
            Some(json!({"name": "SUGAR"})),
        )
        .await;
    assert_eq!(
        (clash.status, clash.message()),
        (
            StatusCode::BAD_REQUEST,
            "Item name already exists in your inventory"
        )
    );
    // Unchanged stock writes no movement.
    app.call(
        Method::PUT,
        &format!("/api/inventory/{id}"),
        Some(&t),
        Some(json!({"stockQty": 7})),
    )
    .await;
    assert_eq!(movements(&app, &t, &id).await.len(), 2);
}

async fn reserved_stock_blocks_adjustments_below_it_and_deletion(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = shop(&app, "owner@shop.in").await;
    let id = item(
        &app,
        &t,
        json!({"name": "Rice", "costPrice": 40, "sellingPrice": 50, "stockQty": 10}),
    )
    .await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Sales orders arrive with their issue; reserve directly for now.
    sqlx::query("update items set reserved_stock = 4000 where id = $1")
        .bind(&id)
        .execute(app.db.writer())
        .await
        .unwrap();
    let r = app
        .call(
            Method::PUT,
            &format!("/api/inventory/{id}"),
            Some(&t),
            Some(json!({"stockQty": 3, "name": "Renamed"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().contains("reserved"), "{}", r.message());
    let now = app
        .get(&format!("/api/inventory/{id}"), Some(&t))
        .await
        .body;
    assert_eq!(
        (
            now["stockQty"].as_f64(),
            now["name"].as_str(),
            now["availableStock"].as_f64()
        ),
        (Some(10.0), Some("Rice"), Some(6.0)),
        "nothing changed"
    );
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/inventory/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    sqlx::query("update items set reserved_stock = 0 where id = $1")
        .bind(&id)
        .execute(app.db.writer())
        .await
        .unwrap();
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/inventory/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!((r.status, r.message()), (StatusCode::OK, "Item deleted"));
    assert_eq!(
        app.get(&format!("/api/inventory/{id}"), Some(&t))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(count_items(&app, &t).await, 0);
    let (kept,): (i64,) = sqlx::query_as("select count(*) from items where id = $1")
        .bind(&id)
        .fetch_one(app.db.reader())
        .await
        .unwrap();
    assert_eq!(kept, 1, "history is kept");
    // The name is free again.
    item(
        &app,
        &t,
        json!({"name": "Rice", "costPrice": 40, "sellingPrice": 50}),
    )
    .await;
}

async fn low_stock_scan_and_alerts_use_available_stock(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = shop(&app, "owner@shop.in").await;
    let out = create(
        &app,
        &t,
        json!({"name": "Salt", "costPrice": 10, "sellingPrice": 12, "stockQty": 0}),
    )
    .await;
    let salt = out.body["item"]["_id"].as_str().unwrap().to_owned();
    assert!(
        out.body["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["type"] == "out-of-stock" && a["message"] == "Salt is out of stock!")
    );
    let low = item(&app, &t, json!({"name": "Oil", "costPrice": 100, "sellingPrice": 120, "stockQty": 3, "barcode": "8901234", "supplierSKU": "SUP-9"})).await;
    let plenty = item(&app, &t, json!({"name": "Tea", "sku": "TEA-1", "costPrice": 100, "sellingPrice": 120, "stockQty": 10})).await;
    sqlx::query("update items set reserved_stock = 6000 where id = $1")
        .bind(plenty["_id"].as_str().unwrap())
        .execute(app.db.writer())
        .await
        .unwrap();
    let listed = app.get("/api/inventory/low-stock", Some(&t)).await.body;
    let mut names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["Oil", "Salt", "Tea"],
        "available 0, 3 and 10 − 6 = 4 are all ≤ 5"
    );
    let r = app
        .call(
            Method::PUT,
            &format!("/api/inventory/{salt}"),
            Some(&t),
            Some(json!({"lowStockLimit": 0, "stockQty": 1})),
        )
        .await;
    let alerts = r.body["alerts"].as_array().unwrap();
    assert!(
        alerts
            .iter()
            .any(|a| a["message"] == "Oil is running low (only 3 left)"),
        "{alerts:?}"
    );
    assert!(
        !alerts.iter().any(|a| a["itemId"] == salt.as_str()),
        "Salt: 1 > limit 0"
    );
    for code in ["8901234", "tea-1", "SUP-9"] {
        let r = app
            .get(&format!("/api/inventory/scan?code={code}"), Some(&t))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{code}");
        assert_eq!(r.body["lastPurchaseRate"], r.body["costPrice"]);
    }
    assert_eq!(
        app.get("/api/inventory/scan?code=8901234", Some(&t))
            .await
            .body["_id"],
        low["_id"]
    );
    let blank = app.get("/api/inventory/scan?code=%20", Some(&t)).await;
    assert_eq!(
        (blank.status, blank.message()),
        (StatusCode::BAD_REQUEST, "Scan code is required")
    );
    let none = app.get("/api/inventory/scan?code=nope", Some(&t)).await;
    assert_eq!(
        (none.status, none.message()),
        (StatusCode::NOT_FOUND, "Item not found")
    );
}

async fn another_shop_gets_404_on_every_item_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = shop(&app, "a@shop.in").await;
    let b = shop(&app, "b@shop.in").await;
    let id = item(
        &app,
        &a,
        json!({"name": "Rice", "sku": "R1", "costPrice": 40, "sellingPrice": 50, "stockQty": 2}),
    )
    .await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let missing = "0123456789abcdef01234567";
    for target in [id.as_str(), missing] {
        for (method, path, body) in [
            (Method::GET, format!("/api/inventory/{target}"), None),
            (
                Method::PUT,
                format!("/api/inventory/{target}"),
                Some(json!({"stockQty": 99})),
            ),
            (Method::DELETE, format!("/api/inventory/{target}"), None),
            (
                Method::GET,
                format!("/api/inventory/{target}/movements"),
                None,
            ),
        ] {
            let r = app.call(method.clone(), &path, Some(&b), body).await;
            assert_eq!(
                (r.status, r.message()),
                (StatusCode::NOT_FOUND, "Item not found or unauthorized"),
                "{method} {path}"
            );
        }
    }
    assert_eq!(app.get("/api/inventory", Some(&b)).await.body, json!([]));
    assert_eq!(
        app.get("/api/inventory/low-stock", Some(&b)).await.body,
        json!([])
    );
    assert_eq!(
        app.get("/api/inventory/scan?code=R1", Some(&b))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // B may use the same name and SKU in its own shop.
    item(
        &app,
        &b,
        json!({"name": "Rice", "sku": "R1", "costPrice": 1, "sellingPrice": 2}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/inventory/{id}"), Some(&a))
            .await
            .body["stockQty"]
            .as_f64(),
        Some(2.0),
        "A's item untouched"
    );
    let bad = app.get("/api/inventory/not-an-id", Some(&a)).await;
    assert_eq!(
        (bad.status, bad.message()),
        (StatusCode::BAD_REQUEST, "Invalid item ID format")
    );
    assert_eq!(
        app.get("/api/inventory", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
