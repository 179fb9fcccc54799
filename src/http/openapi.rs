//! The OpenAPI parts every operation shares: the bearer scheme and the problem responses.
//!
//! Paths and their schemas are collected from the services `app` registers (nothing is listed
//! by hand). [`finalize`] then adds the error responses every operation can produce, derived
//! from what the operation declares (security, body, parameters), so no route can forget one.

use serde_json::json;
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Response};

use crate::error::PROBLEM_JSON;
use utoipa::Modify;

/// Name of the security scheme operations refer to with `security(("bearer" = []))`.
pub const BEARER: &str = "bearer";

/// Adds the bearer scheme the operations refer to.
pub struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "JWT from `POST /api/v1/auth/token` (HS256), or from the clinic's identity provider when configured.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Shared problem responses: (component name, status, description, example).
const PROBLEMS: [(&str, &str, &str, &str, &str); 11] = [
    (
        "BadRequest",
        "400",
        "Malformed JSON, header or query",
        "/problems/bad-request",
        "malformed JSON at line 1, column 9",
    ),
    (
        "Unauthenticated",
        "401",
        "Missing, invalid or expired bearer token",
        "/problems/unauthenticated",
        "a valid bearer token is required",
    ),
    (
        "NotFound",
        "404",
        "No such resource, or not visible to the caller",
        "/problems/not-found",
        "intake not found",
    ),
    (
        "PayloadTooLarge",
        "413",
        "Body over MAX_BODY_BYTES",
        "/problems/payload-too-large",
        "request body is over the 1048576-byte limit",
    ),
    (
        "UnsupportedMediaType",
        "415",
        "Body is not application/json",
        "/problems/unsupported-media-type",
        "send the body as application/json",
    ),
    (
        "ValidationFailed",
        "422",
        "Invalid body or query; every bad field is listed by JSON path",
        "/problems/validation",
        "1 field is invalid",
    ),
    (
        "TooManyRequests",
        "429",
        "Too many attempts; see Retry-After",
        "/problems/too-many-requests",
        "too many attempts; retry after 60 seconds",
    ),
    (
        "InternalError",
        "500",
        "Unexpected failure (details are logged, never returned)",
        "/problems/internal",
        "",
    ),
    (
        "Unavailable",
        "503",
        "The database did not answer in time; retry",
        "/problems/unavailable",
        "the database is not answering; retry shortly",
    ),
    (
        "MfaEnrollmentRequired",
        "403",
        "A clinician or administrator without a second factor, where REQUIRE_STAFF_MFA is on",
        "/problems/mfa-enrollment-required",
        "turn on a second factor first: POST /api/v1/auth/mfa/totp, then /api/v1/auth/mfa/totp/confirm",
    ),
    (
        "Conflict",
        "409",
        "The resource's state does not allow this",
        "/problems/conflict",
        "the intake is submitted and cannot be edited",
    ),
];

fn problem_response(status: &str, description: &str, type_: &str, detail: &str) -> Response {
    let mut example = json!({
        "type": type_,
        "title": description,
        "status": status.parse::<u16>().unwrap_or(500),
        "instance": "/api/v1/intakes/0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f10",
        "request_id": "0192f0c1-7d6a-7cc0-a2e2-0f6f9b4b8f11",
    });
    if !detail.is_empty() {
        example["detail"] = json!(detail);
    }
    if status == "422" {
        example["errors"] =
            json!([{"field": "sections.demographics.weight_kg", "code": "required", "message": "is required"}]);
    }
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build()
}

/// The 403 of a staff member without a second factor: the shared response, or a sentence added
/// to the operation's own 403 (e.g. "Administrators only").
fn mention_mfa_enrolment(op: &mut Operation) {
    match op.responses.responses.get_mut("403") {
        Some(RefOr::T(own)) => {
            own.description.push_str(
                "; or `/problems/mfa-enrollment-required` for staff without a second factor where REQUIRE_STAFF_MFA is on",
            );
        }
        Some(RefOr::Ref(_)) => {}
        None => add_ref(op, "403"),
    }
}

fn add_ref(op: &mut Operation, status: &str) {
    let name = PROBLEMS
        .iter()
        .find(|p| p.1 == status)
        .map(|p| p.0)
        .unwrap_or("InternalError");
    op.responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
}

/// Operations that never touch the database, so they cannot answer 503.
const NO_DATABASE: [&str; 5] = [
    "get_health",
    "get_metrics",
    "list_instruments",
    "get_instrument",
    "get_current_consent",
];
/// Secured operations staff without a second factor still reach (SECURITY.md): enrolment, `me`
/// and logout. Every other one can answer 403 `/problems/mfa-enrollment-required`.
pub const MFA_EXEMPT: [&str; 4] = [
    "start_totp_enrolment",
    "confirm_totp_enrolment",
    "get_current_user",
    "logout",
];

/// Adds the shared problem responses and the error responses each operation can produce.
pub fn finalize(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = api.components.get_or_insert_with(Default::default);
    for (name, status, description, type_, detail) in PROBLEMS {
        components.responses.insert(
            name.to_owned(),
            RefOr::T(problem_response(status, description, type_, detail)),
        );
    }
    for item in api.paths.paths.values_mut() {
        for op in operations_mut(item) {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let params = op.parameters.as_deref().unwrap_or_default();
            let has_path = params
                .iter()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
            let has_query = params
                .iter()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
            let has_header = params
                .iter()
                .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Header));
            let has_body = op.request_body.is_some();
            let uses_db = !op.operation_id.as_deref().is_some_and(|id| NO_DATABASE.contains(&id));
            if secured {
                add_ref(op, "401");
                if !op.operation_id.as_deref().is_some_and(|id| MFA_EXEMPT.contains(&id)) {
                    mention_mfa_enrolment(op);
                }
            }
            if has_body {
                for s in ["400", "413", "415", "422"] {
                    add_ref(op, s);
                }
            }
            if has_path {
                add_ref(op, "404");
            }
            // A path parameter that is not a UUID, or a malformed If-Match / Idempotency-Key.
            if has_path || has_header {
                add_ref(op, "400");
            }
            if has_query {
                add_ref(op, "422");
            }
            if uses_db {
                add_ref(op, "503");
            }
            add_ref(op, "500");
        }
    }
    api
}

pub fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.patch.as_mut(),
        item.head.as_mut(),
        item.options.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Methods each documented path accepts; used to answer 405 with `Allow` for known paths.
#[derive(Debug, Clone, Default)]
pub struct RouteTable(Vec<(Vec<String>, Vec<&'static str>)>);

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let mut routes = Vec::new();
        for (path, item) in api.paths.paths.iter() {
            let segments = path.split('/').map(str::to_owned).collect();
            let methods: Vec<&'static str> = [
                ("GET", item.get.is_some()),
                ("PUT", item.put.is_some()),
                ("POST", item.post.is_some()),
                ("DELETE", item.delete.is_some()),
                ("PATCH", item.patch.is_some()),
            ]
            .into_iter()
            .filter_map(|(m, present)| present.then_some(m))
            .collect();
            routes.push((segments, methods));
        }
        RouteTable(routes)
    }

    /// The methods a concrete path accepts, if it matches a documented template.
    pub fn allowed(&self, path: &str) -> Option<Vec<String>> {
        let parts: Vec<&str> = path.split('/').collect();
        let mut allowed: Vec<String> = Vec::new();
        for (segments, methods) in &self.0 {
            let matches = segments.len() == parts.len()
                && segments
                    .iter()
                    .zip(&parts)
                    .all(|(s, p)| s == p || (s.starts_with('{') && !p.is_empty()));
            if matches {
                allowed.extend(methods.iter().map(|m| (*m).to_owned()));
            }
        }
        (!allowed.is_empty()).then(|| {
            allowed.sort();
            allowed.dedup();
            allowed
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathsBuilder};
    use utoipa::openapi::{OpenApiBuilder, PathItem};

    #[test]
    fn route_table_matches_templates() {
        let paths = PathsBuilder::new()
            .path(
                "/api/v1/intakes/{id}",
                PathItem::new(HttpMethod::Get, OperationBuilder::new().build()),
            )
            .path(
                "/health",
                PathItem::new(HttpMethod::Get, OperationBuilder::new().build()),
            )
            .build();
        let api = OpenApiBuilder::new().paths(paths).build();
        let table = RouteTable::from_openapi(&api);
        assert_eq!(table.allowed("/api/v1/intakes/abc"), Some(vec!["GET".to_owned()]));
        assert_eq!(table.allowed("/api/v1/intakes/"), None);
        assert_eq!(table.allowed("/nope"), None);
    }
}
