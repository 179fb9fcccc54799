//! Per-request context: the request id, one log line per request, and the security headers.
//!
//! The middleware runs outermost, so every response (errors, CORS rejections, docs) carries
//! `X-Request-Id` and the security headers. The id and path are kept in a task-local so problem
//! bodies can name them without threading the request through every error. Logs carry the
//! route template (`/api/v1/intakes/{id}`), never the query string: a name search must not land
//! in a log.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse};
use tracing::Instrument;

use super::context::{self, REQUEST_ID_HEADER, RequestCtx};
use crate::audit::event::RequestMeta;
use crate::error::{self, PROBLEM_JSON};

/// The request id, also stored in request extensions for extractors.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Whether the client address comes from `X-Forwarded-For` (only behind a trusted proxy);
/// shared as app data.
#[derive(Debug, Clone, Copy)]
pub struct TrustForwardedFor(pub bool);

/// A client-supplied id is kept when it is short and printable, so logs across services join up;
/// anything else is replaced (it would otherwise be an injection vector into logs).
fn accept_request_id(value: Option<&HeaderValue>) -> Option<String> {
    let v = value?.to_str().ok()?;
    let ok = !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    ok.then(|| v.to_owned())
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id =
        accept_request_id(req.headers().get(REQUEST_ID_HEADER)).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let is_docs = req.path().starts_with("/docs");
    let span = tracing::info_span!("request", request_id = %request_id, method = %req.method());
    let ctx = RequestCtx {
        request_id: request_id.clone(),
        path: req.path().to_owned(),
    };

    let result = context::scope(ctx.clone(), next.call(req).instrument(span.clone())).await;
    // Handlers and extractors turn their errors into responses; an `Err` here can only come from
    // a middleware, and actix renders it. (Holding a clone of the request to render it ourselves
    // would break the router, which needs the request uniquely.)
    let mut res = result?.map_into_boxed_body();
    // Safety net: errors produced outside our handlers (CORS, static docs) become problem+json too.
    if res.status().as_u16() >= 400 && !is_problem(res.headers()) {
        let status = res.status();
        let body = serde_json::to_string(&error::generic_problem(status, &ctx)).unwrap_or_default();
        let (req, old) = res.into_parts();
        let mut replacement = HttpResponse::build(status);
        for (name, value) in old.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                replacement.append_header((name.clone(), value.clone()));
            }
        }
        replacement.content_type(PROBLEM_JSON);
        res = ServiceResponse::new(req, replacement.body(body)).map_into_boxed_body();
    }

    let status = res.status().as_u16();
    let route = res.request().match_pattern().unwrap_or_else(|| "UNMATCHED".into());
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(status, route, latency_ms, "request completed");
        } else {
            tracing::info!(status, route, latency_ms, "request completed");
        }
    });

    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), v);
    }
    set_security_headers(headers, is_docs);
    Ok(res)
}

fn is_problem(headers: &header::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON))
}

fn set_security_headers(headers: &mut header::HeaderMap, is_docs: bool) {
    let mut set = |name: HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    set(HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(HeaderName::from_static("cross-origin-resource-policy"), "same-origin");
    if is_docs {
        // Swagger UI's own scripts and styles, all served by this binary; nothing third-party.
        set(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        );
    } else {
        // API responses carry patient data: never cache them, never render them.
        set(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        );
        set(header::CACHE_CONTROL, "no-store");
    }
}

/// Who is calling from where, for the audit trail.
impl actix_web::FromRequest for RequestMeta {
    type Error = Error;
    type Future = std::future::Ready<Result<Self, Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let trust_forwarded = req
            .app_data::<actix_web::web::Data<TrustForwardedFor>>()
            .is_some_and(|t| t.0);
        let client_addr = if trust_forwarded {
            req.connection_info().realip_remote_addr().map(str::to_owned)
        } else {
            req.peer_addr().map(|a| a.ip().to_string())
        };
        let user_agent = req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(256).collect());
        std::future::ready(Ok(RequestMeta {
            request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
            client_addr,
            user_agent,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_safe_client_request_ids_only() {
        let ok = HeaderValue::from_static("abc-123_x.y:z");
        assert_eq!(accept_request_id(Some(&ok)).as_deref(), Some("abc-123_x.y:z"));
        let spaces = HeaderValue::from_static("a b");
        assert_eq!(accept_request_id(Some(&spaces)), None);
        let long = HeaderValue::from_str(&"a".repeat(129)).unwrap();
        assert_eq!(accept_request_id(Some(&long)), None);
        assert_eq!(accept_request_id(None), None);
    }
}
