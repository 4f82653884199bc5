//! Quantities as integer thousandths (0.5 kg of rice is 500).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::decimal::{self, DecimalError, Excess, NumberText};

/// The largest quantity accepted: 1,000,000,000 units, in thousandths.
pub const MAX_MILLI: i64 = 1_000_000_000_000;

/// A quantity in thousandths of a unit, exact. At most three decimals are accepted, never rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Quantity(i64);

/// Why a value could not be read as a quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error("must be a number")]
    NotANumber,
    #[error("must have at most 3 decimals")]
    TooManyDecimals,
    #[error("must not be more than 1000000000")]
    TooLarge,
    #[error("must not be negative")]
    Negative,
    #[error("must be greater than 0")]
    NotPositive,
}

impl From<DecimalError> for QuantityError {
    fn from(e: DecimalError) -> Self {
        match e {
            DecimalError::TooLarge => QuantityError::TooLarge,
            DecimalError::TooManyDecimals { .. } => QuantityError::TooManyDecimals,
            DecimalError::NotANumber => QuantityError::NotANumber,
        }
    }
}

impl Quantity {
    pub const ZERO: Quantity = Quantity(0);

    pub fn from_milli(milli: i64) -> Result<Quantity, QuantityError> {
        if milli.unsigned_abs() > MAX_MILLI as u64 {
            return Err(QuantityError::TooLarge);
        }
        Ok(Quantity(milli))
    }

    /// Whole units (`5` → 5000 thousandths).
    pub fn units(units: i64) -> Result<Quantity, QuantityError> {
        Quantity::from_milli(units.checked_mul(1000).ok_or(QuantityError::TooLarge)?)
    }

    /// Parses decimal text; more than three (non-zero) decimals is an error.
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let milli = decimal::parse_scaled(text, 3, Excess::Reject, i128::from(MAX_MILLI))?;
        Ok(Quantity(milli as i64))
    }

    /// A quantity that must be ≥ 0 (stock levels, limits).
    pub fn parse_non_negative(text: &str) -> Result<Quantity, QuantityError> {
        let q = Quantity::parse(text)?;
        if q.0 < 0 {
            return Err(QuantityError::Negative);
        }
        Ok(q)
    }

    /// A quantity that must be > 0 (sale, return and order lines).
    pub fn parse_positive(text: &str) -> Result<Quantity, QuantityError> {
        let q = Quantity::parse(text)?;
        if q.0 <= 0 {
            return Err(QuantityError::NotPositive);
        }
        Ok(q)
    }

    pub fn milli(self) -> i64 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&decimal::format_scaled(self.0, 3))
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 1000 == 0 {
            s.serialize_i64(self.0 / 1000)
        } else {
            s.serialize_f64(self.as_f64())
        }
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Quantity, D::Error> {
        let text = decimal::deserialize_number_text(d)?;
        let raw = match &text {
            NumberText::Number(t) | NumberText::Str(t) => t,
        };
        Quantity::parse(raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_up_to_three_decimals_exactly() {
        assert_eq!(Quantity::parse("0.5").unwrap().milli(), 500);
        assert_eq!(Quantity::parse("1.125").unwrap().milli(), 1125);
        assert_eq!(
            Quantity::parse("1.1255"),
            Err(QuantityError::TooManyDecimals)
        );
        let q: Quantity = serde_json::from_str("2.5").unwrap();
        assert_eq!(q.milli(), 2500);
        assert!(serde_json::from_str::<Quantity>("0.0001").is_err());
        assert!(serde_json::from_str::<Quantity>("0.30000000000000004").is_err());
    }

    #[test]
    fn refuses_limits_and_signs_where_not_allowed() {
        assert_eq!(Quantity::parse("1000000000").unwrap().milli(), MAX_MILLI);
        assert_eq!(
            Quantity::parse("1000000000.001"),
            Err(QuantityError::TooLarge)
        );
        assert_eq!(
            Quantity::parse_positive("0"),
            Err(QuantityError::NotPositive)
        );
        assert_eq!(
            Quantity::parse_positive("-1"),
            Err(QuantityError::NotPositive)
        );
        assert_eq!(
            Quantity::parse_non_negative("-0.5"),
            Err(QuantityError::Negative)
        );
        assert_eq!(Quantity::parse_non_negative("0").unwrap().milli(), 0);
    }

    #[test]
    fn serializes_whole_units_as_integers() {
        assert_eq!(
            serde_json::to_string(&Quantity::parse("3").unwrap()).unwrap(),
            "3"
        );
        assert_eq!(
            serde_json::to_string(&Quantity::parse("0.25").unwrap()).unwrap(),
            "0.25"
        );
    }

    proptest! {
        #[test]
        fn text_round_trips(milli in -MAX_MILLI..=MAX_MILLI) {
            let q = Quantity::from_milli(milli).unwrap();
            prop_assert_eq!(Quantity::parse(&q.to_string()).unwrap(), q);
            let back: Quantity = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap();
            prop_assert_eq!(back, q);
        }
    }
}
