//! Password policy and Argon2id hashing.
//!
//! Parameters (OWASP Password Storage Cheat Sheet, first Argon2id option): m = 19 MiB,
//! t = 2 iterations, p = 1 lane, 16-byte random salt, 32-byte output, PHC string format.
//! Hashing is CPU- and memory-bound, so callers run it on the blocking pool.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};

use crate::validation::FieldIssue;

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// Passwords of 12+ characters seen most often in breach corpora (a small bundled list; the
/// length rule already excludes the shorter common ones).
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456789123",
    "111111111111",
    "000000000000",
    "123123123123",
    "qwertyuiop12",
    "qwertyuiopas",
    "qwertyuiop123",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "q1w2e3r4t5y6",
    "zaq12wsxcde3",
    "passwordpassword",
    "password1234",
    "password12345",
    "password123456",
    "password123!",
    "passw0rd1234",
    "p@ssw0rd1234",
    "p@ssword1234",
    "iloveyou1234",
    "abcdefghijkl",
    "abcd12345678",
    "abc123456789",
    "letmein12345",
    "welcome12345",
    "welcome123456",
    "changeme1234",
    "administrator",
    "administrator1",
    "adminadmin123",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "princess1234",
    "dragon123456",
    "monkey123456",
    "trustno1trustno1",
    "superman1234",
    "starwars1234",
    "whatever1234",
    "qwerty123456",
    "qwertyqwerty",
    "asdfghjkl123",
    "asdfghjkl;'",
    "zxcvbnm12345",
    "1234qwerasdf",
    "qazwsxedcrfv",
    "michael12345",
    "jennifer1234",
    "hello1234567",
    "computer1234",
    "internet1234",
    "secret123456",
    "master123456",
    "shadow123456",
    "mustang12345",
    "11111111111111",
    "987654321098",
    "098765432109",
    "abcdefg12345",
    "pa55word1234",
    "correcthorsebatterystaple",
    "ketamine1234",
    "clinic123456",
    "patient12345",
    "summer123456",
    "winter123456",
    "spring123456",
];

/// Every policy problem with `password`, reported under `field`.
pub fn check_policy(password: &str, email: &str, field: &str) -> Vec<FieldIssue> {
    let mut issues = Vec::new();
    let len = password.chars().count();
    if len < MIN_LENGTH {
        issues.push(FieldIssue::new(
            field,
            "too_short",
            format!("must be at least {MIN_LENGTH} characters"),
        ));
    }
    if len > MAX_LENGTH {
        issues.push(FieldIssue::new(
            field,
            "too_long",
            format!("must be at most {MAX_LENGTH} characters"),
        ));
    }
    let lower = password.to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    if !email.is_empty() && (lower == email || (local.len() >= 4 && lower.contains(local))) {
        issues.push(FieldIssue::new(
            field,
            "contains_email",
            "must not be or contain your email address",
        ));
    }
    let distinct = {
        let mut c: Vec<char> = lower.chars().collect();
        c.sort_unstable();
        c.dedup();
        c.len()
    };
    if COMMON.contains(&lower.as_str()) || (len >= MIN_LENGTH && distinct < 4) {
        issues.push(FieldIssue::new(
            field,
            "common_password",
            "is too common or too easy to guess",
        ));
    }
    issues
}

fn hasher() -> Argon2<'static> {
    // These constants are valid by construction (checked by the unit test below).
    let params = Params::new(19 * 1024, 2, 1, Some(32)).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes with a fresh random salt; returns the PHC string.
pub fn hash(password: &str) -> anyhow::Result<String> {
    let h = hasher()
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(h.to_string())
}

/// Constant-work verification. A malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A real hash of a random password: verifying against it when the email is unknown makes
/// "no such user" take as long as "wrong password".
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut bytes = [0u8; 24];
        let _ = getrandom::fill(&mut bytes);
        hash(&format!("{bytes:?}")).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_the_documented_parameters() {
        let phc = hash("correct horse battery").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("correct horse battery", &phc));
        assert!(!verify("correct horse batterx", &phc));
        assert!(!verify("anything", "not-a-hash"));
        assert!(dummy_hash().starts_with("$argon2id$"));
    }

    fn codes(pw: &str, email: &str) -> Vec<String> {
        check_policy(pw, email, "password")
            .into_iter()
            .map(|i| i.code)
            .collect()
    }

    #[test]
    fn policy_rules() {
        assert!(codes("a long unique passphrase", "ana@clinic.org").is_empty());
        assert_eq!(codes("short", "ana@clinic.org"), vec!["too_short"]);
        assert_eq!(codes("ana@clinic.org", "ana@clinic.org"), vec!["contains_email"]);
        assert_eq!(codes("Password1234", "ana@clinic.org"), vec!["common_password"]);
        assert_eq!(codes("aaaaaaaaaaaaaaa", "ana@clinic.org"), vec!["common_password"]);
        assert_eq!(codes(&"abcdefghij".repeat(13), "ana@clinic.org"), vec!["too_long"]);
        // Twelve characters, not twelve bytes.
        assert!(codes("ñandú-ñandú-ñ", "ana@clinic.org").is_empty());
    }
}
