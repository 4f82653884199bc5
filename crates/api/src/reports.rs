//! `/api/reports`: the dashboard (Rp1) and the stock and customer reports (Rp3, Rp4).
//!
//! `dashboard-stats` returns every key of the original (reference §9.1; modules bizzai does not
//! keep answer 0 or []), with the definitions of SPEC "Precise rules": net sales never include
//! rolled-in dues, voids count nowhere, money collected is net of change and refunds. Sales
//! figures come from the daily aggregates, so the cost is O(days + top-N), not O(invoices).

use axum::Json as JsonResponse;
use axum::extract::State;
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{Value, json};

use crate::auth::extract::AuthUser;
use crate::customers::customer_json;
use crate::error::ApiError;
use crate::inventory::output::ItemJson;
use crate::sales::output::money;
use crate::state::AppState;

/// Rp1 `GET /api/reports/dashboard-stats`.
pub async fn dashboard(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Value>, ApiError> {
    let (db, tenant) = (state.db.reader(), auth.tenant());
    let today = crate::sales::local_date(&auth.user.timezone, store::now_ms());
    let today = NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap_or_default();
    let month_start = |months_back: u32| {
        let months = today.year() * 12 + today.month0() as i32 - months_back as i32;
        NaiveDate::from_ymd_opt(months.div_euclid(12), months.rem_euclid(12) as u32 + 1, 1)
            .unwrap_or_default()
    };
    let since_30 = (today - Duration::days(29)).format("%Y-%m-%d").to_string();
    let since_6m = month_start(5).format("%Y-%m-%d").to_string();
    let totals = store::aggregates::totals(db, tenant).await?;
    let daily = store::aggregates::daily(db, tenant, &since_30).await?;
    let months = store::aggregates::daily(db, tenant, &since_6m).await?;
    let methods = store::aggregates::by_method(db, tenant).await?;
    let collections = store::aggregates::collections(db, tenant).await?;
    let customers = store::reports::customers(db, tenant).await?;
    let top = store::reports::top_dues(db, tenant, 5).await?;
    let stock = store::reports::stock(db, tenant).await?;
    let other = store::reports::other(db, tenant).await?;

    let collected: i64 = collections.iter().map(|(_, amount)| amount).sum();
    let cash: i64 = collections
        .iter()
        .filter(|(method, _)| method == "cash")
        .map(|(_, amount)| amount)
        .sum();
    // Thousandths × paise → paise.
    let inventory_value = (stock.value_milli_paise / 1000.0)
        .round()
        .min(domain::money::MAX_MINOR as f64) as i64;
    let profit = totals.net_sales - totals.cost_of_goods;
    let margin = if totals.net_sales == 0 {
        0.0
    } else {
        (profit as f64 / totals.net_sales as f64 * 10_000.0).round() / 100.0
    };
    let mut by_month: Vec<(String, i64)> = Vec::new();
    for back in (0..6).rev() {
        by_month.push((month_start(back).format("%Y-%m").to_string(), 0));
    }
    for (date, sales) in &months {
        if let Some(m) = by_month
            .iter_mut()
            .find(|(m, _)| date.starts_with(m.as_str()))
        {
            m.1 += sales;
        }
    }
    let daily_sales: Vec<Value> = daily
        .iter()
        .map(|(d, s)| json!({"_id": d, "totalSales": money(*s)}))
        .collect();
    let revenue_vs_expenses: Vec<Value> = by_month
        .iter()
        .map(|(m, r)| json!({"month": m, "revenue": money(*r), "expenses": 0}))
        .collect();
    let payment_methods: Vec<Value> = methods
        .iter()
        .map(|(m, c, a)| json!({"_id": m, "count": c, "amount": money(*a)}))
        .collect();
    let top_customers: Vec<Value> = top
        .iter()
        .map(|(id, name, dues)| json!({"_id": id, "name": name, "dues": money(*dues)}))
        .collect();
    Ok(JsonResponse(json!({
        "totalInvoices": totals.invoices,
        "totalRevenue": money(totals.net_sales),
        "totalCollected": money(collected),
        "totalCustomerOutstanding": money(customers.outstanding),
        "totalCustomerCredit": money(customers.credit),
        "totalSupplierOutstanding": 0,
        "totalBillsAmount": 0,
        "totalBillsPaid": 0,
        "totalItems": stock.items,
        "lowStockItems": stock.low,
        "outOfStockItems": stock.out,
        "totalInventoryValue": money(inventory_value),
        "totalPurchases": 0,
        "totalPurchaseAmount": 0,
        "totalSuppliers": 0,
        "topSuppliers": [],
        "pendingSalesOrders": other.pending_orders,
        "completedSalesOrders": other.completed_orders,
        "totalSalesOrderValue": money(other.order_value),
        "cashInHand": money(cash),
        "totalBankBalance": money(other.bank_balance),
        "bankAccountCount": other.bank_accounts,
        "totalLiquidity": money(cash + other.bank_balance),
        "totalCustomers": customers.customers,
        "totalPaymentsIn": 0,
        "totalPaymentsOut": 0,
        "netCashFlow": 0,
        "salesReturnsCount": other.returns,
        "salesReturnsAmount": money(other.returns_amount),
        "purchaseReturnsCount": 0,
        "purchaseReturnsAmount": 0,
        "totalExpenses": 0,
        "costOfGoodsSold": money(totals.cost_of_goods),
        "operatingProfit": money(profit),
        "profitMargin": margin,
        "dailySales": daily_sales,
        "revenueVsExpenses": revenue_vs_expenses,
        "paymentMethods": payment_methods,
        "topCustomersWithDues": top_customers,
    })))
}

/// Rp3 `GET /api/reports/stock`: items at or below their limit (available stock), lowest first.
pub async fn stock(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Value>, ApiError> {
    let (db, tenant) = (state.db.reader(), auth.tenant());
    let mut low = store::items::low_stock(db, tenant).await?;
    low.sort_by(|a, b| {
        (a.stock_qty - a.reserved_stock)
            .cmp(&(b.stock_qty - b.reserved_stock))
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = store::reports::stock(db, tenant).await?.items;
    let low: Vec<ItemJson> = low.iter().map(ItemJson::from).collect();
    Ok(JsonResponse(json!({"totalItems": total, "lowStock": low})))
}

/// Rp4 `GET /api/reports/customers`: customers who owe, largest dues first.
pub async fn customers(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<JsonResponse<Vec<Value>>, ApiError> {
    let mut all = store::customers::list(state.db.reader(), auth.tenant()).await?;
    all.retain(|c| c.dues > 0);
    all.sort_by(|a, b| b.dues.cmp(&a.dues).then_with(|| a.id.cmp(&b.id)));
    Ok(JsonResponse(all.iter().map(customer_json).collect()))
}
