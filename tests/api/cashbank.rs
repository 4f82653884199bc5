//! Bank accounts with the original's shapes, and the lists bizzai answers empty.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, token};

both_backends!(
    bank_accounts_are_created_listed_updated_and_deleted,
    bank_account_input_is_validated_and_balances_are_not_editable,
    another_shop_never_sees_or_touches_a_bank_account,
    expenses_and_bills_answer_an_empty_list,
);

fn account(number: &str) -> serde_json::Value {
    json!({"bankName": "State Bank", "accountNumber": number, "accountType": "Savings", "ifsc": "sbin0001234",
           "branch": "MG Road", "openingBalance": 1500.75})
}

async fn bank_accounts_are_created_listed_updated_and_deleted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let r = app
        .post("/api/cashbank/accounts", Some(&t), account("1234567890"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let a = &r.body;
    assert_eq!(
        (
            a["bankName"].as_str(),
            a["accountNumber"].as_str(),
            a["ifsc"].as_str()
        ),
        (Some("State Bank"), Some("1234567890"), Some("SBIN0001234"))
    );
    assert_eq!(
        (
            a["openingBalance"].as_f64(),
            a["currentBalance"].as_f64(),
            a["status"].as_str()
        ),
        (Some(1500.75), Some(1500.75), Some("active"))
    );
    let id = a["_id"].as_str().unwrap().to_owned();
    let list = app.get("/api/cashbank/accounts", Some(&t)).await.body;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let r = app
        .call(
            Method::PUT,
            &format!("/api/cashbank/accounts/{id}"),
            Some(&t),
            Some(json!({"branch": "Indiranagar", "accountType": "Current"})),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.body["branch"].as_str(),
            r.body["accountType"].as_str()
        ),
        (StatusCode::OK, Some("Indiranagar"), Some("Current"))
    );
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/cashbank/accounts/{id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::OK, "Account deleted successfully")
    );
    assert_eq!(
        app.get("/api/cashbank/accounts", Some(&t)).await.body,
        json!([])
    );
    // The number is free again once the account is gone.
    assert_eq!(
        app.post("/api/cashbank/accounts", Some(&t), account("1234567890"))
            .await
            .status,
        StatusCode::CREATED
    );
}

async fn bank_account_input_is_validated_and_balances_are_not_editable(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    let id = app
        .post("/api/cashbank/accounts", Some(&t), account("111"))
        .await
        .body["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (body, message) in [
        (
            json!({"bankName": "X", "accountNumber": "9"}),
            "Please fill all required fields",
        ),
        (
            json!({"bankName": " ", "accountNumber": "9", "ifsc": "I"}),
            "Please fill all required fields",
        ),
        (
            json!({"bankName": "X", "accountNumber": "111", "ifsc": "I"}),
            "Account already exists",
        ),
        (
            json!({"bankName": "X", "accountNumber": "9", "ifsc": "I", "accountType": "Crypto"}),
            "accountType must be one of Savings, Current, Overdraft, Loan",
        ),
    ] {
        let r = app
            .post("/api/cashbank/accounts", Some(&t), body.clone())
            .await;
        assert_eq!(
            (r.status, r.message()),
            (StatusCode::BAD_REQUEST, message),
            "{body}"
        );
    }
    let r = app
        .post(
            "/api/cashbank/accounts",
            Some(&t),
            json!({"bankName": "X", "accountNumber": "9", "ifsc": "I", "openingBalance": "lots"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.message().starts_with("openingBalance:"));
    let r = app
        .call(
            Method::PUT,
            &format!("/api/cashbank/accounts/{id}"),
            Some(&t),
            Some(json!({"currentBalance": 999999, "openingBalance": 5, "userId": "x"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (
            r.body["currentBalance"].as_f64(),
            r.body["openingBalance"].as_f64()
        ),
        (Some(1500.75), Some(1500.75))
    );
    assert_eq!(
        app.get("/api/cashbank/accounts", Some(&t))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1,
        "refused creates left nothing"
    );
}

async fn another_shop_never_sees_or_touches_a_bank_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = token(&app.register("a@shop.in").await);
    let b = token(&app.register("b@shop.in").await);
    let id = app
        .post("/api/cashbank/accounts", Some(&a), account("111"))
        .await
        .body["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.get("/api/cashbank/accounts", Some(&b)).await.body,
        json!([])
    );
    for target in [id.as_str(), "0123456789abcdef01234567", "junk"] {
        let put = app
            .call(
                Method::PUT,
                &format!("/api/cashbank/accounts/{target}"),
                Some(&b),
                Some(json!({"branch": "x"})),
            )
            .await;
        let del = app
            .call(
                Method::DELETE,
                &format!("/api/cashbank/accounts/{target}"),
                Some(&b),
                None,
            )
            .await;
        assert_eq!(
            (put.status, put.message()),
            (StatusCode::NOT_FOUND, "Account not found")
        );
        assert_eq!(
            (del.status, del.message()),
            (StatusCode::NOT_FOUND, "Account not found")
        );
    }
    assert_eq!(
        app.post("/api/cashbank/accounts", Some(&b), account("111"))
            .await
            .status,
        StatusCode::CREATED,
        "numbers are per shop"
    );
    assert_eq!(
        app.get("/api/cashbank/accounts", Some(&a)).await.body[0]["branch"],
        "MG Road"
    );
}

async fn expenses_and_bills_answer_an_empty_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = token(&app.register("owner@shop.in").await);
    for path in ["/api/expenses", "/api/bills"] {
        let r = app.get(path, Some(&t)).await;
        assert_eq!(
            (r.status, r.body.clone()),
            (StatusCode::OK, json!([])),
            "{path}"
        );
    }
}
