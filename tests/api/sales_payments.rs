//! Receiving payments (P5, S4), voids (P4, S5), and a second shop that can touch none of it.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::shop::{Shop, ledger_sum, paise};

both_backends!(
    payments_are_capped_at_the_balance_and_write_one_ledger_row_each,
    a_void_restores_stock_and_dues_and_leaves_a_readable_document,
    a_void_is_refused_once_money_credit_or_carried_dues_touched_the_invoice,
    another_shop_gets_404_for_every_invoice_and_sees_none,
    a_named_bank_account_is_checked_even_when_change_takes_all_of_its_money,
);

async fn a_named_bank_account_is_checked_even_when_change_takes_all_of_its_money(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let other = Shop::open(&app, "other@shop.in").await;
    let foreign = other.bank("444455556666").await;
    let own = shop.bank("777788889999").await;
    let item = shop.item("Pen", json!(50), json!(100)).await;
    let c = shop.customer("9000000015").await;
    shop.sold(
        json!({"customerId": c, "items": [{"item": item, "quantity": 2}], "paidAmount": 150}),
    )
    .await;
    assert_eq!(shop.dues(&c).await, -5_000);
    // Credit pays the 50; the 20 handed over by UPI all comes back as change.
    for account in [json!("65a1b2c3d4e5f60718293a4b"), json!(foreign)] {
        let r = shop
            .sell(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "creditApplied": 50, "paidAmount": 20,
                "changeReturned": 20, "paymentMethod": "upi", "bankAccount": account}))
            .await;
        assert_eq!(
            (r.status, r.message()),
            (
                StatusCode::BAD_REQUEST,
                "Bank account not found or unauthorized"
            ),
            "{:?}",
            r.body
        );
    }
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "creditApplied": 50, "paidAmount": 20,
            "changeReturned": 20, "paymentMethod": "upi", "bankAccount": own}))
        .await;
    assert_eq!(
        (inv["paymentMethod"].as_str(), inv["bankAccount"].as_str()),
        (Some("credit"), Some(own.as_str()))
    );
    assert_eq!(shop.balance(&own).await, 0);
    assert_eq!(other.balance(&foreign).await, 0);
    assert_eq!(shop.dues(&c).await, 0);
}

async fn payments_are_capped_at_the_balance_and_write_one_ledger_row_each(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Ghee", json!(214.2), json!(10)).await;
    let c = shop.customer("9000000011").await;
    let bank = shop.bank("999988887777").await;
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 0, "paymentMethod": "due"}))
        .await;
    let id = inv["_id"].as_str().unwrap();
    // The modal's body: `amount`, its method names, a float artefact rounded to the paisa.
    let r = shop
        .pay(id, json!({"amount": 100.00000000000001, "paymentMethod": "owner", "bankAccount": null, "reference": "R1", "notes": "counter"}))
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::OK, "Payment recorded successfully"),
        "{:?}",
        r.body
    );
    let after = &r.body["invoice"];
    assert_eq!(
        (
            paise(&after["paidAmount"]),
            paise(&after["balanceDue"]),
            &after["paymentStatus"],
            &after["paymentMethod"]
        ),
        (10_000, 11_420, &json!("partial"), &json!("due")),
        "a later payment never changes the sale's method"
    );
    assert_eq!(after["customer"]["name"], "Customer 9000000011");
    // More than the balance: the real remaining amount is named.
    let r = shop
        .pay(id, json!({"amount": 114.21, "paymentMethod": "cash"}))
        .await;
    assert_eq!(
        (r.status, r.message()),
        (
            StatusCode::BAD_REQUEST,
            "Payment exceeds outstanding balance. Remaining: ₹114.2"
        )
    );
    for (body, message) in [
        (json!({"amount": 0}), "Valid payment amount is required"),
        (json!({"amount": -5}), "Valid payment amount is required"),
        (json!({}), "Valid payment amount is required"),
        (json!({"amount": "x"}), "amount"),
        (
            json!({"amount": 1, "paymentMethod": "gold"}),
            "paymentMethod: must be one of",
        ),
        (
            json!({"amount": 1, "paymentMethod": "bank", "bankAccount": "65a1b2c3d4e5f60718293a4b"}),
            "Bank account not found or unauthorized",
        ),
    ] {
        let r = shop.pay(id, body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {:?}", r.body);
        assert!(r.message().starts_with(message), "{body}: {:?}", r.body);
    }
    // S4 with the alias `paidAmount`, `bank` into the named account: paid in full.
    let r = app
        .call(
            Method::PUT,
            &format!("/api/sales-invoice/invoice/{id}/mark-paid"),
            shop.t(),
            Some(json!({"paidAmount": "114.20", "paymentMethod": "bank", "bankAccount": bank})),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::OK, "Invoice marked as paid"),
        "{:?}",
        r.body
    );
    assert_eq!(paise(&r.body["invoice"]["balanceDue"]), 0);
    assert_eq!(shop.balance(&bank).await, 11_420);
    let r = shop.pay(id, json!({"amount": 1})).await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::BAD_REQUEST, "Invoice is already fully paid")
    );
    // One ledger row per payment, with its method, reference and notes.
    let ledger = shop.ledger(&c).await;
    assert_eq!(ledger.len(), 3);
    let cash = ledger
        .iter()
        .find(|r| r["paymentMethod"] == "cash")
        .unwrap();
    assert_eq!(
        (&cash["reference"], &cash["notes"], paise(&cash["amount"])),
        (&json!("R1"), &json!("counter"), 10_000)
    );
    assert!(ledger.iter().any(|r| r["paymentMethod"] == "bank_transfer"));
    assert_eq!(shop.dues(&c).await, 0);
    assert_eq!(ledger_sum(&ledger), 0);
}

async fn a_void_restores_stock_and_dues_and_leaves_a_readable_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Atta", json!(60), json!(10)).await;
    let c = shop.customer("9000000012").await;
    let keep = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paymentMethod": "due"}))
        .await;
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 2}, {"item": item, "quantity": 1}], "paymentMethod": "due"}))
        .await;
    let id = inv["_id"].as_str().unwrap();
    assert_eq!(
        (shop.stock(&item).await, shop.dues(&c).await),
        (6_000, 24_000)
    );
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/pos/invoice/{id}"),
            shop.t(),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (shop.stock(&item).await, shop.dues(&c).await),
        (9_000, 6_000)
    );
    let m = shop.movements(&item).await;
    assert_eq!(
        (
            m[0]["type"].as_str(),
            m[0]["quantity"].as_f64(),
            m[0]["after"].as_f64()
        ),
        (Some("SALE_VOID"), Some(3.0), Some(9.0))
    );
    let ledger = shop.ledger(&c).await;
    assert_eq!(ledger[0]["type"], "void");
    assert_eq!(paise(&ledger[0]["amount"]), 18_000);
    assert_eq!(ledger_sum(&ledger), 6_000);
    // Still readable by id; gone from lists and summaries.
    let doc = shop.invoice(id).await;
    assert_eq!(doc["isDeleted"], true);
    assert_eq!(
        (paise(&doc["balanceDue"]), doc["paymentStatus"].as_str()),
        (18_000, Some("unpaid")),
        "a void keeps its figures; it counts in no sum"
    );
    assert!(doc["deletedAt"].is_string());
    let s3 = app
        .get(&format!("/api/sales-invoice/invoice/{id}"), shop.t())
        .await;
    assert_eq!(s3.body["isDeleted"], true);
    let ids: Vec<_> = shop
        .invoices()
        .await
        .iter()
        .map(|i| i["_id"].clone())
        .collect();
    assert_eq!(ids, [keep["_id"].clone()]);
    let s2 = app.get("/api/sales-invoice/invoices", shop.t()).await.body;
    assert_eq!(s2.as_array().unwrap().len(), 1);
    let s1 = app.get("/api/sales-invoice/summary", shop.t()).await.body;
    assert_eq!(
        (
            s1["totalInvoices"].as_i64(),
            paise(&s1["totalSales"]),
            paise(&s1["outstandingDues"])
        ),
        (Some(1), 6_000, 6_000)
    );
    // Every action on a void is a 400; voiding again too (S5 path).
    let r = shop.pay(id, json!({"amount": 1})).await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::BAD_REQUEST, "Invoice is void")
    );
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/sales-invoice/invoice/{id}"),
            shop.t(),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::BAD_REQUEST, "Invoice is void")
    );
    assert_eq!(shop.stock(&item).await, 9_000);
}

async fn a_void_is_refused_once_money_credit_or_carried_dues_touched_the_invoice(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Milk", json!(30), json!(100)).await;
    let c = shop.customer("9000000013").await;
    let delete = |id: String| {
        let app = &app;
        let t = shop.token.clone();
        async move {
            app.call(
                Method::DELETE,
                &format!("/api/sales-invoice/invoice/{id}"),
                Some(&t),
                None,
            )
            .await
        }
    };
    let paid = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 10}))
        .await;
    let carried = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paymentMethod": "due"}))
        .await;
    let carrier = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "previousDueAmount": 50, "paymentMethod": "due"}))
        .await;
    // Nothing stayed on a free invoice, but money was received with it (kept as credit).
    let c2 = shop.customer("9000000016").await;
    let free = shop
        .sold(json!({"customerId": c2, "items": [{"item": item, "quantity": 1}], "discount": 30, "paidAmount": 5}))
        .await;
    assert_eq!(paise(&free["paidAmount"]), 0);
    for (inv, reason) in [
        (&free, "money was received on it"),
        (&paid, "money was received on it"),
        (
            &carried,
            "its balance was carried forward to a later invoice",
        ),
        (&carrier, "it carries a previous due"),
    ] {
        let r = delete(inv["_id"].as_str().unwrap().to_owned()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert!(
            r.message().contains(reason) && r.message().ends_with("Make a return instead."),
            "{}",
            r.message()
        );
    }
    assert_eq!(shop.stock(&item).await, 96_000);
    assert_eq!(shop.dues(&c).await, 8_000);
    assert_eq!(ledger_sum(&shop.ledger(&c).await), 8_000);
    assert_eq!(shop.dues(&c2).await, -500);
}

async fn another_shop_gets_404_for_every_invoice_and_sees_none(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let other = Shop::open(&app, "other@shop.in").await;
    let item = shop.item("Jam", json!(80), json!(10)).await;
    let c = shop.customer("9000000014").await;
    let bank = shop.bank("123412341234").await;
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paymentMethod": "due"}))
        .await;
    let id = inv["_id"].as_str().unwrap();
    let missing = "65a1b2c3d4e5f60718293a4b";
    for target in [id, missing] {
        for (method, path, body) in [
            (Method::GET, format!("/api/pos/invoice/{target}"), None),
            (
                Method::GET,
                format!("/api/sales-invoice/invoice/{target}"),
                None,
            ),
            (
                Method::PUT,
                format!("/api/pos/invoice/{target}/payment"),
                Some(json!({"amount": 1})),
            ),
            (
                Method::PUT,
                format!("/api/sales-invoice/invoice/{target}/mark-paid"),
                Some(json!({"amount": 1})),
            ),
            (Method::DELETE, format!("/api/pos/invoice/{target}"), None),
            (
                Method::DELETE,
                format!("/api/sales-invoice/invoice/{target}"),
                None,
            ),
        ] {
            let r = app.call(method, &path, other.t(), body).await;
            assert_eq!(
                (r.status, r.message()),
                (StatusCode::NOT_FOUND, "Invoice not found or unauthorized"),
                "{path}"
            );
        }
    }
    assert!(other.invoices().await.is_empty());
    let s1 = app.get("/api/sales-invoice/summary", other.t()).await.body;
    assert_eq!(
        (s1["totalInvoices"].as_i64(), paise(&s1["outstandingDues"])),
        (Some(0), 0)
    );
    // The first shop's item, customer and account inside a body answer like unknown ids.
    let own = other.item("Bread", json!(40), json!(10)).await;
    let r = other
        .sell(json!({"items": [{"item": item, "quantity": 1}], "paidAmount": 80}))
        .await;
    assert_eq!(
        r.message(),
        format!("Item not found or unauthorized: {item}")
    );
    let r = other
        .sell(json!({"customerId": c, "items": [{"item": own, "quantity": 1}]}))
        .await;
    assert_eq!(r.message(), "Customer not found or unauthorized");
    let r = other
        .sell(json!({"items": [{"item": own, "quantity": 1}], "paidAmount": 40, "paymentMethod": "upi", "bankAccount": bank}))
        .await;
    assert_eq!(r.message(), "Bank account not found or unauthorized");
    // Nothing of the first shop moved.
    assert_eq!(shop.stock(&item).await, 9_000);
    assert_eq!(shop.balance(&bank).await, 0);
    assert_eq!(shop.invoice(id).await["paymentStatus"], "unpaid");
}
