//! The POS sale and receive-payment bodies as the frontend sends them, turned into checked
//! requests. Every refusal is a 400 naming the field; nothing here touches the database.

use domain::sale::{MoneyPart, PayMethod};
use domain::{Money, ObjectId, Quantity};
use serde::Deserialize;

use crate::error::ApiError;
use crate::http::input::trimmed;

/// More lines than any till prints; keeps one sale's transaction bounded.
const MAX_LINES: usize = 500;
const MAX_SPLIT_PARTS: usize = 20;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutBody {
    customer_id: Option<String>,
    items: Option<Vec<LineBody>>,
    discount: Option<Money>,
    paid_amount: Option<Money>,
    credit_applied: Option<Money>,
    previous_due_amount: Option<Money>,
    payment_method: Option<String>,
    bank_account: Option<String>,
    change_returned: Option<Money>,
    split_payment_details: Option<Vec<SplitBody>>,
}

/// A cart line. The client's `name` and `total` are ignored: the server computes totals.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineBody {
    item: Option<String>,
    quantity: Option<Quantity>,
    price: Option<Money>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SplitBody {
    method: Option<String>,
    amount: Option<Money>,
    bank_account: Option<String>,
}

/// One cart line, checked.
#[derive(Debug, Clone)]
pub struct LineRequest {
    pub item_id: String,
    /// Thousandths, > 0.
    pub quantity: i64,
    /// The cashier's price override in paise (≥ 0), or the item's selling price when absent.
    pub price: Option<i64>,
}

/// A POS sale, checked. Amounts in paise, all ≥ 0.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub customer_id: Option<String>,
    pub lines: Vec<LineRequest>,
    pub discount: i64,
    pub paid: i64,
    pub credit_applied: i64,
    pub previous_due: i64,
    pub change_returned: i64,
    pub method: PayMethod,
    /// The parts `paid` was made of (one part unless the method is `split`), before change.
    pub parts: Vec<MoneyPart<Option<String>>>,
}

/// A blank or null id field is absent (the POS sends `""` and `null` for "none").
fn optional_id(
    field: &str,
    value: Option<String>,
    message: &str,
) -> Result<Option<String>, ApiError> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => ObjectId::parse(v)
            .map(|id| Some(id.to_hex()))
            .map_err(|_| ApiError::bad_request(message.to_owned()).with("field", field)),
    }
}

fn non_negative(field: &str, value: Option<Money>) -> Result<i64, ApiError> {
    let value = value.unwrap_or_default();
    if value.is_negative() {
        return Err(
            ApiError::bad_request(format!("{field}: must not be negative")).with("field", field),
        );
    }
    Ok(value.minor())
}

pub fn checkout(body: CheckoutBody) -> Result<Checkout, ApiError> {
    let items = body.items.unwrap_or_default();
    if items.is_empty() {
        return Err(ApiError::bad_request("No items in invoice"));
    }
    if items.len() > MAX_LINES {
        return Err(ApiError::bad_request(format!(
            "items: at most {MAX_LINES} lines per invoice"
        )));
    }
    let mut lines = Vec::with_capacity(items.len());
    for (n, line) in items.into_iter().enumerate() {
        let raw = line.item.unwrap_or_default();
        let item_id = ObjectId::parse(raw.trim())
            .map_err(|_| ApiError::bad_request(format!("Invalid item ID format: {raw}")))?
            .to_hex();
        let quantity = match line.quantity {
            Some(q) if q.milli() > 0 => q.milli(),
            Some(_) => {
                return Err(ApiError::bad_request(format!(
                    "items[{n}].quantity: must be greater than 0"
                )));
            }
            None => {
                return Err(ApiError::bad_request(format!(
                    "items[{n}].quantity: is required"
                )));
            }
        };
        let price = match line.price {
            Some(p) if p.is_negative() => {
                return Err(ApiError::bad_request(format!(
                    "items[{n}].price: must not be negative"
                )));
            }
            other => other.map(Money::minor),
        };
        lines.push(LineRequest {
            item_id,
            quantity,
            price,
        });
    }
    let customer_id = optional_id("customerId", body.customer_id, "Invalid customer ID format")?;
    let bank_account = optional_id(
        "bankAccount",
        body.bank_account,
        "Invalid bank account ID format",
    )?;
    let method_text = body
        .payment_method
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let method = match method_text {
        None => PayMethod::Cash,
        Some(m) => PayMethod::parse(m).ok_or_else(|| {
            ApiError::bad_request(
                "paymentMethod: must be one of cash, upi, card, bank_transfer, cheque, due, split, credit",
            )
            .with("field", "paymentMethod")
        })?,
    };
    let paid = non_negative("paidAmount", body.paid_amount)?;
    let parts = if method == PayMethod::Split {
        split_parts(
            body.split_payment_details.unwrap_or_default(),
            paid,
            bank_account.as_deref(),
        )?
    } else if paid > 0 {
        vec![MoneyPart {
            method: method.money_channel(),
            amount: paid,
            account: bank_account.filter(|_| method.money_channel().lands_in_bank()),
        }]
    } else {
        Vec::new()
    };
    Ok(Checkout {
        customer_id,
        lines,
        discount: non_negative("discount", body.discount)?,
        paid,
        credit_applied: non_negative("creditApplied", body.credit_applied)?,
        previous_due: non_negative("previousDueAmount", body.previous_due_amount)?,
        change_returned: non_negative("changeReturned", body.change_returned)?,
        method,
        parts,
    })
}

/// The parts of a split payment: real money only, each > 0, adding up to `paidAmount`. A part
/// that lands in a bank may name its account; otherwise the sale's `bankAccount` is used.
fn split_parts(
    parts: Vec<SplitBody>,
    paid: i64,
    bank_account: Option<&str>,
) -> Result<Vec<MoneyPart<Option<String>>>, ApiError> {
    if parts.is_empty() {
        return Err(ApiError::bad_request(
            "splitPaymentDetails: a split payment needs its parts",
        ));
    }
    if parts.len() > MAX_SPLIT_PARTS {
        return Err(ApiError::bad_request(format!(
            "splitPaymentDetails: at most {MAX_SPLIT_PARTS} parts"
        )));
    }
    let mut out = Vec::with_capacity(parts.len());
    for (n, part) in parts.into_iter().enumerate() {
        let field = format!("splitPaymentDetails[{n}]");
        let method = part
            .method
            .as_deref()
            .map(str::trim)
            .and_then(PayMethod::parse)
            .filter(|m| m.is_money())
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "{field}.method: must be one of cash, upi, card, bank_transfer, cheque"
                ))
            })?;
        let amount = part.amount.unwrap_or_default();
        if !amount.is_positive() {
            return Err(ApiError::bad_request(format!(
                "{field}.amount: must be greater than 0"
            )));
        }
        let account = optional_id(
            &format!("{field}.bankAccount"),
            part.bank_account,
            "Invalid bank account ID format",
        )?
        .or_else(|| bank_account.map(str::to_owned))
        .filter(|_| method.lands_in_bank());
        out.push(MoneyPart {
            method,
            amount: amount.minor(),
            account,
        });
    }
    let sum: i64 = out.iter().map(|p| p.amount).sum();
    if sum != paid {
        return Err(ApiError::bad_request(
            "splitPaymentDetails: the parts must add up to paidAmount",
        ));
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentBody {
    amount: Option<Money>,
    paid_amount: Option<Money>,
    payment_method: Option<String>,
    bank_account: Option<String>,
    reference: Option<String>,
    notes: Option<String>,
}

/// A payment received against one invoice, checked.
#[derive(Debug, Clone)]
pub struct Payment {
    pub amount: i64,
    pub method: PayMethod,
    /// The account the money went into (only for money that lands in a bank).
    pub bank_account: Option<String>,
    pub reference: String,
    pub notes: String,
}

/// `amount` (or its alias `paidAmount`), rounded to the paisa before any check; the modal's
/// `bank` is a bank transfer and `owner` cash. `default_method` is the endpoint's default.
pub fn payment(body: PaymentBody, default_method: PayMethod) -> Result<Payment, ApiError> {
    let amount = body.amount.or(body.paid_amount).unwrap_or_default();
    if !amount.is_positive() {
        return Err(
            ApiError::bad_request("Valid payment amount is required").with("field", "amount")
        );
    }
    let method = match body
        .payment_method
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => default_method,
        Some(m) => PayMethod::parse_received(m).ok_or_else(|| {
            ApiError::bad_request(
                "paymentMethod: must be one of cash, bank, bank_transfer, upi, card, cheque, owner",
            )
            .with("field", "paymentMethod")
        })?,
    };
    let bank_account = optional_id(
        "bankAccount",
        body.bank_account,
        "Invalid bank account ID format",
    )?
    .filter(|_| method.lands_in_bank());
    Ok(Payment {
        amount: amount.minor(),
        method,
        bank_account,
        reference: trimmed("reference", body.reference, 200)?.unwrap_or_default(),
        notes: trimmed("notes", body.notes, 500)?.unwrap_or_default(),
    })
}
