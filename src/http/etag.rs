//! Versions as entity tags: `ETag: "<version>"`, and `If-Match` for optimistic concurrency.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use serde::Serialize;

use crate::error::ApiError;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A body that carries the version of the resource it shows.
pub trait Versioned {
    fn version(&self) -> i64;
}

/// The JSON response for `body`, with its version as `ETag`.
pub fn with_etag<T: Serialize + Versioned>(mut res: HttpResponseBuilder, body: &T) -> HttpResponse {
    res.insert_header((header::ETAG, etag(body.version()))).json(body)
}

/// What `If-Match` asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    /// `*`: any current version.
    Any,
    Version(i64),
}

impl IfMatch {
    /// 412 when the resource has moved on.
    pub fn check(self, current: i64) -> Result<(), ApiError> {
        match self {
            IfMatch::Version(v) if v != current => Err(ApiError::PreconditionFailed {
                current_version: current,
            }),
            _ => Ok(()),
        }
    }
}

/// Reads `If-Match`: `"3"`, `W/"3"` or `*`. Absent is `None`; anything else is a 400.
pub fn if_match(req: &HttpRequest) -> Result<Option<IfMatch>, ApiError> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = raw.to_str().map_err(|_| bad())?.trim();
    if raw == "*" {
        return Ok(Some(IfMatch::Any));
    }
    let tag = raw.strip_prefix("W/").unwrap_or(raw);
    let inner = tag
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .ok_or_else(bad)?;
    inner
        .parse::<i64>()
        .map(|v| Some(IfMatch::Version(v)))
        .map_err(|_| bad())
}

/// `If-Match` is required (428 when missing).
pub fn require_if_match(req: &HttpRequest) -> Result<IfMatch, ApiError> {
    if_match(req)?.ok_or(ApiError::PreconditionRequired("If-Match"))
}

fn bad() -> ApiError {
    ApiError::BadRequest("If-Match must be an entity tag from ETag, e.g. \"3\"".into())
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn parses_if_match() {
        let req = |v: &str| {
            TestRequest::default()
                .insert_header((header::IF_MATCH, v))
                .to_http_request()
        };
        assert_eq!(if_match(&req("\"3\"")).unwrap(), Some(IfMatch::Version(3)));
        assert_eq!(if_match(&req("W/\"12\"")).unwrap(), Some(IfMatch::Version(12)));
        assert_eq!(if_match(&req("*")).unwrap(), Some(IfMatch::Any));
        assert!(if_match(&req("3")).is_err());
        assert!(if_match(&req("\"x\"")).is_err());
        assert_eq!(if_match(&TestRequest::default().to_http_request()).unwrap(), None);
        assert!(matches!(
            require_if_match(&TestRequest::default().to_http_request()),
            Err(ApiError::PreconditionRequired(_))
        ));
        assert!(IfMatch::Version(2).check(3).is_err());
        assert!(IfMatch::Any.check(3).is_ok());
    }
}
