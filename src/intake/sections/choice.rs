//! What the sections share: the `choice!` enums (snake_case strings, "none" exclusive in
//! multi-choice answers), the tri-state yes/no/unsure answer and partial dates.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::ValidationError;

/// Declares a snake_case string enum usable in sections.
macro_rules! choice {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl NoneAnswer for $name {
            fn is_none_answer(&self) -> bool {
                matches!(format!("{self:?}").as_str(), "None" | "NeverHadAnesthesiaOrSedation")
            }
        }
    };
}

/// Multi-choice answers where "none" excludes every other choice.
pub trait NoneAnswer {
    fn is_none_answer(&self) -> bool;
}

/// A multi-choice answer: no duplicates, and "none" only on its own.
pub fn exclusive_none<T: NoneAnswer + PartialEq>(list: &[T]) -> Result<(), ValidationError> {
    if list.iter().enumerate().any(|(i, a)| list[..i].contains(a)) {
        return Err(ValidationError::new("duplicate").with_message("lists the same choice twice".into()));
    }
    if list.len() > 1 && list.iter().any(NoneAnswer::is_none_answer) {
        return Err(ValidationError::new("exclusive_none")
            .with_message("\"none\" cannot be combined with other choices".into()));
    }
    Ok(())
}

choice!(
    /// Yes, no, or not sure.
    YesNoUnsure { No, Yes, Unsure }
);

/// A partial date, as patients remember them: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, not in the future.
pub fn partial_date(s: &str) -> Result<(), ValidationError> {
    let bad = || {
        ValidationError::new("partial_date")
            .with_message("must be YYYY, YYYY-MM or YYYY-MM-DD, not in the future".into())
    };
    let today = chrono::Utc::now().date_naive();
    let first_day = match s.len() {
        4 => format!("{s}-01-01"),
        7 => format!("{s}-01"),
        10 => s.to_owned(),
        _ => return Err(bad()),
    };
    match NaiveDate::parse_from_str(&first_day, "%Y-%m-%d") {
        Ok(d) if d <= today && d.format("%Y").to_string().as_str() >= "1900" => Ok(()),
        _ => Err(bad()),
    }
}
