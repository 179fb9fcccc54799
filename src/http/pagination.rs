//! Cursor pagination. A cursor is opaque to clients and tamper-proof: base64url JSON of the last
//! item's sort key plus a fingerprint of the query, signed with an HMAC derived from the server
//! secret. A cursor that was altered, or used with different filters, is a 400 problem.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 20;

/// The paging pair every list's query takes.
pub trait Paged {
    /// Page size asked for (validated to 1–100), or the default.
    fn limit(&self) -> i64;
    /// `next_cursor` from the previous page, as sent.
    fn cursor(&self) -> Option<&str>;
}

/// Declares a list's query parameters with the paging pair appended (`limit`, `cursor`: one
/// definition, documented and validated alike for every list) and implements [`Paged`] for it.
#[macro_export]
macro_rules! paged_query {
    // Token trees, not `ty`/`meta` fragments: those reach the derives as opaque groups, and
    // validator's derive would no longer see that a field is an `Option`.
    ($(#[$($meta:tt)*])* pub struct $name:ident { $($fields:tt)* }) => {
        $(#[$($meta)*])*
        pub struct $name {
            $($fields)*
            /// Page size, 1–100 (default 20).
            #[validate(range(min = 1, max = 100))]
            #[param(minimum = 1, maximum = 100, example = 20)]
            pub limit: Option<i64>,
            /// `next_cursor` from the previous page.
            #[validate(length(max = 512))]
            pub cursor: Option<String>,
        }

        impl $crate::http::pagination::Paged for $name {
            fn limit(&self) -> i64 {
                self.limit.unwrap_or($crate::http::pagination::DEFAULT_LIMIT)
            }

            fn cursor(&self) -> Option<&str> {
                self.cursor.as_deref()
            }
        }
    };
}

/// One page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    #[schema(example = "eyJrIjpbIjIwMjYtMTEtMjdUMTQ6MDA6MDBaIiwiMDE5MiJdfQ.q1w2e3r4t5y6u7i8")]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page with nothing on it, and no next page.
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            next_cursor: None,
        }
    }
}

/// Signs and verifies cursors.
#[derive(Clone)]
pub struct CursorCodec {
    key: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    /// Fingerprint of the query the cursor belongs to.
    q: String,
    k: T,
}

type HmacSha256 = Hmac<Sha256>;

impl CursorCodec {
    /// Derives the cursor key from the server secret, separate from the token key.
    pub fn new(secret: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update(b"intake-api cursor v1\0");
        h.update(secret);
        Self {
            key: h.finalize().into(),
        }
    }

    fn mac(&self, data: &[u8]) -> HmacSha256 {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.key).unwrap_or_else(|_| unreachable!());
        mac.update(data);
        mac
    }

    /// `query` identifies the endpoint and its filters; `key` is the last item's sort key.
    pub fn encode<T: Serialize>(&self, query: &str, key: &T) -> String {
        let json = serde_json::to_vec(&Envelope {
            q: fingerprint(query),
            k: key,
        })
        .unwrap_or_default();
        let payload = URL_SAFE_NO_PAD.encode(json);
        let tag = self.mac(payload.as_bytes()).finalize().into_bytes();
        format!("{payload}.{}", URL_SAFE_NO_PAD.encode(&tag[..16]))
    }

    /// The sort key a paged query continues after (none on the first page).
    pub fn after<T: DeserializeOwned>(&self, query: &str, paged: &impl Paged) -> Result<Option<T>, ApiError> {
        paged.cursor().map(|c| self.decode(query, c)).transpose()
    }

    pub fn decode<T: DeserializeOwned>(&self, query: &str, cursor: &str) -> Result<T, ApiError> {
        let bad = || ApiError::BadRequest("invalid cursor: use next_cursor from the previous page unchanged".into());
        let (payload, tag) = cursor.split_once('.').ok_or_else(bad)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        self.mac(payload.as_bytes())
            .verify_truncated_left(&tag)
            .map_err(|_| bad())?;
        if tag.len() != 16 {
            return Err(bad());
        }
        let json = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?;
        let env: Envelope<T> = serde_json::from_slice(&json).map_err(|_| bad())?;
        if env.q != fingerprint(query) {
            return Err(ApiError::BadRequest(
                "cursor belongs to a different query; start again without it".into(),
            ));
        }
        Ok(env.k)
    }
}

fn fingerprint(query: &str) -> String {
    let digest = Sha256::digest(query.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..9])
}

/// Splits one extra fetched row off to learn whether a next page exists.
pub fn finish_page<R, T>(
    mut rows: Vec<R>,
    limit: i64,
    codec: &CursorCodec,
    query: &str,
    key: impl Fn(&R) -> serde_json::Value,
    map: impl FnMut(R) -> T,
) -> Page<T> {
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next_cursor = if has_more {
        rows.last().map(|r| codec.encode(query, &key(r)))
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(map).collect(),
        next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_tampering() {
        let codec = CursorCodec::new(b"secret-secret-secret-secret-1234");
        let c = codec.encode("patients|q=jo", &("garcia jose", "id-1"));
        let back: (String, String) = codec.decode("patients|q=jo", &c).unwrap();
        assert_eq!(back, ("garcia jose".to_owned(), "id-1".to_owned()));

        let mut tampered = c.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert!(matches!(
            codec.decode::<(String, String)>("patients|q=jo", &tampered),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            codec.decode::<(String, String)>("patients|q=xx", &c),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            codec.decode::<(String, String)>("patients|q=jo", "garbage"),
            Err(ApiError::BadRequest(_))
        ));

        let other = CursorCodec::new(b"another-secret-another-secret-12");
        assert!(other.decode::<(String, String)>("patients|q=jo", &c).is_err());
    }
}
