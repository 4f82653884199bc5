//! A seeded random sequence of sales (every payment shape, previous dues, credit, change kept),
//! payments, due adjustments and voids over several customers, checked against an independent
//! model: dues = Σ ledger effects = the model, Σ balanceDue = max(dues, 0), stock = Σ movements.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::shop::{Shop, ledger_sum, paise};

both_backends!(a_random_sequence_of_money_operations_keeps_every_invariant);

/// A small deterministic generator (SplitMix64), so a failure can be replayed from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: i64) -> i64 {
        if n <= 0 {
            0
        } else {
            (self.next() % n as u64) as i64
        }
    }
}

fn rupees(paise: i64) -> Value {
    json!(format!("{}.{:02}", paise / 100, paise % 100))
}

/// What the model remembers of an invoice: its customer, its goods value, its lines (item, milli).
struct Sold {
    customer: Option<String>,
    goods: i64,
    lines: Vec<(String, i64)>,
}

struct Model {
    dues: HashMap<String, i64>,
    /// Stock in thousandths.
    stock: HashMap<String, i64>,
    /// Invoice id → (customer, goods, lines (item, milli)).
    invoices: HashMap<String, Sold>,
    /// Invoices that started with nothing paid, no credit and no previous due: void candidates
    /// (whether they still are depends on what settled them since).
    unpaid: Vec<String>,
}

async fn a_random_sequence_of_money_operations_keeps_every_invariant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let seed = std::env::var("BIZZAI_MODEL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_201);
    let mut rng = Rng(seed);
    // Prices in paise; quantities in half units so every line total is exact.
    let prices = [1_250i64, 4_999, 10_000, 2_380];
    let mut items = Vec::new();
    let mut model = Model {
        dues: HashMap::new(),
        stock: HashMap::new(),
        invoices: HashMap::new(),
        unpaid: Vec::new(),
    };
    for (n, price) in prices.iter().enumerate() {
        let id = shop
            .item(&format!("Item{n}"), rupees(*price), json!(100_000))
            .await;
        model.stock.insert(id.clone(), 100_000_000);
        items.push((id, *price));
    }
    let mut customers = Vec::new();
    for n in 0..4 {
        let id = shop.customer(&format!("90000001{n:02}")).await;
        model.dues.insert(id.clone(), 0);
        customers.push(id);
    }
    let bank = shop.bank("555566667777").await;
    let mut done = HashMap::<&str, usize>::new();
    for step in 0..240 {
        let pick = rng.below(100);
        let customer = customers[rng.below(customers.len() as i64) as usize].clone();
        let dues = model.dues[&customer];
        if pick < 55 {
            // A sale, to a customer or (sometimes) a walk-in.
            let walk_in = rng.below(6) == 0;
            let mut lines = Vec::new();
            let mut taken = Vec::new();
            for _ in 0..=rng.below(3) {
                let (item, _) = &items[rng.below(items.len() as i64) as usize];
                let halves = 1 + rng.below(6);
                let milli = halves * 500;
                lines.push(json!({"item": item, "quantity": milli as f64 / 1000.0}));
                taken.push((item.clone(), milli));
            }
            // Exact totals: recompute with the server's rule (quantity × price, half away).
            let subtotal: i64 = taken
                .iter()
                .map(|(item, milli)| {
                    let price = items.iter().find(|(i, _)| i == item).unwrap().1;
                    (price * milli + 500) / 1000
                })
                .sum();
            let discount = if rng.below(4) == 0 {
                rng.below(subtotal / 10 + 1)
            } else {
                0
            };
            let goods = subtotal - discount;
            let (previous_due, credit) = if walk_in {
                (0, 0)
            } else if dues > 0 && rng.below(3) == 0 {
                (1 + rng.below(dues), 0)
            } else if dues < 0 && rng.below(2) == 0 {
                (0, (1 + rng.below(-dues)).min(goods))
            } else {
                (0, 0)
            };
            let total = goods + previous_due;
            let shape = rng.below(6);
            let (paid, change, method) = if walk_in {
                let paid = total + if shape == 0 { 1 + rng.below(500) } else { 0 };
                (paid, paid - total, "cash")
            } else {
                match shape {
                    0 => (0, 0, "due"),
                    1 => (rng.below(total - credit + 1), 0, "cash"),
                    2 => ((total - credit).max(0), 0, "upi"),
                    3 => {
                        let over = (total - credit).max(0) + 1 + rng.below(2_000);
                        let owed = over + credit - total;
                        (over, rng.below(owed + 1), "cash")
                    }
                    4 => ((total - credit).max(0), 0, "split"),
                    _ => ((total - credit).max(0), 0, "bank_transfer"),
                }
            };
            let mut body = json!({"customerId": if walk_in { Value::Null } else { json!(customer) }, "items": lines,
                "discount": rupees(discount), "previousDueAmount": rupees(previous_due), "creditApplied": rupees(credit),
                "paidAmount": rupees(paid), "changeReturned": rupees(change), "paymentMethod": method});
            if method == "split" {
                if paid == 0 {
                    body["paymentMethod"] = json!("cash");
                } else {
                    let cash = rng.below(paid + 1);
                    let mut parts = vec![];
                    if cash > 0 {
                        parts.push(json!({"method": "cash", "amount": rupees(cash)}));
                    }
                    if paid - cash > 0 {
                        parts.push(json!({"method": "card", "amount": rupees(paid - cash)}));
                    }
                    body["splitPaymentDetails"] = json!(parts);
                    body["bankAccount"] = json!(bank);
                }
            }
            if method == "bank_transfer" {
                body["bankAccount"] = json!(bank);
            }
            let r = shop.sell(body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::CREATED,
                "step {step} (seed {seed}): {body} → {:?}",
                r.body
            );
            let id = r.body["invoice"]["_id"].as_str().unwrap().to_owned();
            let owner = (!walk_in).then(|| customer.clone());
            if !walk_in {
                *model.dues.get_mut(&customer).unwrap() += goods - (paid - change);
            }
            for (item, milli) in &taken {
                *model.stock.get_mut(item).unwrap() -= milli;
            }
            if paid == 0 && credit == 0 && previous_due == 0 {
                model.unpaid.push(id.clone());
            }
            model.invoices.insert(
                id,
                Sold {
                    customer: owner,
                    goods,
                    lines: taken,
                },
            );
            *done.entry("sale").or_default() += 1;
        } else if pick < 75 {
            // A payment on one of the customer's open invoices.
            let open: Vec<Value> = shop
                .invoices()
                .await
                .into_iter()
                .filter(|i| {
                    i["customer"]["_id"] == customer.as_str() && paise(&i["balanceDue"]) > 0
                })
                .collect();
            let Some(inv) = open.get(rng.below(open.len() as i64) as usize) else {
                continue;
            };
            let balance = paise(&inv["balanceDue"]);
            let amount = 1 + rng.below(balance);
            let method = ["cash", "bank", "upi", "owner", "cheque"][rng.below(5) as usize];
            let id = inv["_id"].as_str().unwrap();
            let path = if rng.below(2) == 0 {
                format!("/api/pos/invoice/{id}/payment")
            } else {
                format!("/api/sales-invoice/invoice/{id}/mark-paid")
            };
            let r = app.call(Method::PUT, &path, shop.t(), Some(json!({"amount": rupees(amount), "paymentMethod": method, "bankAccount": bank}))).await;
            assert_eq!(r.status, StatusCode::OK, "step {step}: {:?}", r.body);
            *model.dues.get_mut(&customer).unwrap() -= amount;
            // Overpaying is refused and changes nothing.
            let r = app
                .call(
                    Method::PUT,
                    &path,
                    shop.t(),
                    Some(json!({"amount": rupees(balance - amount + 1)})),
                )
                .await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "step {step}: {:?}",
                r.body
            );
            *done.entry("payment").or_default() += 1;
        } else if pick < 87 {
            if dues <= 0 {
                continue;
            }
            let amount = 1 + rng.below(dues);
            let method = ["cash", "bank", "credit", "original_payment"][rng.below(4) as usize];
            let r = app.post("/api/due/adjust", shop.t(), json!({"customerId": customer, "adjustmentAmount": rupees(amount), "adjustmentMethod": method})).await;
            assert_eq!(r.status, StatusCode::CREATED, "step {step}: {:?}", r.body);
            *model.dues.get_mut(&customer).unwrap() -= amount;
            *done.entry("adjustment").or_default() += 1;
        } else {
            // A void, mostly of an invoice that started unpaid, sometimes of any: allowed exactly
            // when nothing but its goods touched it.
            let id = if rng.below(4) == 0 || model.unpaid.is_empty() {
                let mut all: Vec<&String> = model.invoices.keys().collect();
                all.sort();
                match all.get(rng.below(all.len() as i64) as usize) {
                    Some(id) => (*id).clone(),
                    None => continue,
                }
            } else {
                // The newest such invoice: older ones are mostly settled by now.
                model.unpaid.last().unwrap().clone()
            };
            let before = shop.invoice(&id).await;
            let voidable = before["isDeleted"] == false
                && [
                    "paidAmount",
                    "creditApplied",
                    "previousDueAmount",
                    "carriedForwardAmount",
                    "returnedAmount",
                ]
                .iter()
                .all(|f| paise(&before[*f]) == 0);
            let r = app
                .call(
                    Method::DELETE,
                    &format!("/api/pos/invoice/{id}"),
                    shop.t(),
                    None,
                )
                .await;
            if voidable {
                assert_eq!(r.status, StatusCode::OK, "step {step}: {:?}", r.body);
                let Sold {
                    customer: owner,
                    goods,
                    lines,
                } = model.invoices.remove(&id).unwrap();
                model.unpaid.retain(|o| *o != id);
                if let Some(owner) = owner {
                    *model.dues.get_mut(&owner).unwrap() -= goods;
                }
                for (item, milli) in lines {
                    *model.stock.get_mut(&item).unwrap() += milli;
                }
                *done.entry("void").or_default() += 1;
            } else {
                assert_eq!(
                    r.status,
                    StatusCode::BAD_REQUEST,
                    "step {step}: {before} → {:?}",
                    r.body
                );
                model.unpaid.retain(|o| *o != id);
                *done.entry("refused void").or_default() += 1;
            }
        }
        if step % 60 == 59 {
            check(&shop, &model).await;
        }
    }
    check(&shop, &model).await;
    shop.assert_list_matches_details().await;
    // The daily figures maintained by every operation equal the ones rebuilt from the documents.
    let tenant = app.get("/api/auth/profile", shop.t()).await.body["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut tx = app.db.begin().await.unwrap();
    let maintained = store::aggregates::snapshot(&mut tx, &tenant).await.unwrap();
    store::aggregates::rebuild(&mut tx, &tenant).await.unwrap();
    let rebuilt = store::aggregates::snapshot(&mut tx, &tenant).await.unwrap();
    tx.rollback().await.unwrap();
    assert!(!maintained.is_empty());
    assert_eq!(maintained, rebuilt, "seed {seed}");
    eprintln!("seed {seed}: {done:?}");
    for kind in ["sale", "payment", "adjustment", "void", "refused void"] {
        assert!(
            done.get(kind).copied().unwrap_or(0) >= 3,
            "too few {kind}s: {done:?}"
        );
    }
}

async fn check(shop: &Shop<'_>, model: &Model) {
    let invoices = shop.invoices().await;
    for (customer, dues) in &model.dues {
        assert_eq!(shop.dues(customer).await, *dues, "dues of {customer}");
        assert_eq!(
            ledger_sum(&shop.ledger(customer).await),
            *dues,
            "ledger of {customer}"
        );
        let open: i64 = invoices
            .iter()
            .filter(|i| i["customer"]["_id"] == customer.as_str())
            .map(|i| paise(&i["balanceDue"]))
            .sum();
        assert_eq!(open, (*dues).max(0), "open balances of {customer}");
    }
    for (item, stock) in &model.stock {
        assert_eq!(shop.stock(item).await, *stock, "stock of {item}");
        let moved: i64 = shop
            .movements(item)
            .await
            .iter()
            .map(|m| (m["quantity"].as_f64().unwrap() * 1000.0).round() as i64)
            .sum();
        assert_eq!(moved, *stock, "movements of {item}");
    }
}
