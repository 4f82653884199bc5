//! Money as integer minor units (paise).

use std::fmt;
use std::ops::{Add, Neg, Sub};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::decimal::{self, DecimalError, Excess, NumberText};
use crate::quantity::Quantity;

/// The largest amount accepted or computed: 1,000,000,000,000.00 rupees, in paise.
pub const MAX_MINOR: i64 = 100_000_000_000_000;

/// An amount of money in paise. Always within ±[`MAX_MINOR`].
///
/// Parsed from the digits of the JSON text (or a numeric string such as `"12.50"`); more than two
/// decimals round half away from zero. Serialized as a JSON number with at most two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Why a value could not be read as money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("must be a number")]
    NotANumber,
    #[error("must not be more than 1000000000000")]
    TooLarge,
    #[error("must not be negative")]
    Negative,
}

impl From<DecimalError> for MoneyError {
    fn from(e: DecimalError) -> Self {
        match e {
            DecimalError::TooLarge => MoneyError::TooLarge,
            _ => MoneyError::NotANumber,
        }
    }
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// Wraps paise read from storage or computed by checked arithmetic.
    pub fn from_minor(minor: i64) -> Result<Money, MoneyError> {
        if minor.unsigned_abs() > MAX_MINOR as u64 {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(minor))
    }

    /// Parses decimal text such as `"12.5"`, `"1.005"` or `"-3"`.
    pub fn parse(text: &str) -> Result<Money, MoneyError> {
        let minor = decimal::parse_scaled(
            text,
            2,
            Excess::RoundHalfAwayFromZero,
            i128::from(MAX_MINOR),
        )?;
        Ok(Money(minor as i64))
    }

    /// Like [`Money::parse`] but refuses negative amounts.
    pub fn parse_non_negative(text: &str) -> Result<Money, MoneyError> {
        let m = Money::parse(text)?;
        if m.0 < 0 {
            return Err(MoneyError::Negative);
        }
        Ok(m)
    }

    pub fn minor(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The amount in major units (rupees) as a float, for metrics and JSON only.
    pub fn as_major_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_add(other.0)
            .ok_or(MoneyError::TooLarge)
            .and_then(Money::from_minor)
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.0
            .checked_sub(other.0)
            .ok_or(MoneyError::TooLarge)
            .and_then(Money::from_minor)
    }

    /// `quantity × price`, rounded half away from zero to the paisa.
    pub fn times(self, quantity: Quantity) -> Result<Money, MoneyError> {
        let product = i128::from(self.0) * i128::from(quantity.milli());
        let rounded = div_round_half_away(product, 1000);
        if rounded.unsigned_abs() > MAX_MINOR as u128 {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(rounded as i64))
    }

    /// `self × numerator / denominator`, rounded half away from zero (pro-rating, percentages).
    pub fn scale(self, numerator: i64, denominator: i64) -> Result<Money, MoneyError> {
        if denominator == 0 {
            return Err(MoneyError::NotANumber);
        }
        let rounded = div_round_half_away(
            i128::from(self.0) * i128::from(numerator),
            i128::from(denominator),
        );
        if rounded.unsigned_abs() > MAX_MINOR as u128 {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(rounded as i64))
    }

    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }

    pub fn max(self, other: Money) -> Money {
        Money(self.0.max(other.0))
    }
}

/// Integer division rounding half away from zero.
pub fn div_round_half_away(n: i128, d: i128) -> i128 {
    let (n, d) = if d < 0 { (-n, -d) } else { (n, d) };
    let q = n / d;
    let r = n % d;
    if 2 * r.abs() >= d { q + n.signum() } else { q }
}

// Additions of values that are each within the limit never overflow i64; results are checked
// where they are stored, so the operators stay convenient for in-memory arithmetic.
impl Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0.saturating_sub(o.0))
    }
}

impl Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Money {
    /// `12.5` → `12.50`: the form used in messages ("Remaining: ₹12.50").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Exact: every paise value within the limit has a double whose shortest form is its decimal.
        s.serialize_f64(self.as_major_f64())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        let text = decimal::deserialize_number_text(d)?;
        let raw = match &text {
            NumberText::Number(t) | NumberText::Str(t) => t,
        };
        Money::parse(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_spec_examples() {
        assert_eq!(Money::parse("1.005").unwrap().minor(), 101);
        assert_eq!(Money::parse("2.675").unwrap().minor(), 268);
        assert_eq!(Money::parse("-0.125").unwrap().minor(), -13);
        assert_eq!(Money::parse("12.50").unwrap().minor(), 1250);
    }

    #[test]
    fn json_numbers_and_numeric_strings_deserialize_exactly() {
        let m: Money = serde_json::from_str("1.005").unwrap();
        assert_eq!(m.minor(), 101);
        let m: Money = serde_json::from_str("\"12.50\"").unwrap();
        assert_eq!(m.minor(), 1250);
        let m: Money = serde_json::from_str("2.6749999999999999999").unwrap();
        assert_eq!(m.minor(), 267);
        assert!(serde_json::from_str::<Money>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Money>("true").is_err());
        assert!(serde_json::from_str::<Money>("null").is_err());
        assert!(serde_json::from_str::<Money>("1000000000000.01").is_err());
        assert!(serde_json::from_str::<Money>("\"NaN\"").is_err());
    }

    #[test]
    fn limits_are_refused() {
        assert_eq!(Money::parse("1000000000000.00").unwrap().minor(), MAX_MINOR);
        assert_eq!(Money::parse("1000000000000.01"), Err(MoneyError::TooLarge));
        assert_eq!(Money::parse_non_negative("-1"), Err(MoneyError::Negative));
        let big = Money::parse("1000000000000").unwrap();
        assert_eq!(
            big.checked_add(Money::parse("0.01").unwrap()),
            Err(MoneyError::TooLarge)
        );
    }

    #[test]
    fn serializes_as_a_number_with_at_most_two_decimals() {
        let m = Money::parse("214.20000000000002").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "214.2");
        assert_eq!(
            serde_json::to_string(&Money::parse("0.1").unwrap()).unwrap(),
            "0.1"
        );
        assert_eq!(Money::parse("12.5").unwrap().to_string(), "12.50");
        assert_eq!(Money::parse("-0.05").unwrap().to_string(), "-0.05");
    }

    #[test]
    fn line_total_rounds_half_away_from_zero() {
        let price = Money::parse("33.33").unwrap();
        let q = Quantity::parse("0.5").unwrap();
        assert_eq!(price.times(q).unwrap().minor(), 1667); // 16.665 → 16.67
        let q = Quantity::parse("3").unwrap();
        assert_eq!(price.times(q).unwrap().minor(), 9999);
    }

    proptest! {
        #[test]
        fn two_decimal_text_round_trips(minor in -MAX_MINOR..=MAX_MINOR) {
            let text = Money::from_minor(minor).unwrap().to_string();
            prop_assert_eq!(Money::parse(&text).unwrap().minor(), minor);
            let json = serde_json::to_string(&Money::from_minor(minor).unwrap()).unwrap();
            let back: Money = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back.minor(), minor);
        }

        #[test]
        fn rounding_matches_an_integer_model(minor_thousandths in -10_000_000_000i64..10_000_000_000i64) {
            // Text with three decimals; the model rounds thousandths to hundredths half away from zero.
            let text = crate::decimal::format_scaled(minor_thousandths, 3);
            let expected = div_round_half_away(i128::from(minor_thousandths), 10) as i64;
            prop_assert_eq!(Money::parse(&text).unwrap().minor(), expected);
        }

        #[test]
        fn scale_never_exceeds_the_whole(total in 0i64..1_000_000_000, part in 0i64..1000, whole in 1i64..1000) {
            let part = part.min(whole);
            let m = Money::from_minor(total).unwrap().scale(part, whole).unwrap();
            prop_assert!(m.minor() <= total && m.minor() >= 0);
        }
    }
}
