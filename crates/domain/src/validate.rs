//! Validated text inputs shared by several endpoints.

/// The original's password policy: at least 8 characters with an upper-case letter, a lower-case
/// letter, a digit and a character that is neither.
pub fn is_strong_password(password: &str) -> bool {
    password.chars().count() >= 8
        && password.chars().any(|c| c.is_uppercase())
        && password.chars().any(|c| c.is_lowercase())
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| !c.is_alphanumeric())
}

/// A plausible e-mail address: one `@` with text on both sides, a dot in the domain, no spaces.
pub fn is_plausible_email(email: &str) -> bool {
    let email = email.trim();
    if email.len() > 254 || email.chars().any(char::is_whitespace) {
        return false;
    }
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

/// Exactly ten digits once surrounding space is trimmed (kept as text: leading zeros matter).
pub fn is_ten_digit_phone(phone: &str) -> bool {
    let p = phone.trim();
    p.len() == 10 && p.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy() {
        assert!(is_strong_password("Secret#123"));
        assert!(!is_strong_password("secret#123"));
        assert!(!is_strong_password("SECRET#123"));
        assert!(!is_strong_password("Secret1234"));
        assert!(!is_strong_password("Sec#1"));
    }

    #[test]
    fn emails_and_phones() {
        assert!(is_plausible_email("a@b.in"));
        assert!(!is_plausible_email("a@b"));
        assert!(!is_plausible_email("a b@c.in"));
        assert!(!is_plausible_email("@c.in"));
        assert!(is_ten_digit_phone(" 0123456789 "));
        assert!(!is_ten_digit_phone("12345.6789"));
        assert!(!is_ten_digit_phone("123456789"));
    }
}
