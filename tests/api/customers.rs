//! Customers over HTTP: validation, duplicates, whitelisted updates, name order, deletion rules,
//! the ledger view, and isolation between shops.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, token};

both_backends!(
    customers_are_created_and_listed_by_name_with_referrals,
    bad_customers_and_duplicates_are_refused_and_change_nothing,
    updates_take_whitelisted_fields_only,
    a_customer_with_dues_or_credit_cannot_be_deleted,
    another_shop_gets_404_on_every_customer_id,
);

async fn customer(app: &TestApp, t: &str, body: Value) -> Value {
    let r = app.post("/api/customers", Some(t), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body
}

async fn customers_are_created_and_listed_by_name_with_referrals(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let zoe = customer(&app, &t, json!({"name": "Zoë", "phone": "9000000001", "email": "ZOE@Mail.IN ", "address": "12 MG Road"})).await;
    assert_eq!(
        (
            zoe["email"].as_str(),
            zoe["dues"].as_f64(),
            zoe["referredBy"].clone()
        ),
        (Some("zoe@mail.in"), Some(0.0), Value::Null)
    );
    customer(
        &app,
        &t,
        json!({"name": "éclair", "phone": "9000000002", "referredBy": zoe["_id"]}),
    )
    .await;
    customer(
        &app,
        &t,
        json!({"name": "Eclair", "phone": "9000000003", "referredBy": ""}),
    )
    .await;
    customer(&app, &t, json!({"name": "anil", "phone": "0000000004"})).await;
    let list = app.get("/api/customers", Some(&t)).await.body;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["anil", "éclair", "Eclair", "Zoë"],
        "case- and accent-insensitive, ties in creation order"
    );
    assert_eq!(
        list[1]["referredBy"],
        json!({"_id": zoe["_id"], "name": "Zoë", "phone": "9000000001"})
    );
    assert_eq!(
        list[0]["phone"], "0000000004",
        "phones are text: leading zeros stay"
    );
    let one = app
        .get(
            &format!("/api/customers/{}", zoe["_id"].as_str().unwrap()),
            Some(&t),
        )
        .await;
    assert_eq!(
        (one.status, one.body["address"].as_str()),
        (StatusCode::OK, Some("12 MG Road"))
    );
    let ledger = app
        .get(
            &format!(
                "/api/customers/{}/transactions",
                zoe["_id"].as_str().unwrap()
            ),
            Some(&t),
        )
        .await;
    assert_eq!(
        ledger.body,
        json!({"customer": {"name": "Zoë", "phone": "9000000001"}, "transactions": []})
    );
}

async fn bad_customers_and_duplicates_are_refused_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    customer(
        &app,
        &t,
        json!({"name": "Asha", "phone": "9000000001", "email": "asha@mail.in"}),
    )
    .await;
    for (body, message) in [
        (
            json!({"phone": "9000000009"}),
            "Name and phone are required",
        ),
        (json!({"name": "B"}), "Name and phone are required"),
        (
            json!({"name": "B", "phone": "12345.6789"}),
            "Phone is not valid",
        ),
        (json!({"name": "B", "phone": "98765"}), "Phone is not valid"),
        (
            json!({"name": "B", "phone": "9000000009", "email": "not-mail"}),
            "Please enter a valid email address",
        ),
        (
            json!({"name": "B", "phone": "9000000001"}),
            "Phone number already exists in your customer list",
        ),
        (
            json!({"name": "B", "phone": "9000000009", "email": "ASHA@mail.in"}),
            "Email already exists in your customer list",
        ),
        (
            json!({"name": "B", "phone": "9000000009", "referredBy": "0123456789abcdef01234567"}),
            "Referred-by customer not found",
        ),
    ] {
        let r = app.post("/api/customers", Some(&t), body.clone()).await;
        assert_eq!(
            (r.status, r.message()),
            (StatusCode::BAD_REQUEST, message),
            "{body}"
        );
    }
    let r = app
        .post(
            "/api/customers",
            Some(&t),
            json!({"name": "B", "phone": 9000000009u64}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().starts_with("phone:"), "{}", r.message());
    assert_eq!(
        app.get("/api/customers", Some(&t))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn updates_take_whitelisted_fields_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let other = app.register("other@shop.in").await;
    let a = customer(&app, &t, json!({"name": "Asha", "phone": "9000000001"})).await;
    customer(
        &app,
        &t,
        json!({"name": "Bala", "phone": "9000000002", "email": "bala@mail.in"}),
    )
    .await;
    let id = a["_id"].as_str().unwrap();
    let r = app
        .call(
            Method::PUT,
            &format!("/api/customers/{id}"),
            Some(&t),
            Some(json!({"name": "Asha K", "address": "Market Rd",
            "dues": 5000, "owner": other["_id"], "_id": "000000000000000000000000"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            r.body["name"].as_str(),
            r.body["address"].as_str(),
            r.body["dues"].as_f64()
        ),
        (Some("Asha K"), Some("Market Rd"), Some(0.0))
    );
    assert_eq!(r.body["_id"], a["_id"]);
    assert_ne!(r.body["owner"], other["_id"]);
    let dup = app
        .call(
            Method::PUT,
            &format!("/api/customers/{id}"),
            Some(&t),
            Some(json!({"phone": "9000000002"})),
        )
        .await;
    assert_eq!(
        (dup.status, dup.message()),
        (StatusCode::BAD_REQUEST, "Phone number already exists")
    );
    let dup = app
        .call(
            Method::PUT,
            &format!("/api/customers/{id}"),
            Some(&t),
            Some(json!({"email": "Bala@mail.in"})),
        )
        .await;
    assert_eq!(
        (dup.status, dup.message()),
        (StatusCode::BAD_REQUEST, "Email already exists")
    );
    let own = app
        .call(
            Method::PUT,
            &format!("/api/customers/{id}"),
            Some(&t),
            Some(json!({"referredBy": id})),
        )
        .await;
    assert_eq!(
        own.status,
        StatusCode::BAD_REQUEST,
        "a customer cannot refer itself"
    );
    let bad = app
        .call(
            Method::PUT,
            &format!("/api/customers/{id}"),
            Some(&t),
            Some(json!({"phone": "1"})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.message()),
        (StatusCode::BAD_REQUEST, "Phone is not valid")
    );
    assert_eq!(
        app.get(&format!("/api/customers/{id}"), Some(&t))
            .await
            .body["phone"],
        "9000000001",
        "refused updates change nothing"
    );
}

async fn a_customer_with_dues_or_credit_cannot_be_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let id = customer(&app, &t, json!({"name": "Asha", "phone": "9000000001"})).await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Sales write dues with their issue; set them directly for now.
    for (dues, reason_part) in [(12_500i64, "owes"), (-300, "credit")] {
        sqlx::query("update customers set dues = $1 where id = $2")
            .bind(dues)
            .bind(&id)
            .execute(app.db.writer())
            .await
            .unwrap();
        let r = app
            .call(
                Method::DELETE,
                &format!("/api/customers/{id}"),
                Some(&t),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.message(), r.body["error"].as_str()),
            (
                StatusCode::BAD_REQUEST,
                "Cannot delete customer with pending dues",
                Some("CUSTOMER_HAS_DUES")
            )
        );
        assert_eq!(
            r.body["details"]["pendingDues"].as_f64(),
            Some(dues as f64 / 100.0)
        );
        assert!(
            r.body["details"]["reason"]
                .as_str()
                .unwrap()
                .contains(reason_part)
        );
    }
    sqlx::query("update customers set dues = 0 where id = $1")
        .bind(&id)
        .execute(app.db.writer())
        .await
        .unwrap();
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/customers/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::OK, "Customer deleted")
    );
    assert_eq!(
        app.get(&format!("/api/customers/{id}"), Some(&t))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/api/customers", Some(&t)).await.body, json!([]));
    // Its phone is free again; its row is kept for the documents that name it.
    customer(&app, &t, json!({"name": "Asha", "phone": "9000000001"})).await;
    let (rows,): (i64,) =
        sqlx::query_as("select count(*) from customers where phone = '9000000001'")
            .fetch_one(app.db.reader())
            .await
            .unwrap();
    assert_eq!(rows, 2);
}

async fn another_shop_gets_404_on_every_customer_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = token(&app.register("a@shop.in").await);
    let b = token(&app.register("b@shop.in").await);
    let id = customer(&app, &a, json!({"name": "Asha", "phone": "9000000001"})).await["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for target in [id.as_str(), "0123456789abcdef01234567"] {
        for (method, path, body) in [
            (Method::GET, format!("/api/customers/{target}"), None),
            (
                Method::PUT,
                format!("/api/customers/{target}"),
                Some(json!({"name": "Hijack"})),
            ),
            (Method::DELETE, format!("/api/customers/{target}"), None),
            (
                Method::GET,
                format!("/api/customers/{target}/transactions"),
                None,
            ),
        ] {
            let r = app.call(method.clone(), &path, Some(&b), body).await;
            assert_eq!(
                (r.status, r.message()),
                (StatusCode::NOT_FOUND, "Customer not found or unauthorized"),
                "{method} {path}"
            );
        }
    }
    // A foreign id inside a body answers like an unknown one.
    let r = app
        .post(
            "/api/customers",
            Some(&b),
            json!({"name": "X", "phone": "9000000009", "referredBy": id}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::BAD_REQUEST, "Referred-by customer not found")
    );
    assert_eq!(app.get("/api/customers", Some(&b)).await.body, json!([]));
    // Phones are unique per shop, not across shops.
    customer(
        &app,
        &b,
        json!({"name": "Other Asha", "phone": "9000000001"}),
    )
    .await;
    assert_eq!(
        app.get(&format!("/api/customers/{id}"), Some(&a))
            .await
            .body["name"],
        "Asha"
    );
    assert_eq!(
        app.get("/api/customers/bad-id", Some(&a)).await.message(),
        "Invalid customer ID format"
    );
}
