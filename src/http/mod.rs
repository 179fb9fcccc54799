//! What every route shares: the request context and middleware, extractors that name bad
//! fields, ETags and `If-Match`, cursor pagination, `Idempotency-Key`, and the OpenAPI parts
//! common to every operation. Nothing here knows a feature.

pub mod context;
pub mod etag;
pub mod extract;
pub mod idempotency;
pub mod middleware;
pub mod openapi;
pub mod pagination;
