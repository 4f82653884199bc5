//! The POS sale (P1) and the invoice views: server-side arithmetic, the shapes the frontend
//! reads, allocation of previous dues, credit and change, and refusals that change nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::shop::{Shop, ledger_sum, paise};

both_backends!(
    a_walk_in_sale_is_priced_by_the_server_and_read_back_with_the_frontends_shapes,
    rolled_in_dues_are_carried_from_the_oldest_invoice_and_never_counted_twice,
    change_kept_settles_the_oldest_invoices_then_becomes_credit_that_later_sales_use,
    split_and_bank_payments_write_one_row_per_part_and_raise_the_named_account,
    a_refused_sale_leaves_nothing_behind,
    due_adjustments_settle_the_oldest_invoices_first,
);

async fn a_walk_in_sale_is_priced_by_the_server_and_read_back_with_the_frontends_shapes(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let rice = shop.item("Rice", json!(55.5), json!(10)).await;
    let dal = shop.item("Dal", json!("33.33"), json!(5)).await;
    // The client's totals are ignored; a price it sends is the cashier's override.
    let inv = shop
        .sold(json!({"customerId": null, "items": [
            {"item": rice, "name": "x", "quantity": 2, "price": 55.5, "total": 1},
            {"item": dal, "quantity": 1.5, "total": 999},
            {"item": rice, "quantity": 1, "price": "50.005"}],
          "discount": 0.5, "paidAmount": 300, "changeReturned": 89.49, "paymentMethod": "cash",
          "bankAccount": "", "splitPaymentDetails": [{"method": "cash", "amount": 1}]}))
        .await;
    // 2 × 55.50 + 1.5 × 33.33 (49.995 → 50.00) + 50.01 = 211.01; − 0.50 = 210.51.
    assert_eq!(inv["invoiceNo"], "INV-00001");
    assert_eq!(paise(&inv["subtotal"]), 21_101);
    assert_eq!(paise(&inv["totalAmount"]), 21_051);
    assert_eq!(paise(&inv["paidAmount"]), 21_051, "{inv}");
    assert_eq!(paise(&inv["balanceDue"]), 0);
    assert_eq!(paise(&inv["carriedForwardAmount"]), 0);
    assert_eq!(inv["paymentStatus"], "paid");
    assert_eq!(inv["paymentMethod"], "cash");
    assert_eq!(
        inv["splitPaymentDetails"],
        json!([]),
        "split details only for split"
    );
    assert_eq!(inv["customer"], Value::Null);
    assert_eq!(inv["createdBy"]["shopName"], "Asha Kirana");
    let lines = inv["items"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    assert_eq!(
        (
            &lines[0]["name"],
            &lines[0]["sku"],
            &lines[0]["item"]["_id"],
            paise(&lines[0]["total"])
        ),
        (&json!("Rice"), &json!("SKU-Rice"), &json!(rice), 11_100)
    );
    assert_eq!(
        paise(&lines[1]["price"]),
        3_333,
        "default price is the item's"
    );
    assert_eq!(
        (paise(&lines[2]["price"]), paise(&lines[2]["listPrice"])),
        (5_001, 5_550),
        "the override and the list price are both recorded"
    );
    // Stock: the two rice lines were summed into one movement.
    assert_eq!(shop.stock(&rice).await, 7_000);
    assert_eq!(shop.stock(&dal).await, 3_500);
    let m = shop.movements(&rice).await;
    assert_eq!(
        (
            m[0]["type"].as_str(),
            m[0]["quantity"].as_f64(),
            m[0]["after"].as_f64(),
            m[0]["reference"].as_str()
        ),
        (Some("POS_SALE"), Some(-3.0), Some(7.0), Some("INV-00001"))
    );
    // Read back: P3 (shop header), S3, P2 and S2 lists, S1 summary.
    let id = inv["_id"].as_str().unwrap();
    let p3 = shop.invoice(id).await;
    assert_eq!(p3["createdBy"]["shopName"], "Asha Kirana");
    assert_eq!(p3["items"], inv["items"]);
    let s3 = app
        .get(&format!("/api/sales-invoice/invoice/{id}"), shop.t())
        .await;
    assert_eq!(s3.body["totalAmount"], inv["totalAmount"]);
    let list = shop.invoices().await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["items"].as_array().unwrap().len(), 3);
    assert_eq!(list[0]["customer"], Value::Null);
    let s2 = app.get("/api/sales-invoice/invoices", shop.t()).await;
    assert_eq!(s2.body.as_array().unwrap().len(), 1);
    let s1 = app.get("/api/sales-invoice/summary", shop.t()).await.body;
    assert_eq!(
        (
            s1["totalInvoices"].as_i64(),
            paise(&s1["totalSales"]),
            paise(&s1["totalPaid"]),
            paise(&s1["outstandingDues"])
        ),
        (Some(1), 21_051, 21_051, 0)
    );
    // A second sale takes the next number.
    let second = shop
        .sold(json!({"items": [{"item": dal, "quantity": 1}], "paidAmount": 33.33}))
        .await;
    assert_eq!(second["invoiceNo"], "INV-00002");
}

async fn rolled_in_dues_are_carried_from_the_oldest_invoice_and_never_counted_twice(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Soap", json!(50), json!(100)).await;
    let c = shop.customer("9000000001").await;
    // Two unpaid sales: 100 then 50 outstanding.
    let first = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 2}], "paidAmount": 0, "paymentMethod": "due"}))
        .await;
    assert_eq!(
        (&first["paymentStatus"], paise(&first["balanceDue"])),
        (&json!("unpaid"), 10_000)
    );
    let second = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 0, "paymentMethod": "due"}))
        .await;
    assert_eq!(shop.dues(&c).await, 15_000);
    // The original's bug: old due rolled in, new goods 50, paid 0 gave old + total. Here 120 of
    // the 150 is rolled in: the oldest invoice's 100 and 20 of the next one move onto the new one.
    let third = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "previousDueAmount": 120, "paidAmount": 0}))
        .await;
    assert_eq!(paise(&third["totalAmount"]), 17_000);
    assert_eq!(paise(&third["balanceDue"]), 17_000);
    assert_eq!(
        shop.dues(&c).await,
        20_000,
        "old 150 + goods 50, not 150 + 170"
    );
    let first = shop.invoice(first["_id"].as_str().unwrap()).await;
    assert_eq!(
        (
            &first["paymentStatus"],
            paise(&first["balanceDue"]),
            paise(&first["carriedForwardAmount"])
        ),
        (&json!("paid"), 0, 10_000)
    );
    let second = shop.invoice(second["_id"].as_str().unwrap()).await;
    assert_eq!(
        (
            &second["paymentStatus"],
            paise(&second["balanceDue"]),
            paise(&second["carriedForwardAmount"])
        ),
        (&json!("partial"), 3_000, 2_000)
    );
    // Money paid on the next bill goes to its goods first, then to its rolled-in due.
    let fourth = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "previousDueAmount": 30, "paidAmount": 60}))
        .await;
    assert_eq!(
        (
            paise(&fourth["totalAmount"]),
            paise(&fourth["paidAmount"]),
            paise(&fourth["balanceDue"])
        ),
        (8_000, 6_000, 2_000)
    );
    // Previous due above the dues is refused.
    let r = shop
        .sell(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "previousDueAmount": 999}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.message()
            .starts_with("Previous due amount (₹999) exceeds customer's outstanding dues (₹190)"),
        "{}",
        r.message()
    );
    // Dues equal the ledger; open balances equal the dues.
    let ledger = shop.ledger(&c).await;
    assert_eq!(ledger_sum(&ledger), shop.dues(&c).await);
    let open: i64 = shop
        .invoices()
        .await
        .iter()
        .map(|i| paise(&i["balanceDue"]))
        .sum();
    assert_eq!(open, 19_000);
    // One `sale` row per invoice (goods only) and one `payment` row for the money.
    let kinds: Vec<&str> = ledger.iter().map(|r| r["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["payment", "sale", "sale", "sale", "sale"]);
}

async fn change_kept_settles_the_oldest_invoices_then_becomes_credit_that_later_sales_use(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Oil", json!(100), json!(100)).await;
    let c = shop.customer("9000000002").await;
    let old = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 40}))
        .await;
    assert_eq!(old["paymentStatus"], "partial");
    // Pays 250 for 100 of goods, takes 50 back: 100 kept beyond the bill settles the old 60,
    // the remaining 40 is credit.
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 250, "changeReturned": 50}))
        .await;
    assert_eq!(
        (paise(&inv["paidAmount"]), paise(&inv["balanceDue"])),
        (10_000, 0)
    );
    let old = shop.invoice(old["_id"].as_str().unwrap()).await;
    assert_eq!(
        (&old["paymentStatus"], paise(&old["paidAmount"])),
        (&json!("paid"), 10_000)
    );
    assert_eq!(shop.dues(&c).await, -4_000);
    // The credit is used automatically on the next sale, without being asked for.
    let next = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 0, "paymentMethod": "due"}))
        .await;
    assert_eq!(
        (
            paise(&next["creditApplied"]),
            paise(&next["balanceDue"]),
            &next["paymentStatus"]
        ),
        (4_000, 6_000, &json!("partial"))
    );
    assert_eq!(shop.dues(&c).await, 6_000);
    // Credit asked for explicitly, limited by what the customer has.
    let r = shop
        .sell(
            json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "creditApplied": 10}),
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::BAD_REQUEST, "Customer has no available credit")
    );
    let c2 = shop.customer("9000000003").await;
    shop.sold(
        json!({"customerId": c2, "items": [{"item": item, "quantity": 1}], "paidAmount": 150}),
    )
    .await;
    let inv = shop
        .sold(json!({"customerId": c2, "items": [{"item": item, "quantity": 1}], "creditApplied": 50, "paidAmount": 50, "paymentMethod": "upi"}))
        .await;
    assert_eq!(
        (
            &inv["paymentMethod"],
            &inv["paidViaMethod"],
            &inv["paymentStatus"]
        ),
        (&json!("split"), &json!("upi"), &json!("paid"))
    );
    assert_eq!(shop.dues(&c2).await, 0);
    assert_eq!(ledger_sum(&shop.ledger(&c2).await), 0);
    assert_eq!(ledger_sum(&shop.ledger(&c).await), 6_000);
}

async fn split_and_bank_payments_write_one_row_per_part_and_raise_the_named_account(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Tea", json!(120), json!(100)).await;
    let c = shop.customer("9000000004").await;
    let bank = shop.bank("111122223333").await;
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 120, "paymentMethod": "split",
            "bankAccount": bank, "splitPaymentDetails": [{"method": "cash", "amount": 20}, {"method": "upi", "amount": "100"}]}))
        .await;
    assert_eq!(inv["paymentMethod"], "split");
    let parts = inv["splitPaymentDetails"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    assert!(parts[0]["_id"].is_string());
    assert_eq!(
        (&parts[1]["method"], paise(&parts[1]["amount"])),
        (&json!("upi"), 10_000)
    );
    let ledger = shop.ledger(&c).await;
    let payments: Vec<(String, i64)> = ledger
        .iter()
        .filter(|r| r["type"] == "payment")
        .map(|r| {
            (
                r["paymentMethod"].as_str().unwrap().to_owned(),
                paise(&r["amount"]),
            )
        })
        .collect();
    assert_eq!(payments.len(), 2);
    assert!(
        payments.contains(&("cash".into(), 2_000)) && payments.contains(&("upi".into(), 10_000))
    );
    assert_eq!(
        shop.balance(&bank).await,
        10_000,
        "only the UPI part lands in the bank"
    );
    // A bank transfer into the account; the frontend's bank_transfer sale.
    shop.sold(
        json!({"customerId": null, "items": [{"item": item, "quantity": 1}], "paidAmount": 120,
        "paymentMethod": "bank_transfer", "bankAccount": bank}),
    )
    .await;
    assert_eq!(shop.balance(&bank).await, 22_000);
    // Parts that do not add up, or that are not money, are refused.
    for parts in [
        json!([{"method": "cash", "amount": 20}]),
        json!([{"method": "due", "amount": 120}]),
        json!([]),
    ] {
        let r = shop
            .sell(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 120, "paymentMethod": "split", "splitPaymentDetails": parts}))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);
        assert!(
            r.message().starts_with("splitPaymentDetails"),
            "{}",
            r.message()
        );
    }
    // The list (read in one aggregated statement) shows each invoice exactly as its detail does.
    shop.assert_list_matches_details().await;
}

async fn a_refused_sale_leaves_nothing_behind(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Salt", json!(20), json!(3)).await;
    let other = shop.item("Sugar", json!(45), json!(10)).await;
    let c = shop.customer("9000000005").await;
    let unknown = "65a1b2c3d4e5f60718293a4b";
    let cases: Vec<(Value, &str)> = vec![
        (json!({"items": []}), "No items in invoice"),
        (
            json!({"items": [{"item": "nope", "quantity": 1}]}),
            "Invalid item ID format: nope",
        ),
        (
            json!({"items": [{"item": unknown, "quantity": 1}], "paidAmount": 20}),
            "Item not found or unauthorized: 65a1b2c3d4e5f60718293a4b",
        ),
        (
            json!({"items": [{"item": other, "quantity": 1}, {"item": item, "quantity": 2}, {"item": item, "quantity": 2}], "paidAmount": 500}),
            "Insufficient stock for Salt. Available: 3",
        ),
        (
            json!({"items": [{"item": item, "quantity": 0}]}),
            "items[0].quantity: must be greater than 0",
        ),
        (
            json!({"items": [{"item": item, "quantity": -1}]}),
            "items[0].quantity: must be greater than 0",
        ),
        (
            json!({"items": [{"item": item, "quantity": 1.0005}]}),
            "items[0].quantity",
        ),
        (
            json!({"items": [{"item": item, "quantity": 1, "price": -1}]}),
            "items[0].price: must not be negative",
        ),
        (
            json!({"items": [{"item": item, "quantity": 1}], "discount": 21}),
            "discount: must be between 0 and the subtotal (₹20)",
        ),
        (
            json!({"items": [{"item": item, "quantity": 1}], "discount": -1}),
            "discount: must not be negative",
        ),
        (
            json!({"items": [{"item": item, "quantity": 1}], "paidAmount": 10}),
            "Walk-in customers must pay full amount. Please add customer details to allow credit.",
        ),
        (
            json!({"items": [{"item": item, "quantity": 1}], "paidAmount": 50, "changeReturned": 10}),
            "Walk-in customers must get all their change back",
        ),
        (
            json!({"items": [{"item": item, "quantity": 1}], "paidAmount": 50, "changeReturned": 31}),
            "You are returning more amount than required. Please correct the change returned.",
        ),
        (
            json!({"items": [{"item": item, "quantity": 1}], "creditApplied": 5, "paidAmount": 20}),
            "Walk-in customers cannot use credit. Please select a customer.",
        ),
        (
            json!({"customerId": unknown, "items": [{"item": item, "quantity": 1}]}),
            "Customer not found or unauthorized",
        ),
        (
            json!({"customerId": "bad", "items": [{"item": item, "quantity": 1}]}),
            "Invalid customer ID format",
        ),
        (
            json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 20, "paymentMethod": "bank_transfer", "bankAccount": unknown}),
            "Bank account not found or unauthorized",
        ),
        (
            json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paymentMethod": "barter"}),
            "paymentMethod: must be one of",
        ),
        (
            json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": "lots"}),
            "paidAmount",
        ),
        (
            json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 1e13}),
            "paidAmount",
        ),
    ];
    for (body, message) in cases {
        let r = shop.sell(body.clone()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {:?}", r.body);
        assert!(r.message().starts_with(message), "{body}: {:?}", r.body);
    }
    // Nothing was written: stock, movements, dues, ledger, invoices, and no number consumed.
    assert_eq!(shop.stock(&item).await, 3_000);
    assert_eq!(shop.stock(&other).await, 10_000);
    assert_eq!(shop.movements(&other).await.len(), 1, "opening stock only");
    assert_eq!(shop.dues(&c).await, 0);
    assert!(shop.ledger(&c).await.is_empty());
    assert!(shop.invoices().await.is_empty());
    let inv = shop
        .sold(json!({"items": [{"item": item, "quantity": 3}], "paidAmount": 60}))
        .await;
    assert_eq!(inv["invoiceNo"], "INV-00001");
    // Reserved stock cannot be sold; the original's answer says so.
    sqlx::query("update items set reserved_stock = 4000, stock_qty = 5000 where id = $1")
        .bind(&other)
        .execute(app.db.writer())
        .await
        .unwrap();
    let r = shop
        .sell(json!({"items": [{"item": other, "quantity": 2}], "paidAmount": 90}))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.message(),
        "Cannot sell Sugar. 4 units are reserved for Sales Orders. Available stock: 1"
    );
    assert_eq!(
        (
            &r.body["isReservedStock"],
            r.body["availableStock"].as_f64()
        ),
        (&json!(true), Some(1.0))
    );
}

async fn due_adjustments_settle_the_oldest_invoices_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Rice", json!(100), json!(100)).await;
    let c = shop.customer("9000000006").await;
    let a = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}]}))
        .await;
    let b = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}]}))
        .await;
    let r = app
        .post(
            "/api/due/adjust",
            shop.t(),
            json!({"customerId": c, "adjustmentAmount": 130, "adjustmentMethod": "cash"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let a = shop.invoice(a["_id"].as_str().unwrap()).await;
    let b = shop.invoice(b["_id"].as_str().unwrap()).await;
    assert_eq!(
        (&a["paymentStatus"], paise(&a["balanceDue"])),
        (&json!("paid"), 0)
    );
    assert_eq!(
        (&b["paymentStatus"], paise(&b["balanceDue"])),
        (&json!("partial"), 7_000)
    );
    assert_eq!(shop.dues(&c).await, 7_000);
    assert_eq!(ledger_sum(&shop.ledger(&c).await), 7_000);
}
