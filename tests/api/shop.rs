//! A shop set up through the API for the sales tests: items, customers, bank accounts, sales,
//! and the read-backs the tests check (dues, stock, ledger, movements).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, token};

pub struct Shop<'a> {
    pub app: &'a TestApp,
    pub token: String,
}

/// Rupees as the API returns them, compared in paise to avoid float noise.
pub fn paise(v: &Value) -> i64 {
    (v.as_f64().unwrap_or_else(|| panic!("not a number: {v}")) * 100.0).round() as i64
}

impl<'a> Shop<'a> {
    pub async fn open(app: &'a TestApp, email: &str) -> Shop<'a> {
        Shop {
            app,
            token: token(&app.register(email).await),
        }
    }

    pub fn t(&self) -> Option<&str> {
        Some(&self.token)
    }

    pub async fn item(&self, name: &str, price: Value, stock: Value) -> String {
        let r = self
            .app
            .post(
                "/api/inventory",
                self.t(),
                json!({"name": name, "sku": format!("SKU-{name}"), "costPrice": 10, "sellingPrice": price, "stockQty": stock, "unit": "pcs"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["item"]["_id"].as_str().unwrap().to_owned()
    }

    pub async fn customer(&self, phone: &str) -> String {
        let r = self
            .app
            .post(
                "/api/customers",
                self.t(),
                json!({"name": format!("Customer {phone}"), "phone": phone, "email": format!("c{phone}@example.com")}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["_id"].as_str().unwrap().to_owned()
    }

    pub async fn bank(&self, number: &str) -> String {
        let r = self
            .app
            .post(
                "/api/cashbank/accounts",
                self.t(),
                json!({"bankName": "State Bank", "accountNumber": number, "accountType": "Current", "ifsc": "SBIN0001234",
                       "branch": "MG Road", "openingBalance": 0}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["_id"].as_str().unwrap().to_owned()
    }

    pub async fn sell(&self, body: Value) -> Reply {
        self.app.post("/api/pos/invoice", self.t(), body).await
    }

    /// A sale that must succeed; returns the invoice.
    pub async fn sold(&self, body: Value) -> Value {
        let r = self.sell(body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["invoice"].clone()
    }

    pub async fn pay(&self, invoice: &str, body: Value) -> Reply {
        self.app
            .call(
                Method::PUT,
                &format!("/api/pos/invoice/{invoice}/payment"),
                self.t(),
                Some(body),
            )
            .await
    }

    pub async fn invoice(&self, id: &str) -> Value {
        let r = self
            .app
            .get(&format!("/api/pos/invoice/{id}"), self.t())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body
    }

    pub async fn dues(&self, customer: &str) -> i64 {
        let r = self
            .app
            .get(&format!("/api/customers/{customer}"), self.t())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        paise(&r.body["dues"])
    }

    pub async fn ledger(&self, customer: &str) -> Vec<Value> {
        let r = self
            .app
            .get(&format!("/api/customers/{customer}/transactions"), self.t())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body["transactions"].as_array().unwrap().clone()
    }

    /// Stock in thousandths.
    pub async fn stock(&self, item: &str) -> i64 {
        let r = self
            .app
            .get(&format!("/api/inventory/{item}"), self.t())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        (r.body["stockQty"].as_f64().unwrap() * 1000.0).round() as i64
    }

    pub async fn movements(&self, item: &str) -> Vec<Value> {
        let r = self
            .app
            .get(&format!("/api/inventory/{item}/movements"), self.t())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body.as_array().unwrap().clone()
    }

    pub async fn invoices(&self) -> Vec<Value> {
        let r = self.app.get("/api/pos/invoices", self.t()).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body.as_array().unwrap().clone()
    }

    /// Every invoice of the list equals its own detail (S3), but for `customer`, which lists show
    /// as `{_id, name, phone}`; newest first.
    pub async fn assert_list_matches_details(&self) {
        let list = self.invoices().await;
        assert!(!list.is_empty(), "no invoices to compare");
        for (n, listed) in list.iter().enumerate() {
            let id = listed["_id"].as_str().unwrap();
            let r = self
                .app
                .get(&format!("/api/sales-invoice/invoice/{id}"), self.t())
                .await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
            let mut detail = r.body;
            let customer = detail["customer"].take();
            let brief = if customer.is_null() {
                Value::Null
            } else {
                serde_json::json!({"_id": customer["_id"], "name": customer["name"], "phone": customer["phone"]})
            };
            detail["customer"] = brief;
            assert_eq!(listed, &detail, "invoice {n} of the list");
            if n > 0 {
                let key = |v: &Value| {
                    (
                        v["createdAt"].as_str().unwrap().to_owned(),
                        v["_id"].as_str().unwrap().to_owned(),
                    )
                };
                assert!(key(&list[n - 1]) > key(listed), "newest first at {n}");
            }
        }
    }

    pub async fn balance(&self, account: &str) -> i64 {
        let r = self.app.get("/api/cashbank/accounts", self.t()).await;
        let a = r
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["_id"] == account)
            .expect("account listed")
            .clone();
        paise(&a["currentBalance"])
    }
}

/// Σ effect of a customer's ledger rows, in paise.
pub fn ledger_sum(rows: &[Value]) -> i64 {
    rows.iter().map(|r| paise(&r["effect"])).sum()
}
