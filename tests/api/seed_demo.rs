//! `bizzai seed-demo`: demo shops written through the sale's own code, so every invariant holds.

use reqwest::StatusCode;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::shop::{Shop, ledger_sum, paise};

both_backends!(seed_demo_creates_shops_whose_every_invariant_holds);

async fn seed_demo_creates_shops_whose_every_invariant_holds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let out = app.cli(&[
        "seed-demo",
        "--shops",
        "2",
        "--invoices",
        "400",
        "--items",
        "30",
        "--customers",
        "12",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let logins: Vec<(String, String)> = stdout
        .lines()
        .filter_map(|l| l.strip_prefix("login: "))
        .map(|l| {
            let (email, password) = l.split_once(" / ").unwrap();
            (email.to_owned(), password.to_owned())
        })
        .collect();
    assert_eq!(logins.len(), 2, "{stdout}");
    for (email, password) in &logins {
        let r = app
            .post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let shop = Shop {
            app: &app,
            token: r.body["token"].as_str().unwrap().to_owned(),
        };
        let invoices = shop.invoices().await;
        assert!(
            invoices.len() > 350,
            "most sales go through: {}",
            invoices.len()
        );
        let mut numbers: Vec<i64> = invoices
            .iter()
            .map(|i| i["invoiceNo"].as_str().unwrap()[4..].parse().unwrap())
            .collect();
        numbers.sort();
        assert_eq!(numbers, (1..=invoices.len() as i64).collect::<Vec<_>>());
        let methods: std::collections::BTreeSet<&str> = invoices
            .iter()
            .map(|i| i["paymentMethod"].as_str().unwrap())
            .collect();
        assert!(methods.len() >= 4, "{methods:?}");
        let customers = app.get("/api/customers", shop.t()).await.body;
        for c in customers.as_array().unwrap() {
            let id = c["_id"].as_str().unwrap();
            let dues = paise(&c["dues"]);
            assert_eq!(ledger_sum(&shop.ledger(id).await), dues);
            let open: i64 = invoices
                .iter()
                .filter(|i| i["customer"]["_id"] == id)
                .map(|i| paise(&i["balanceDue"]))
                .sum();
            assert_eq!(open, dues.max(0));
        }
        let items = app.get("/api/inventory", shop.t()).await.body;
        for item in items.as_array().unwrap().iter().take(5) {
            let id = item["_id"].as_str().unwrap();
            let moved: i64 = shop
                .movements(id)
                .await
                .iter()
                .map(|m| (m["quantity"].as_f64().unwrap() * 1000.0).round() as i64)
                .sum();
            assert_eq!(moved, shop.stock(id).await);
        }
        let s = app.get("/api/reports/dashboard-stats", shop.t()).await.body;
        assert_eq!(s["totalInvoices"].as_u64(), Some(invoices.len() as u64));
        assert!(
            s["dailySales"].as_array().unwrap().len() > 10,
            "a month of days with sales"
        );
    }
}
