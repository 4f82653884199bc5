//! POS sales and sales invoices: the sale (P1), the invoice views (P2, P3, S1–S3), receiving
//! payments (P5, S4) and voids (P4, S5).

pub mod checkout;
pub mod documents;
pub mod input;
pub mod output;
pub mod payment;
pub mod views;
pub mod void;

use std::str::FromStr;

/// The shop's local calendar date of an instant (`YYYY-MM-DD`), stored with every document so
/// day buckets and filters agree on both databases.
pub fn local_date(timezone: &str, at_ms: i64) -> String {
    let tz = chrono_tz::Tz::from_str(timezone).unwrap_or(chrono_tz::Asia::Kolkata);
    chrono::DateTime::from_timestamp_millis(at_ms)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%Y-%m-%d")
        .to_string()
}

/// The sale counters of SPEC §6 (`invoices_created_total{payment_status}`, `sales_amount_total`
/// in rupees), recorded after the sale committed.
pub fn record_sale(payment_status: &str, goods_minor: i64) {
    metrics::counter!("invoices_created_total", "payment_status" => payment_status.to_owned())
        .increment(1);
    // Rupees, fractional: the facade's counters are integral, so a monotonic float gauge.
    metrics::gauge!("sales_amount_total").increment(goods_minor as f64 / 100.0);
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_dates_follow_the_shop_time_zone() {
        // 2026-03-01T19:00:00Z is already 2 March in India, still 1 March in New York.
        let at = 1_772_391_600_000;
        assert_eq!(super::local_date("Asia/Kolkata", at), "2026-03-02");
        assert_eq!(super::local_date("America/New_York", at), "2026-03-01");
    }
}
