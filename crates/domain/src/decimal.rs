//! Exact decimal text parsing shared by [`crate::Money`] and [`crate::Quantity`].
//!
//! JSON numbers arrive here as the digits written in the request (serde_json's
//! `arbitrary_precision`), never through `f64`, so `1.005` really is one thousand and five
//! thousandths and rounds to `1.01`.

use std::fmt;

/// Why a decimal text could not be turned into a fixed-point integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecimalError {
    /// Not a number at all (`"abc"`, `""`, `"NaN"`, `"1e"`).
    NotANumber,
    /// More fractional digits than allowed where rounding is not permitted.
    TooManyDecimals { max: u32 },
    /// The magnitude exceeds the limit (given in the unscaled unit for messages).
    TooLarge,
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecimalError::NotANumber => f.write_str("must be a number"),
            DecimalError::TooManyDecimals { max } => write!(f, "must have at most {max} decimals"),
            DecimalError::TooLarge => f.write_str("is too large"),
        }
    }
}

/// What to do with digits beyond the target scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Excess {
    /// Round half away from zero (money: 2.675 → 2.68, −0.125 → −0.13).
    RoundHalfAwayFromZero,
    /// Refuse non-zero digits beyond the scale (quantities). Trailing zeros are exact and allowed.
    Reject,
}

/// Parses decimal text (`-12.5`, `1.005`, `1e3`, `0.25E-1`) into an integer scaled by `10^scale`,
/// refusing magnitudes above `max_scaled`.
pub fn parse_scaled(
    text: &str,
    scale: u32,
    excess: Excess,
    max_scaled: i128,
) -> Result<i128, DecimalError> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => {
            let exp_text = &rest[i + 1..];
            let exp_digits = exp_text.strip_prefix(['+', '-']).unwrap_or(exp_text);
            if exp_digits.is_empty() || !exp_digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DecimalError::NotANumber);
            }
            // Exponents beyond ±1000 are clamped: the value is then far too large, or rounds to 0.
            let significant = exp_digits.trim_start_matches('0');
            let magnitude: i64 = if significant.len() > 6 {
                1000
            } else {
                significant.parse::<i64>().unwrap_or(0).min(1000)
            };
            (
                &rest[..i],
                if exp_text.starts_with('-') {
                    -magnitude
                } else {
                    magnitude
                },
            )
        }
        None => (rest, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(DecimalError::NotANumber);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(DecimalError::NotANumber);
    }
    // All digits as one string; the decimal point sits after `point` digits.
    let digits: String = int_part.chars().chain(frac_part.chars()).collect();
    let digits = digits.trim_start_matches('0');
    let point = int_part.trim_start_matches('0').len() as i64 + exponent;
    // Leading zeros of the fraction were trimmed together with the integer zeros: account for them.
    let leading_frac_zeros = if int_part.trim_start_matches('0').is_empty() {
        (frac_part.len() - frac_part.trim_start_matches('0').len()) as i64
    } else {
        0
    };
    let point = point - leading_frac_zeros;
    if digits.is_empty() {
        return Ok(0);
    }
    // Digits that land at or above 10^-scale are kept; the rest decide rounding.
    let keep = point + scale as i64;
    if keep > 40 {
        return Err(DecimalError::TooLarge);
    }
    let (kept, dropped): (&str, &str) = if keep <= 0 {
        ("", digits)
    } else if keep as usize >= digits.len() {
        (digits, "")
    } else {
        digits.split_at(keep as usize)
    };
    let mut value: i128 = 0;
    for b in kept.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i128::from(b - b'0')))
            .ok_or(DecimalError::TooLarge)?;
    }
    if keep as usize > digits.len() && keep > 0 {
        for _ in 0..(keep as usize - digits.len()) {
            value = value.checked_mul(10).ok_or(DecimalError::TooLarge)?;
        }
    }
    let dropped_nonzero = dropped.bytes().any(|b| b != b'0');
    if dropped_nonzero {
        match excess {
            Excess::Reject => return Err(DecimalError::TooManyDecimals { max: scale }),
            Excess::RoundHalfAwayFromZero => {
                // `keep < 0` means zeros precede the first dropped digit: below one half.
                let first_dropped = if keep < 0 {
                    b'0'
                } else {
                    dropped.as_bytes()[0]
                };
                if first_dropped >= b'5' {
                    value += 1;
                }
            }
        }
    }
    if value > max_scaled {
        return Err(DecimalError::TooLarge);
    }
    Ok(if negative { -value } else { value })
}

/// Writes `value / 10^scale` without trailing zeros (`1250, 2` → `12.5`).
pub fn format_scaled(value: i64, scale: u32) -> String {
    let factor = 10i64.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let abs = value.unsigned_abs();
    let int = abs / factor as u64;
    let frac = abs % factor as u64;
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:0width$}", width = scale as usize);
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

/// Deserializes any JSON number or numeric string as its exact text.
///
/// With serde_json's `arbitrary_precision`, numbers reach `deserialize_any` as a one-entry map
/// holding their text; other deserializers hand over integers or floats, which we format.
pub(crate) fn deserialize_number_text<'de, D>(deserializer: D) -> Result<NumberText, D::Error>
where
    D: serde::Deserializer<'de>,
{
    deserializer.deserialize_any(NumberTextVisitor)
}

/// The text of a JSON number, or of a string that should hold one.
pub(crate) enum NumberText {
    Number(String),
    Str(String),
}

struct NumberTextVisitor;

impl<'de> serde::de::Visitor<'de> for NumberTextVisitor {
    type Value = NumberText;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<NumberText, E> {
        Ok(NumberText::Number(v.to_string()))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<NumberText, E> {
        Ok(NumberText::Number(v.to_string()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<NumberText, E> {
        if !v.is_finite() {
            return Err(E::custom("must be a finite number"));
        }
        Ok(NumberText::Number(v.to_string()))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<NumberText, E> {
        Ok(NumberText::Str(v.to_owned()))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<NumberText, A::Error> {
        // serde_json (arbitrary_precision) represents a number as {"$serde_json::private::Number": "<text>"}.
        let Some(key) = map.next_key::<String>()? else {
            return Err(serde::de::Error::custom("must be a number"));
        };
        if key != "$serde_json::private::Number" {
            return Err(serde::de::Error::custom("must be a number"));
        }
        let text: String = map.next_value()?;
        Ok(NumberText::Number(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(t: &str) -> Result<i128, DecimalError> {
        parse_scaled(t, 2, Excess::RoundHalfAwayFromZero, 100_000_000_000_000)
    }

    #[test]
    fn rounds_half_away_from_zero_from_the_written_digits() {
        assert_eq!(money("1.005"), Ok(101));
        assert_eq!(money("2.675"), Ok(268));
        assert_eq!(money("-0.125"), Ok(-13));
        assert_eq!(money("2.6749999999999999999"), Ok(267));
        assert_eq!(money("214.20000000000002"), Ok(21420));
        assert_eq!(money("0.004"), Ok(0));
        assert_eq!(money("0.005"), Ok(1));
        assert_eq!(money("0.0005"), Ok(0));
    }

    #[test]
    fn reads_exponents_and_leading_zeros() {
        assert_eq!(money("1e3"), Ok(100_000));
        assert_eq!(money("1.5E2"), Ok(15_000));
        assert_eq!(money("125e-3"), Ok(13));
        assert_eq!(money("007.10"), Ok(710));
        assert_eq!(money("0.07"), Ok(7));
        assert_eq!(money(".5"), Ok(50));
        assert_eq!(money("5."), Ok(500));
        assert_eq!(money("0"), Ok(0));
        assert_eq!(money("-0"), Ok(0));
    }

    #[test]
    fn refuses_what_is_not_a_number() {
        for t in [
            "", "-", "abc", "1,5", "NaN", "Infinity", "1e", "1.2.3", "0x10", "1 2",
        ] {
            assert_eq!(money(t), Err(DecimalError::NotANumber), "{t}");
        }
    }

    #[test]
    fn huge_exponents_are_refused_or_vanish_without_overflow() {
        assert_eq!(money("1e9223372036854775807"), Err(DecimalError::TooLarge));
        assert_eq!(money("9e9223372036854775806"), Err(DecimalError::TooLarge));
        assert_eq!(money("1e-9223372036854775808"), Ok(0));
        assert_eq!(money("0e99999999999999999999"), Ok(0));
        assert_eq!(money("1e+2"), Ok(10_000));
        assert_eq!(money("1e--2"), Err(DecimalError::NotANumber));
    }

    #[test]
    fn refuses_magnitudes_beyond_the_limit() {
        assert_eq!(money("1000000000000"), Ok(100_000_000_000_000));
        assert_eq!(money("1000000000000.01"), Err(DecimalError::TooLarge));
        assert_eq!(money("1e300"), Err(DecimalError::TooLarge));
        assert_eq!(money("-1000000000000.01"), Err(DecimalError::TooLarge));
    }

    #[test]
    fn reject_mode_allows_exact_trailing_zeros_only() {
        let q = |t| parse_scaled(t, 3, Excess::Reject, 1_000_000_000_000);
        assert_eq!(q("0.5"), Ok(500));
        assert_eq!(q("1.2340"), Ok(1234));
        assert_eq!(q("1.2345"), Err(DecimalError::TooManyDecimals { max: 3 }));
        assert_eq!(q("0.0001"), Err(DecimalError::TooManyDecimals { max: 3 }));
    }

    #[test]
    fn formats_without_trailing_zeros() {
        assert_eq!(format_scaled(1250, 2), "12.5");
        assert_eq!(format_scaled(-5, 2), "-0.05");
        assert_eq!(format_scaled(100, 2), "1");
        assert_eq!(format_scaled(1, 3), "0.001");
    }
}
