//! Invoice PDF render time (krilla, DejaVu Sans): a 3-line and a 40-line invoice, rendered
//! repeatedly in one thread, median and p95 reported.
//!
//!   cargo bench --bench pdf
//!   BENCH_RENDERS=500 PDF_FONT_DIR=/usr/share/fonts/truetype/dejavu cargo bench --bench pdf

use std::time::Instant;

use api::pdf::{Fonts, InvoicePdf, render};
use store::customers::CustomerRow;
use store::invoices::{InvoiceRow, LineRow};
use store::users::UserRow;

fn shop() -> UserRow {
    UserRow {
        id: "65a1b2c3d4e5f60718293a4b".into(),
        email: "owner@shop.in".into(),
        name: "Asha Traders".into(),
        password_hash: String::new(),
        phone: "9876543210".into(),
        shop_name: "Asha Kirana".into(),
        gst_number: "29ABCDE1234F1Z5".into(),
        shop_address: "12 MG Road, Bengaluru".into(),
        timezone: "Asia/Kolkata".into(),
        role: "owner".into(),
        created_at: 0,
        updated_at: 0,
    }
}

fn invoice(lines: usize) -> (InvoiceRow, Vec<LineRow>) {
    let lines: Vec<LineRow> = (0..lines)
        .map(|n| LineRow {
            id: format!("{n:024}"),
            invoice_id: "i".into(),
            line_no: n as i64,
            item_id: format!("{n:024}"),
            name: format!("Demo item {n:05} (Zoë's Straße)"),
            sku: format!("DEMO-{n:05}"),
            unit: "pcs".into(),
            quantity: 2_000,
            price: 5_550,
            list_price: 5_550,
            cost_price: 4_000,
            tax: 0,
            discount: 0,
            total: 11_100,
            returned_qty: 0,
        })
        .collect();
    let subtotal: i64 = lines.iter().map(|l| l.total).sum();
    let invoice = InvoiceRow {
        id: "i".into(),
        tenant_id: "t".into(),
        invoice_no: "INV-00042".into(),
        customer_id: Some("c".into()),
        sales_order_id: None,
        subtotal,
        tax: 0,
        discount: 1_000,
        previous_due_amount: 0,
        total_amount: subtotal - 1_000,
        paid_amount: 10_000,
        change_returned: 0,
        credit_applied: 0,
        returned_amount: 0,
        carried_forward_amount: 0,
        balance_due: subtotal - 11_000,
        payment_status: "partial".into(),
        payment_method: "cash".into(),
        paid_via_method: Some("cash".into()),
        bank_account_id: None,
        split_payment_details: "[]".into(),
        has_returns: 0,
        cost_of_goods: 0,
        local_date: "2026-12-01".into(),
        version: 1,
        is_deleted: 0,
        deleted_at: None,
        created_at: 1_764_567_000_000,
        updated_at: 1_764_567_000_000,
        customer_name: None,
        customer_phone: None,
    };
    (invoice, lines)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return; // `cargo test --all-targets` builds benches and runs them without `--bench`
    }
    let dir =
        std::env::var("PDF_FONT_DIR").unwrap_or_else(|_| "/usr/share/fonts/truetype/dejavu".into());
    let fonts = Fonts::load(std::path::Path::new(&dir)).expect("fonts (fonts-dejavu-core)");
    let renders: usize = std::env::var("BENCH_RENDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let shop = shop();
    let customer = CustomerRow {
        id: "c".into(),
        tenant_id: "t".into(),
        name: "Ravi Kumar".into(),
        phone: "9000000001".into(),
        email: "ravi@example.com".into(),
        address: "Indiranagar".into(),
        dues: 12_345,
        referred_by: None,
        referred_by_name: None,
        referred_by_phone: None,
        created_at: 0,
        updated_at: 0,
    };
    println!("invoice PDF render, {renders} renders each, one thread");
    for lines in [3, 40] {
        let (invoice, lines_rows) = invoice(lines);
        let doc = InvoicePdf {
            shop: &shop,
            invoice: &invoice,
            lines: &lines_rows,
            customer: Some(&customer),
        };
        let mut times = Vec::with_capacity(renders);
        let mut size = 0;
        for _ in 0..renders {
            let start = Instant::now();
            size = render(&fonts, &doc).expect("render").len();
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
        println!(
            "{lines:>3} lines: p50 {:.2} ms  p95 {:.2} ms  max {:.2} ms  ({} KiB)",
            at(0.5),
            at(0.95),
            at(1.0),
            size / 1024
        );
    }
}
