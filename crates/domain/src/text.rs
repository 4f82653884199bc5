//! Keys for sorting and case-insensitive matching, computed here so that SQLite and PostgreSQL
//! order and match identically (both compare the stored keys byte by byte).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for ordering and matching: compatibility-decomposed, accents dropped, lower-cased,
/// inner whitespace collapsed. `"  Éclair  Bakery"` → `"eclair bakery"`.
pub fn fold_key(text: &str) -> String {
    let folded: String = text
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The identity of an e-mail address: trimmed and lower-cased (the original lower-cased every
/// stored address and every look-up).
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_accents_fold_to_one_key() {
        assert_eq!(fold_key("Éclair"), fold_key("eclair"));
        assert_eq!(fold_key("ZOË"), "zoe");
        assert_eq!(fold_key("  Rice   1kg "), "rice 1kg");
        assert_eq!(fold_key("Straße"), "straße");
        assert!(fold_key("apple") < fold_key("Banana"));
    }

    #[test]
    fn email_keys_ignore_case_and_surrounding_space() {
        assert_eq!(email_key(" Owner@Shop.IN "), "owner@shop.in");
    }
}
