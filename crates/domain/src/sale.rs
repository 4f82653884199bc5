//! The arithmetic of a POS sale (SPEC §3.1 "Money and sales" and "Allocation"): what the invoice
//! records, what the customer owes afterwards, and how the money kept is split across the new
//! invoice, the customer's older invoices and credit. Pure: the caller supplies the customer's
//! current dues and applies the plan in one transaction.

use crate::money::MAX_MINOR;

/// How money reached the shop, as the invoice and ledger record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayMethod {
    Cash,
    Upi,
    Card,
    BankTransfer,
    Cheque,
    /// Nothing (or not everything) paid now: the rest is booked as dues.
    Due,
    Split,
    Credit,
}

impl PayMethod {
    /// The sale's `paymentMethod` values.
    pub fn parse(text: &str) -> Option<PayMethod> {
        Some(match text {
            "cash" => PayMethod::Cash,
            "upi" => PayMethod::Upi,
            "card" => PayMethod::Card,
            "bank_transfer" => PayMethod::BankTransfer,
            "cheque" => PayMethod::Cheque,
            "due" => PayMethod::Due,
            "split" => PayMethod::Split,
            "credit" => PayMethod::Credit,
            _ => return None,
        })
    }

    /// The receive-payment modal's values: `bank` is a bank transfer, `owner` (the owner took the
    /// money) is cash. Only ways money actually arrives.
    pub fn parse_received(text: &str) -> Option<PayMethod> {
        match text {
            "bank" => Some(PayMethod::BankTransfer),
            "owner" => Some(PayMethod::Cash),
            other => PayMethod::parse(other).filter(|m| m.is_money()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PayMethod::Cash => "cash",
            PayMethod::Upi => "upi",
            PayMethod::Card => "card",
            PayMethod::BankTransfer => "bank_transfer",
            PayMethod::Cheque => "cheque",
            PayMethod::Due => "due",
            PayMethod::Split => "split",
            PayMethod::Credit => "credit",
        }
    }

    /// A way real money arrives (what a payment part or a ledger payment row can be).
    pub fn is_money(self) -> bool {
        matches!(
            self,
            PayMethod::Cash
                | PayMethod::Upi
                | PayMethod::Card
                | PayMethod::BankTransfer
                | PayMethod::Cheque
        )
    }

    /// Money that lands in a bank account (raises its balance when the account is named).
    pub fn lands_in_bank(self) -> bool {
        matches!(
            self,
            PayMethod::Upi | PayMethod::Card | PayMethod::BankTransfer | PayMethod::Cheque
        )
    }

    /// The method a ledger row records for money paid with this sale method: `due` and `credit`
    /// with money paid still mean money in hand, so cash.
    pub fn money_channel(self) -> PayMethod {
        if self.is_money() {
            self
        } else {
            PayMethod::Cash
        }
    }
}

/// What the cashier asked for, every amount in paise and already known to be ≥ 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SaleTerms {
    /// Σ line totals.
    pub subtotal: i64,
    pub discount: i64,
    pub previous_due: i64,
    pub credit_applied: i64,
    pub paid: i64,
    pub change_returned: i64,
}

/// Who buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buyer {
    WalkIn,
    /// A known customer with these dues (negative: credit).
    Customer {
        dues: i64,
    },
}

/// What a sale does, in paise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SalePlan {
    /// subtotal − discount: the value of the goods (the `sale` ledger row).
    pub goods: i64,
    /// goods + previous due.
    pub total: i64,
    /// paid − change returned: the money the shop keeps.
    pub kept: i64,
    /// The part of `kept` recorded on this invoice (`paidAmount`).
    pub applied: i64,
    /// Credit spent on this invoice: what the cashier asked for plus what was applied
    /// automatically to the rest.
    pub credit_applied: i64,
    /// The part of `kept` beyond this invoice: settles the customer's oldest invoices, the rest
    /// becomes credit.
    pub excess: i64,
    pub balance_due: i64,
    /// The customer's dues after the sale: old dues + goods − kept.
    pub dues_after: i64,
}

/// Why a sale is refused; [`SaleRefusal::message`] is the 400 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaleRefusal {
    DiscountAboveSubtotal { subtotal: i64 },
    WalkInCredit,
    WalkInPreviousDue,
    WalkInMustPayFull,
    WalkInChange { change: i64 },
    PreviousDueAboveDues { previous_due: i64, dues: i64 },
    NoCredit,
    CreditAboveAvailable { credit: i64, available: i64 },
    CreditAboveTotal { total: i64 },
    ChangeAboveOwed,
    TooLarge,
}

/// Paise as the original's messages print rupees (`₹12.5`, `₹100`).
pub fn rupees(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let (whole, paise) = (abs / 100, abs % 100);
    match paise {
        0 => format!("{sign}{whole}"),
        p if p % 10 == 0 => format!("{sign}{whole}.{}", p / 10),
        p => format!("{sign}{whole}.{p:02}"),
    }
}

impl SaleRefusal {
    pub fn message(&self) -> String {
        match self {
            SaleRefusal::DiscountAboveSubtotal { subtotal } => format!(
                "discount: must be between 0 and the subtotal (₹{})",
                rupees(*subtotal)
            ),
            SaleRefusal::WalkInCredit => {
                "Walk-in customers cannot use credit. Please select a customer.".into()
            }
            SaleRefusal::WalkInPreviousDue => {
                "Walk-in customers have no previous dues. Please select a customer.".into()
            }
            SaleRefusal::WalkInMustPayFull => {
                "Walk-in customers must pay full amount. Please add customer details to allow credit."
                    .into()
            }
            SaleRefusal::WalkInChange { change } => format!(
                "Walk-in customers must get all their change back (₹{}). Please add customer details to keep it as credit.",
                rupees(*change)
            ),
            SaleRefusal::PreviousDueAboveDues { previous_due, dues } => format!(
                "Previous due amount (₹{}) exceeds customer's outstanding dues (₹{})",
                rupees(*previous_due),
                rupees(*dues)
            ),
            SaleRefusal::NoCredit => "Customer has no available credit".into(),
            SaleRefusal::CreditAboveAvailable { credit, available } => format!(
                "Credit applied (₹{}) exceeds available credit (₹{})",
                rupees(*credit),
                rupees(*available)
            ),
            SaleRefusal::CreditAboveTotal { total } => format!(
                "Credit applied cannot exceed the invoice total (₹{})",
                rupees(*total)
            ),
            SaleRefusal::ChangeAboveOwed => {
                "You are returning more amount than required. Please correct the change returned."
                    .into()
            }
            SaleRefusal::TooLarge => "Amount must not be more than 1000000000000".into(),
        }
    }
}

/// Computes a sale, or says why it is refused.
///
/// Money kept goes first to this invoice (its goods, then its rolled-in previous due); credit the
/// customer still has after that settles what is outstanding on it; money beyond the invoice
/// (change not returned) settles older invoices and then becomes credit. Afterwards the
/// customer's dues are exactly `old dues + goods − kept`.
pub fn plan_sale(terms: SaleTerms, buyer: Buyer) -> Result<SalePlan, SaleRefusal> {
    let SaleTerms {
        subtotal,
        discount,
        previous_due,
        credit_applied,
        paid,
        change_returned,
    } = terms;
    if subtotal > MAX_MINOR {
        return Err(SaleRefusal::TooLarge);
    }
    if discount > subtotal {
        return Err(SaleRefusal::DiscountAboveSubtotal { subtotal });
    }
    let goods = subtotal - discount;
    let total = goods + previous_due;
    if total > MAX_MINOR {
        return Err(SaleRefusal::TooLarge);
    }
    let owed_change = (paid + credit_applied - total).max(0);
    let dues = match buyer {
        Buyer::WalkIn => {
            if credit_applied > 0 {
                return Err(SaleRefusal::WalkInCredit);
            }
            if previous_due > 0 {
                return Err(SaleRefusal::WalkInPreviousDue);
            }
            if paid < total {
                return Err(SaleRefusal::WalkInMustPayFull);
            }
            if change_returned > owed_change {
                return Err(SaleRefusal::ChangeAboveOwed);
            }
            if change_returned < owed_change {
                return Err(SaleRefusal::WalkInChange {
                    change: owed_change,
                });
            }
            0
        }
        Buyer::Customer { dues } => {
            if previous_due > dues.max(0) {
                return Err(SaleRefusal::PreviousDueAboveDues {
                    previous_due,
                    dues: dues.max(0),
                });
            }
            let available = (-dues).max(0);
            if credit_applied > 0 && available == 0 {
                return Err(SaleRefusal::NoCredit);
            }
            if credit_applied > available {
                return Err(SaleRefusal::CreditAboveAvailable {
                    credit: credit_applied,
                    available,
                });
            }
            if credit_applied > total {
                return Err(SaleRefusal::CreditAboveTotal { total });
            }
            if change_returned > owed_change {
                return Err(SaleRefusal::ChangeAboveOwed);
            }
            dues
        }
    };
    let kept = paid - change_returned;
    let applied = kept.min(total - credit_applied);
    let excess = kept - applied;
    let mut balance_due = total - applied - credit_applied;
    // Credit left after what the cashier applied settles the rest of this invoice.
    let credit_left = (-dues).max(0) - credit_applied;
    let automatic = credit_left.min(balance_due).max(0);
    balance_due -= automatic;
    let dues_after = dues + goods - kept;
    if dues_after.abs() > MAX_MINOR {
        return Err(SaleRefusal::TooLarge);
    }
    Ok(SalePlan {
        goods,
        total,
        kept,
        applied,
        credit_applied: credit_applied + automatic,
        excess,
        balance_due,
        dues_after,
    })
}

/// `paymentStatus` from what is still outstanding: `paid` at 0, `unpaid` while nothing reduced
/// the total, `partial` otherwise.
pub fn payment_status(total: i64, balance_due: i64) -> &'static str {
    if balance_due <= 0 {
        "paid"
    } else if balance_due >= total {
        "unpaid"
    } else {
        "partial"
    }
}

/// The sale's recorded `paymentMethod` and `paidViaMethod` (reference §5.3 step 9): credit spent
/// on the invoice (asked for or applied automatically) together with money makes it `split`,
/// credit alone `credit`.
pub fn recorded_methods(
    requested: PayMethod,
    credit: i64,
    applied: i64,
) -> (PayMethod, Option<PayMethod>) {
    let method = match (credit > 0, applied > 0) {
        (true, true) => PayMethod::Split,
        (true, false) => PayMethod::Credit,
        _ => requested,
    };
    let via = if applied > 0 {
        Some(requested)
    } else if credit > 0 {
        Some(PayMethod::Credit)
    } else {
        None
    };
    (method, via)
}

/// One part of the money kept, for its ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyPart<A> {
    pub method: PayMethod,
    pub amount: i64,
    /// Where the money went (a bank account), when the caller knows it.
    pub account: A,
}

/// Splits the money kept over the parts it was paid with. The change handed back is taken from
/// the cash parts first (change is given in cash), then from the last parts; parts left at 0 are
/// dropped, since no ledger row has amount 0.
pub fn kept_parts<A: Clone>(parts: &[MoneyPart<A>], change_returned: i64) -> Vec<MoneyPart<A>> {
    let mut out: Vec<MoneyPart<A>> = parts.to_vec();
    let mut change = change_returned;
    for part in out.iter_mut().filter(|p| p.method == PayMethod::Cash) {
        let take = change.min(part.amount);
        part.amount -= take;
        change -= take;
    }
    for part in out.iter_mut().rev() {
        let take = change.min(part.amount);
        part.amount -= take;
        change -= take;
    }
    out.retain(|p| p.amount > 0);
    out
}

/// Applies `amount` to outstanding balances oldest first; returns how much each one takes and
/// what is left over.
pub fn allocate_oldest_first(balances: &[i64], amount: i64) -> (Vec<i64>, i64) {
    let mut left = amount;
    let takes = balances
        .iter()
        .map(|&balance| {
            let take = left.min(balance).max(0);
            left -= take;
            take
        })
        .collect();
    (takes, left)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(subtotal: i64) -> SaleTerms {
        SaleTerms {
            subtotal,
            discount: 0,
            previous_due: 0,
            credit_applied: 0,
            paid: 0,
            change_returned: 0,
        }
    }

    #[test]
    fn rolled_in_dues_are_not_counted_twice() {
        // The original's bug: old due 100, new goods 50, paid 0 gave dues 250.
        let plan = plan_sale(
            SaleTerms {
                previous_due: 10_000,
                ..terms(5_000)
            },
            Buyer::Customer { dues: 10_000 },
        )
        .unwrap();
        assert_eq!(plan.total, 15_000);
        assert_eq!(plan.dues_after, 15_000);
        assert_eq!(plan.balance_due, 15_000);
    }

    #[test]
    fn money_kept_beyond_the_invoice_is_excess_and_lowers_dues() {
        let plan = plan_sale(
            SaleTerms {
                paid: 20_000,
                change_returned: 5_000,
                ..terms(10_000)
            },
            Buyer::Customer { dues: 0 },
        )
        .unwrap();
        assert_eq!(
            (plan.applied, plan.excess, plan.balance_due, plan.dues_after),
            (10_000, 5_000, 0, -5_000)
        );
    }

    #[test]
    fn remaining_credit_settles_the_rest_automatically() {
        let plan = plan_sale(
            SaleTerms {
                paid: 1_000,
                ..terms(10_000)
            },
            Buyer::Customer { dues: -3_000 },
        )
        .unwrap();
        assert_eq!(
            (plan.credit_applied, plan.balance_due, plan.dues_after),
            (3_000, 6_000, 6_000)
        );
        assert_eq!(payment_status(plan.total, plan.balance_due), "partial");
    }

    #[test]
    fn walk_in_rules() {
        let walk_in = |t| plan_sale(t, Buyer::WalkIn);
        assert_eq!(
            walk_in(SaleTerms {
                paid: 500,
                ..terms(1_000)
            }),
            Err(SaleRefusal::WalkInMustPayFull)
        );
        assert_eq!(
            walk_in(SaleTerms {
                paid: 2_000,
                change_returned: 500,
                ..terms(1_000)
            }),
            Err(SaleRefusal::WalkInChange { change: 1_000 })
        );
        assert_eq!(
            walk_in(SaleTerms {
                paid: 1_000,
                credit_applied: 1,
                ..terms(1_000)
            }),
            Err(SaleRefusal::WalkInCredit)
        );
        let plan = walk_in(SaleTerms {
            paid: 2_000,
            change_returned: 1_000,
            ..terms(1_000)
        })
        .unwrap();
        assert_eq!((plan.kept, plan.applied, plan.excess), (1_000, 1_000, 0));
    }

    #[test]
    fn limits_on_previous_due_credit_discount_and_change() {
        let customer = |dues| Buyer::Customer { dues };
        assert!(matches!(
            plan_sale(
                SaleTerms {
                    previous_due: 101,
                    ..terms(1)
                },
                customer(100)
            ),
            Err(SaleRefusal::PreviousDueAboveDues { .. })
        ));
        assert_eq!(
            plan_sale(
                SaleTerms {
                    credit_applied: 1,
                    ..terms(1)
                },
                customer(0)
            ),
            Err(SaleRefusal::NoCredit)
        );
        assert_eq!(
            plan_sale(
                SaleTerms {
                    credit_applied: 200,
                    ..terms(100)
                },
                customer(-500)
            ),
            Err(SaleRefusal::CreditAboveTotal { total: 100 })
        );
        assert!(matches!(
            plan_sale(
                SaleTerms {
                    discount: 101,
                    ..terms(100)
                },
                customer(0)
            ),
            Err(SaleRefusal::DiscountAboveSubtotal { .. })
        ));
        assert_eq!(
            plan_sale(
                SaleTerms {
                    paid: 100,
                    change_returned: 1,
                    ..terms(100)
                },
                customer(0)
            ),
            Err(SaleRefusal::ChangeAboveOwed)
        );
    }

    #[test]
    fn change_comes_out_of_cash_first() {
        let part = |method, amount| MoneyPart {
            method,
            amount,
            account: (),
        };
        let parts = [part(PayMethod::Upi, 500), part(PayMethod::Cash, 300)];
        assert_eq!(
            kept_parts(&parts, 400),
            vec![part(PayMethod::Upi, 400)],
            "cash 300 first, then 100 from the UPI part"
        );
    }

    #[test]
    fn allocation_is_oldest_first() {
        assert_eq!(
            allocate_oldest_first(&[100, 50, 70], 120),
            (vec![100, 20, 0], 0)
        );
        assert_eq!(allocate_oldest_first(&[10], 25), (vec![10], 15));
    }

    #[test]
    fn rupee_text() {
        assert_eq!(rupees(1_250), "12.5");
        assert_eq!(rupees(10_000), "100");
        assert_eq!(rupees(1_205), "12.05");
    }

    proptest::proptest! {
        /// Whatever is accepted keeps the open-item invariant: Σ balances = max(dues, 0).
        #[test]
        fn accepted_sales_keep_balances_equal_to_positive_dues(
            dues in -50_000i64..50_000,
            subtotal in 0i64..50_000,
            discount in 0i64..10_000,
            previous_due in 0i64..50_000,
            credit_applied in 0i64..50_000,
            paid in 0i64..100_000,
            change_returned in 0i64..50_000,
        ) {
            let terms = SaleTerms { subtotal, discount, previous_due, credit_applied, paid, change_returned };
            if let Ok(plan) = plan_sale(terms, Buyer::Customer { dues }) {
                proptest::prop_assert!(plan.balance_due >= 0 && plan.excess >= 0 && plan.applied >= 0);
                proptest::prop_assert_eq!(plan.dues_after, dues + plan.goods - plan.kept);
                // Older invoices: max(dues, 0) outstanding, less what was carried, less the excess.
                let older = dues.max(0) - previous_due;
                let (_, leftover) = allocate_oldest_first(&[older], plan.excess);
                let older_after = older - (plan.excess - leftover);
                proptest::prop_assert_eq!(older_after + plan.balance_due, plan.dues_after.max(0));
                if plan.excess > 0 {
                    proptest::prop_assert_eq!(plan.balance_due, 0);
                }
            }
        }
    }
}
