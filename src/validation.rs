//! Plain validation types, below any HTTP: [`FieldIssue`] (one bad field, named by its JSON
//! path) and the shared field rules for `validator` (`#[validate(custom(function = ...))]`).

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use utoipa::ToSchema;
use validator::ValidationError;

/// One invalid or missing field, named by its JSON path (e.g. `sections.demographics.weight_kg`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldIssue {
    /// JSON path of the offending field, dot-separated, array indices as `[n]`.
    #[schema(example = "sections.demographics.weight_kg")]
    pub field: String,
    /// Stable machine-readable code: `required`, `unknown_field`, `invalid_type`, `range`, `length`, …
    #[schema(example = "required")]
    pub code: String,
    /// Human-readable explanation (English).
    #[schema(example = "weight is required for dosing")]
    pub message: String,
}

impl FieldIssue {
    pub fn new(field: impl Into<String>, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

fn err(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Borrowed(message))
}

/// Single-line text: not blank, no control characters (NUL, newline, …).
pub fn single_line(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() {
        return Err(err("blank", "must not be blank"));
    }
    if crate::text::has_control_chars(s) {
        return Err(err("control_characters", "must not contain control characters"));
    }
    Ok(())
}

/// Free text (notes, details): newlines and tabs allowed, other control characters not.
pub fn free_text(s: &str) -> Result<(), ValidationError> {
    if s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(err("control_characters", "must not contain control characters"));
    }
    Ok(())
}

/// An email address; surrounding spaces are tolerated (they are trimmed before storing).
pub fn email_address(s: &str) -> Result<(), ValidationError> {
    use validator::ValidateEmail;
    let trimmed = s.trim();
    if trimmed.len() > 254 || !trimmed.validate_email() {
        return Err(err("email", "must be a valid email address"));
    }
    Ok(())
}

/// A phone number as people type it: optional `+`, digits, spaces, dashes, dots, parentheses;
/// 7 to 15 digits (E.164 allows at most 15).
pub fn phone(s: &str) -> Result<(), ValidationError> {
    let allowed = s
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')') || (c == '+' && i == 0));
    let digits = s.chars().filter(char::is_ascii_digit).count();
    if !allowed || !(7..=15).contains(&digits) {
        return Err(err(
            "phone",
            "must be a phone number with 7 to 15 digits, e.g. +1 555 010 0199",
        ));
    }
    Ok(())
}

/// ISO 3166-1 alpha-2 country code, upper case.
pub fn country_code(s: &str) -> Result<(), ValidationError> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(())
    } else {
        Err(err(
            "country_code",
            "must be an ISO 3166-1 alpha-2 code such as US or MX",
        ))
    }
}

/// A plausible date of birth: not in the future and at most 120 years ago.
pub fn date_of_birth(d: &NaiveDate) -> Result<(), ValidationError> {
    let today = chrono::Utc::now().date_naive();
    if *d > today {
        return Err(err("future_date", "must not be in the future"));
    }
    if today.year() - d.year() > 120 {
        return Err(err("implausible_date", "must be within the last 120 years"));
    }
    Ok(())
}

/// A date that has already happened (e.g. when a blood pressure was measured).
pub fn not_future(d: &NaiveDate) -> Result<(), ValidationError> {
    if *d > chrono::Utc::now().date_naive() {
        return Err(err("future_date", "must not be in the future"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers() {
        assert!(phone("+1 (555) 010-0199").is_ok());
        assert!(phone("55 1234 5678").is_ok());
        assert!(phone("12345").is_err());
        assert!(phone("555-CALL-NOW").is_err());
        assert!(phone("1+5550100199").is_err());
    }

    #[test]
    fn dates_of_birth() {
        let today = chrono::Utc::now().date_naive();
        assert!(date_of_birth(&today).is_ok());
        assert!(date_of_birth(&today.succ_opt().unwrap()).is_err());
        assert!(date_of_birth(&NaiveDate::from_ymd_opt(1890, 1, 1).unwrap()).is_err());
        assert!(date_of_birth(&NaiveDate::from_ymd_opt(1950, 6, 1).unwrap()).is_ok());
    }

    #[test]
    fn text_rules() {
        assert!(single_line("María").is_ok());
        assert!(single_line("   ").is_err());
        assert!(single_line("a\0b").is_err());
        assert!(free_text("line one\nline two").is_ok());
        assert!(free_text("bell\u{7}").is_err());
        assert!(country_code("US").is_ok());
        assert!(country_code("usa").is_err());
    }
}
