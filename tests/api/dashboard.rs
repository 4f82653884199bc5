//! The dashboard (Rp1) on a small hand-computed data set, the stock and customer reports (Rp3,
//! Rp4), and the CLI that rebuilds the daily figures from the documents.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::shop::{Shop, paise};

both_backends!(
    the_dashboard_adds_up_a_hand_computed_day_and_leaves_voids_out,
    the_cli_rebuilds_the_daily_figures_from_the_documents,
);

async fn the_dashboard_adds_up_a_hand_computed_day_and_leaves_voids_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let other = Shop::open(&app, "other@shop.in").await;
    // Cost price 10 for every item (see Shop::item).
    let tea = shop.item("Tea", json!(50), json!(10)).await;
    let jam = shop.item("Jam", json!(60), json!(1)).await;
    shop.item("Salt", json!(20), json!(0)).await;
    let c = shop.customer("9000000031").await;
    let d = shop.customer("9000000032").await;
    let bank = shop.bank("121212121212").await;
    // 1. Walk-in, 2 tea, cash: goods 100, cost 20, collected 100.
    shop.sold(json!({"items": [{"item": tea, "quantity": 2}], "paidAmount": 100}))
        .await;
    // 2. Customer c, 4 tea less 20 on account: goods 180, cost 40.
    let on_account = shop
        .sold(json!({"customerId": c, "items": [{"item": tea, "quantity": 4}], "discount": 20, "paymentMethod": "due"}))
        .await;
    // 3. Customer d, the jam, 50 of 60 by UPI into the bank: goods 60, cost 10, collected 50.
    shop.sold(json!({"customerId": d, "items": [{"item": jam, "quantity": 1}], "paidAmount": 50, "paymentMethod": "upi", "bankAccount": bank}))
        .await;
    // 4. Customer c again, voided: counts nowhere.
    let voided = shop
        .sold(json!({"customerId": c, "items": [{"item": tea, "quantity": 1}], "paymentMethod": "due"}))
        .await;
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/pos/invoice/{}", voided["_id"].as_str().unwrap()),
            shop.t(),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // 5. c pays 100 cash on invoice 2; rolled-in dues would never count as sales.
    let r = shop
        .pay(
            on_account["_id"].as_str().unwrap(),
            json!({"amount": 100, "paymentMethod": "cash"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let s = app.get("/api/reports/dashboard-stats", shop.t()).await;
    assert_eq!(s.status, StatusCode::OK, "{:?}", s.body);
    let s = s.body;
    let figures: Vec<(&str, i64)> = [
        "totalRevenue",
        "totalCollected",
        "cashInHand",
        "totalBankBalance",
        "totalLiquidity",
        "totalCustomerOutstanding",
        "totalCustomerCredit",
        "operatingProfit",
        "totalInventoryValue",
    ]
    .iter()
    .map(|k| (*k, paise(&s[*k])))
    .collect();
    assert_eq!(
        figures,
        [
            ("totalRevenue", 34_000),
            ("totalCollected", 25_000),
            ("cashInHand", 20_000),
            ("totalBankBalance", 5_000),
            ("totalLiquidity", 25_000),
            ("totalCustomerOutstanding", 9_000),
            ("totalCustomerCredit", 0),
            ("operatingProfit", 34_000 - 7_000),
            // Tea 10 − 6 sold = 4 left (the void put 1 back), jam 0, salt 0: 4 × 10.
            ("totalInventoryValue", 4_000),
        ]
    );
    assert_eq!(s["totalInvoices"], 3);
    assert_eq!(s["profitMargin"].as_f64(), Some(79.41));
    assert_eq!(
        (
            s["totalItems"].as_i64(),
            s["lowStockItems"].as_i64(),
            s["outOfStockItems"].as_i64()
        ),
        (Some(3), Some(1), Some(2))
    );
    assert_eq!(
        (s["totalCustomers"].as_i64(), s["bankAccountCount"].as_i64()),
        (Some(2), Some(1))
    );
    let mut methods: Vec<(String, i64, i64)> = s["paymentMethods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["_id"].as_str().unwrap().to_owned(),
                m["count"].as_i64().unwrap(),
                paise(&m["amount"]),
            )
        })
        .collect();
    methods.sort();
    assert_eq!(
        methods,
        [
            ("cash".into(), 1, 10_000),
            ("due".into(), 1, 18_000),
            ("upi".into(), 1, 6_000)
        ]
    );
    let daily = s["dailySales"].as_array().unwrap();
    assert_eq!(daily.len(), 1);
    assert_eq!(paise(&daily[0]["totalSales"]), 34_000);
    let months = s["revenueVsExpenses"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    assert_eq!(paise(&months[5]["revenue"]), 34_000);
    let top: Vec<(&str, i64)> = s["topCustomersWithDues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), paise(&t["dues"])))
        .collect();
    assert_eq!(
        top,
        [
            ("Customer 9000000031", 8_000),
            ("Customer 9000000032", 1_000)
        ]
    );
    for key in [
        "totalSupplierOutstanding",
        "totalExpenses",
        "pendingSalesOrders",
        "salesReturnsCount",
        "topSuppliers",
    ] {
        assert!(!s[key].is_null(), "{key} is answered");
    }
    // The reports: low stock (available ≤ limit, lowest first) and customers who owe.
    let stock = app.get("/api/reports/stock", shop.t()).await.body;
    assert_eq!(stock["totalItems"], 3);
    let low: Vec<&str> = stock["lowStock"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        low,
        ["Jam", "Salt", "Tea"],
        "available 0, 0, 4 (default limit 10)"
    );
    let owing = app.get("/api/reports/customers", shop.t()).await.body;
    let owing: Vec<i64> = owing
        .as_array()
        .unwrap()
        .iter()
        .map(|c| paise(&c["dues"]))
        .collect();
    assert_eq!(owing, [8_000, 1_000]);
    // Another shop sees none of it.
    let s = app
        .get("/api/reports/dashboard-stats", other.t())
        .await
        .body;
    assert_eq!(
        (s["totalInvoices"].as_i64(), paise(&s["totalRevenue"])),
        (Some(0), 0)
    );
    assert_eq!(s["profitMargin"].as_f64(), Some(0.0));
    assert!(
        app.get("/api/reports/customers", other.t())
            .await
            .body
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn the_cli_rebuilds_the_daily_figures_from_the_documents(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let tea = shop.item("Tea", json!(50), json!(100)).await;
    let c = shop.customer("9000000033").await;
    shop.sold(json!({"customerId": c, "items": [{"item": tea, "quantity": 3}], "paidAmount": 20}))
        .await;
    let before = app.get("/api/reports/dashboard-stats", shop.t()).await.body;
    // Damage the maintained figures, then rebuild them with the operator command.
    sqlx::query("update daily_sales set net_sales = 1")
        .execute(app.db.writer())
        .await
        .unwrap();
    sqlx::query("delete from daily_collections")
        .execute(app.db.writer())
        .await
        .unwrap();
    let out = app.cli(&["aggregates", "rebuild", "--shop", "owner@shop.in"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("rebuilt the daily figures of owner@shop.in"),
        "{stdout}"
    );
    assert!(
        stdout.contains("rows differed from the maintained figures"),
        "{stdout}"
    );
    let after = app.get("/api/reports/dashboard-stats", shop.t()).await.body;
    for key in [
        "totalRevenue",
        "totalCollected",
        "cashInHand",
        "operatingProfit",
        "paymentMethods",
        "dailySales",
    ] {
        assert_eq!(after[key], before[key], "{key}");
    }
}
