//! Rows with sealed columns: services see the plain row, the database sees its sealed record.
//!
//! [`sealed_row!`] declares both from one field list: the row (what services use) and the
//! record (what diesel reads and writes), with `seal` and `open` between them binding each value
//! to its table, row id and column. A repository writes only records and returns only opened
//! rows, so a value never reaches the database in clear and never leaves it sealed.

use std::borrow::Cow;

use chrono::NaiveDate;

use super::cipher::{self, Place, VaultError};
use crate::ids::{Json, TextColumn};

/// A value stored as sealed text.
pub trait SealedValue: Sized {
    fn plain(&self) -> Cow<'_, str>;
    fn from_plain(text: String) -> Result<Self, String>;
}

impl SealedValue for String {
    fn plain(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }

    fn from_plain(text: String) -> Result<Self, String> {
        Ok(text)
    }
}

impl SealedValue for NaiveDate {
    fn plain(&self) -> Cow<'_, str> {
        Cow::Owned(self.format("%Y-%m-%d").to_string())
    }

    fn from_plain(text: String) -> Result<Self, String> {
        NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|e| e.to_string())
    }
}

impl<T> SealedValue for Json<T> {
    fn plain(&self) -> Cow<'_, str> {
        self.to_text()
    }

    fn from_plain(text: String) -> Result<Self, String> {
        Json::from_text(text).map_err(|e| e.to_string())
    }
}

pub fn seal_value<T: SealedValue>(value: &T, place: Place<'_>) -> Result<String, VaultError> {
    cipher::seal(&value.plain(), place)
}

pub fn seal_opt<T: SealedValue>(value: &Option<T>, place: Place<'_>) -> Result<Option<String>, VaultError> {
    value.as_ref().map(|v| seal_value(v, place)).transpose()
}

pub fn open_value<T: SealedValue>(stored: &str, place: Place<'_>) -> Result<T, VaultError> {
    let plain = cipher::open(stored, place)?;
    // A value that opens but does not parse was sealed wrong by us: the same report as tamper.
    T::from_plain(plain).map_err(|_| VaultError::DoesNotOpen(place.to_string()))
}

pub fn open_opt<T: SealedValue>(stored: &Option<String>, place: Place<'_>) -> Result<Option<T>, VaultError> {
    stored.as_deref().map(|s| open_value(s, place)).transpose()
}

impl From<VaultError> for diesel::result::Error {
    // Repositories answer `QueryResult`: a value that does not open is a row that cannot be read
    // (500, logged with its place, never its value); one that cannot be sealed is not written.
    fn from(e: VaultError) -> Self {
        diesel::result::Error::DeserializationError(Box::new(e))
    }
}

/// Declares a plain row and its sealed record (see the module docs). `row` names the field
/// whose text is the row id bound into each value; `sealed` fields are required, `sealed_opt`
/// fields nullable. Both structs list the clear fields first, so always select with
/// `Record::as_select()`.
#[macro_export]
macro_rules! sealed_row {
    (
        table $table:ident, row $id:ident;
        $(#[$rmeta:meta])*
        pub struct $row:ident;
        $(#[$smeta:meta])*
        pub struct $rec:ident {
            $( $(#[$fmeta:meta])* pub $f:ident : $t:ty, )*
        }
        sealed { $( $(#[$smeta2:meta])* pub $s:ident : $st:ty, )* }
        sealed_opt { $( $(#[$ometa:meta])* pub $o:ident : $ot:ty, )* }
    ) => {
        $(#[$rmeta])*
        pub struct $row {
            $( $(#[$fmeta])* pub $f: $t, )*
            $( $(#[$smeta2])* pub $s: $st, )*
            $( $(#[$ometa])* pub $o: Option<$ot>, )*
        }

        /// The stored form: sealed columns as their ciphertext.
        $(#[$smeta])*
        pub struct $rec {
            $( pub $f: $t, )*
            $( pub $s: String, )*
            $( pub $o: Option<String>, )*
        }

        impl $row {
            /// The record to store, each sealed value bound to this row.
            #[allow(unused_variables)]
            pub fn seal(&self) -> Result<$rec, $crate::vault::cipher::VaultError> {
                let row = self.$id.to_string();
                Ok($rec {
                    $( $f: self.$f.clone(), )*
                    $( $s: $crate::vault::sealed::seal_value(&self.$s, $crate::vault::cipher::Place {
                        table: stringify!($table), row: &row, column: stringify!($s),
                    })?, )*
                    $( $o: $crate::vault::sealed::seal_opt(&self.$o, $crate::vault::cipher::Place {
                        table: stringify!($table), row: &row, column: stringify!($o),
                    })?, )*
                })
            }
        }

        impl $rec {
            /// The plain row; fails on any value that does not open for this row.
            #[allow(unused_variables)]
            pub fn open(self) -> Result<$row, $crate::vault::cipher::VaultError> {
                let row = self.$id.to_string();
                Ok($row {
                    $( $s: $crate::vault::sealed::open_value(&self.$s, $crate::vault::cipher::Place {
                        table: stringify!($table), row: &row, column: stringify!($s),
                    })?, )*
                    $( $o: $crate::vault::sealed::open_opt(&self.$o, $crate::vault::cipher::Place {
                        table: stringify!($table), row: &row, column: stringify!($o),
                    })?, )*
                    $( $f: self.$f, )*
                })
            }
        }
    };
}
