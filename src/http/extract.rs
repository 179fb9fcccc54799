//! Request extractors that turn bad input into problem+json naming the bad field.
//!
//! * [`ValidatedJson`] reads a JSON body within `MAX_BODY_BYTES`, refuses other media types
//!   (415), malformed JSON (400), unknown fields and wrong types (422, by JSON path), then runs
//!   `validator` and reports every invalid field at once.
//! * [`ValidatedQuery`] does the same for query strings.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{self, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::ApiError;
use crate::validation::FieldIssue;

/// The body limit in force (`MAX_BODY_BYTES`), shared as app data.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// For `#[serde(default, deserialize_with = "present")]` on an `Option<Option<T>>` field of a
/// PATCH body: absent stays `None` (unchanged), `null` is `Some(None)` (cleared).
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// A JSON body that parsed and passed validation.
#[derive(Debug)]
pub struct ValidatedJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<BodyLimit>>().map_or(1_048_576, |l| l.0);
        let content_type_ok = is_json(req);
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared_len.is_some_and(|n| n > limit) {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let json: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
                ApiError::BadRequest(format!("malformed JSON at line {}, column {}", e.line(), e.column()))
            })?;
            let nul = nul_characters(&json, "");
            let (value, mut issues) = collect_errors::<T>(&json, "");
            if let Some(v) = &value
                && let Err(e) = v.validate()
            {
                issues.extend(validation_issues(&e));
            }
            // NUL characters are refused even where the field itself takes any JSON.
            for n in nul {
                if !issues.iter().any(|i| i.field == n.field) {
                    issues.push(n);
                }
            }
            issues.sort_by(|a, b| a.field.cmp(&b.field));
            match value {
                Some(v) if issues.is_empty() => Ok(ValidatedJson(v)),
                _ => Err(ApiError::Validation(issues)),
            }
        })
    }
}

/// NUL characters anywhere in a JSON document, by path. No text field may hold one (PostgreSQL
/// cannot store them, and no legitimate input needs them).
pub fn nul_characters(v: &serde_json::Value, path: &str) -> Vec<FieldIssue> {
    let issue = |p: &str| FieldIssue::new(p, "control_characters", "must not contain NUL characters");
    match v {
        serde_json::Value::String(s) if s.contains('\0') => vec![issue(path)],
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .flat_map(|(i, x)| nul_characters(x, &format!("{path}[{i}]")))
            .collect(),
        serde_json::Value::Object(m) => m
            .iter()
            .flat_map(|(k, x)| {
                let p = join(path, k);
                if k.contains('\0') {
                    vec![issue(&p)]
                } else {
                    nul_characters(x, &p)
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(ct) = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses `bytes` as `T`: syntax errors are 400; unknown fields (all of them) and type errors
/// are 422 with their JSON paths.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON at line {}, column {}", e.line(), e.column())))?;
    from_value(&value)
}

/// Deserializes an already-parsed JSON value strictly (see [`parse_json`]).
pub fn from_value<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ApiError> {
    from_value_at(value, "")
}

/// As [`from_value`], reporting paths under `prefix` (e.g. `sections.pain`).
pub fn from_value_at<T: DeserializeOwned>(value: &serde_json::Value, prefix: &str) -> Result<T, ApiError> {
    match collect_errors(value, prefix) {
        (Some(v), issues) if issues.is_empty() => Ok(v),
        (_, issues) => Err(ApiError::Validation(issues)),
    }
}

/// Deserializes `value`, collecting every unknown field and every wrongly typed field rather
/// than stopping at the first: a bad field is set to null (or removed) and deserialization
/// retried. Returns the value when one could be built with the bad fields left out, and the
/// issues found, sorted by path.
pub fn collect_errors<T: DeserializeOwned>(value: &serde_json::Value, prefix: &str) -> (Option<T>, Vec<FieldIssue>) {
    let mut work = value.clone();
    let mut issues: Vec<FieldIssue> = Vec::new();
    let mut unknown: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    let mut built = None;
    // What the repairs below changed: errors there are their artefacts, not the client's.
    let mut repaired: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    // Each round either succeeds or repairs one field; bounded for pathological input.
    for _ in 0..128 {
        let mut track = serde_path_to_error::Track::new();
        let result = {
            let mut on_ignored = |path: serde_ignored::Path<'_>| {
                unknown.insert(ignored_path(prefix, &path));
            };
            let de = serde_ignored::Deserializer::new(&work, &mut on_ignored);
            T::deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
        };
        match result {
            Ok(v) => {
                built = Some(v);
                break;
            }
            Err(e) => {
                let track_path = track.path();
                let path = join(prefix, &track_path.to_string());
                let msg = e.to_string();
                let seen = issues.iter().any(|i| i.field == path);
                let missing = msg.starts_with("missing field");
                if !seen {
                    let issue = serde_issue(&path, &msg);
                    if !issues.iter().any(|i| i.field == issue.field) && !repaired.contains(&issue.field) {
                        issues.push(issue);
                    }
                }
                let segments: Vec<serde_path_to_error::Segment> = track_path.iter().cloned().collect();
                if missing {
                    break;
                }
                match repair(&mut work, &segments) {
                    Some(depth) => repaired.insert(join(prefix, &segments_path(&segments[..depth]))),
                    None => break,
                };
            }
        }
    }
    issues.extend(
        unknown
            .into_iter()
            .map(|f| FieldIssue::new(f, "unknown_field", "unknown field")),
    );
    issues.sort_by(|a, b| a.field.cmp(&b.field));
    (built, issues)
}

/// Nulls the value at `segments`, or removes it from its object when it is already null.
/// Returns false when nothing more can be done.
/// Returns how many of `segments` lead to the node it changed, or `None` when it could not.
fn repair(root: &mut serde_json::Value, segments: &[serde_path_to_error::Segment]) -> Option<usize> {
    use serde_path_to_error::Segment;
    let (last, parents) = segments.split_last()?;
    // An array element that cannot be fixed takes the whole array out (indices must not shift).
    if matches!(last, Segment::Seq { .. }) && value_at(root, segments).is_some_and(|v| v.is_null()) {
        return repair(root, parents);
    }
    let mut node = root;
    for seg in parents {
        node = match (seg, node) {
            (Segment::Map { key }, serde_json::Value::Object(m)) => m.get_mut(key)?,
            (Segment::Seq { index }, serde_json::Value::Array(a)) => a.get_mut(*index)?,
            _ => return None,
        };
    }
    let changed = match (last, node) {
        (Segment::Map { key }, serde_json::Value::Object(m)) => match m.get_mut(key) {
            Some(v) if !v.is_null() => {
                *v = serde_json::Value::Null;
                true
            }
            Some(_) => m.remove(key).is_some(),
            None => false,
        },
        (Segment::Seq { index }, serde_json::Value::Array(a)) if *index < a.len() => {
            a[*index] = serde_json::Value::Null;
            true
        }
        _ => false,
    };
    changed.then_some(segments.len())
}

/// `a.b[2]`: the JSON path of `segments`.
fn segments_path(segments: &[serde_path_to_error::Segment]) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in segments {
        match seg {
            Segment::Map { key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            _ => {}
        }
    }
    out
}

fn value_at<'v>(
    root: &'v serde_json::Value,
    segments: &[serde_path_to_error::Segment],
) -> Option<&'v serde_json::Value> {
    use serde_path_to_error::Segment;
    segments.iter().try_fold(root, |node, seg| match seg {
        Segment::Map { key } => node.get(key),
        Segment::Seq { index } => node.get(index),
        _ => None,
    })
}

fn join(prefix: &str, path: &str) -> String {
    let path = if path == "." { "" } else { path };
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if path.starts_with('[') => format!("{prefix}{path}"),
        (false, false) => format!("{prefix}.{path}"),
    }
}

fn ignored_path(prefix: &str, path: &serde_ignored::Path<'_>) -> String {
    fn walk(path: &serde_ignored::Path<'_>, out: &mut String) {
        use serde_ignored::Path;
        match path {
            Path::Root => {}
            Path::Seq { parent, index } => {
                walk(parent, out);
                out.push_str(&format!("[{index}]"));
            }
            Path::Map { parent, key } => {
                walk(parent, out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => {
                walk(parent, out)
            }
        }
    }
    let mut out = String::new();
    walk(path, &mut out);
    join(prefix, &out)
}

/// Turns serde's message into a stable code; a missing field is reported at its own path.
fn serde_issue(path: &str, msg: &str) -> FieldIssue {
    // serde appends " at line 1 column 5" for text input; values have no position.
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    if let Some(name) = msg.strip_prefix("missing field `").and_then(|r| r.strip_suffix('`')) {
        return FieldIssue::new(join(path, name), "required", "is required");
    }
    let code = if msg.starts_with("invalid type") {
        "invalid_type"
    } else if msg.starts_with("unknown variant") || msg.starts_with("invalid value") {
        "invalid_value"
    } else if msg.starts_with("invalid length") {
        "length"
    } else if msg.starts_with("duplicate field") {
        "duplicate_field"
    } else {
        "invalid"
    };
    FieldIssue::new(path, code, client_message(msg))
}

/// serde's message in the client's terms: what was expected and what was sent, in JSON words,
/// never a Rust type name (`expected struct Demographics` → `expected an object`).
fn client_message(msg: &str) -> String {
    let rest = msg
        .strip_prefix("invalid type: ")
        .or_else(|| msg.strip_prefix("invalid value: "));
    match rest.and_then(|r| r.rsplit_once(", expected ")) {
        Some((got, expected)) => format!("expected {}, got {}", json_expected(expected), json_got(got)),
        None => msg.to_owned(),
    }
}

fn json_expected(expected: &str) -> &str {
    match expected {
        e if e.starts_with("struct ") || e == "a map" || e == "map" => "an object",
        e if e.starts_with("enum ") => "one of the allowed values",
        e if e == "a sequence" || e.starts_with("a tuple") || e.starts_with("tuple") => "a list",
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "option" => "a value or null",
        other => other,
    }
}

fn json_got(got: &str) -> String {
    let literal = |prefix: &str| got.strip_prefix(prefix).map(|v| v.trim_matches('`').to_owned());
    match got {
        "map" => "an object".into(),
        "sequence" => "a list".into(),
        "unit value" | "null" => "null".into(),
        _ => literal("integer ")
            .or_else(|| literal("floating point "))
            .or_else(|| literal("boolean "))
            .or_else(|| got.strip_prefix("string ").map(str::to_owned))
            .unwrap_or_else(|| got.to_owned()),
    }
}

/// Flattens validator's nested errors into JSON paths, sorted (validator uses a HashMap).
pub fn validation_issues(errors: &ValidationErrors) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field).then_with(|| a.code.cmp(&b.code)));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldIssue>) {
    for (field, kind) in errors.errors() {
        // `__all__` holds struct-level (schema) errors: they name their own field in `params.field`.
        let path = if field.as_ref() == "__all__" {
            prefix.to_owned()
        } else {
            join(prefix, field)
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    let path = match e.params.get("field").and_then(|v| v.as_str()) {
                        Some(f) => join(&path, f),
                        None => path.clone(),
                    };
                    out.push(FieldIssue::new(path, e.code.to_string(), message(e)));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn message(e: &validator::ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let p = |k: &str| e.params.get(k).map(|v| v.to_string().trim_matches('"').to_owned());
    match e.code.as_ref() {
        "range" => match (p("min"), p("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "out of range".into(),
        },
        "length" => match (p("min"), p("max"), p("equal")) {
            (_, _, Some(eq)) => format!("length must be {eq}"),
            (Some(min), Some(max), _) => format!("length must be between {min} and {max}"),
            (Some(min), None, _) => format!("length must be at least {min}"),
            (None, Some(max), _) => format!("length must be at most {max}"),
            _ => "invalid length".into(),
        },
        "email" => "must be a valid email address".into(),
        "required" => "is required".into(),
        other => Cow::Borrowed(other).replace('_', " "),
    }
}

/// Query parameters that parsed and passed validation. Unknown parameters are a 422.
#[derive(Debug)]
pub struct ValidatedQuery<T>(pub T);

impl<T: DeserializeOwned + Validate> FromRequest for ValidatedQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(ValidatedQuery))
    }
}

pub fn parse_query<T: DeserializeOwned + Validate>(query: &str) -> Result<T, ApiError> {
    let mut unknown = Vec::new();
    let mut track = serde_path_to_error::Track::new();
    // Empty values are dropped so `?cursor=` means "no cursor", as form builders send it.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .map_err(|_| ApiError::BadRequest("malformed query string".into()))?
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let with_nul: Vec<FieldIssue> = pairs
        .iter()
        .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| {
            FieldIssue::new(
                k.replace('\0', ""),
                "control_characters",
                "must not contain NUL characters",
            )
        })
        .collect();
    if !with_nul.is_empty() {
        return Err(ApiError::Validation(with_nul));
    }
    let encoded = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let result = {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(encoded.as_bytes()));
        let mut on_ignored = |path: serde_ignored::Path<'_>| unknown.push(ignored_path("", &path));
        let de = serde_ignored::Deserializer::new(de, &mut on_ignored);
        T::deserialize(serde_path_to_error::Deserializer::new(de, &mut track))
    };
    let value = match result {
        Ok(v) => v,
        Err(e) => {
            return Err(ApiError::Validation(vec![serde_issue(
                &track.path().to_string(),
                &e.to_string(),
            )]));
        }
    };
    if !unknown.is_empty() {
        return Err(ApiError::Validation(
            unknown
                .into_iter()
                .map(|f| FieldIssue::new(f, "unknown_parameter", "unknown query parameter"))
                .collect(),
        ));
    }
    value
        .validate()
        .map_err(|e| ApiError::Validation(validation_issues(&e)))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, Validate)]
    struct Inner {
        #[validate(range(min = 0, max = 10))]
        score: u8,
    }

    #[derive(Debug, Deserialize, Validate)]
    struct Outer {
        #[validate(length(min = 1, max = 5))]
        name: String,
        #[validate(nested)]
        items: Vec<Inner>,
    }

    fn issues(r: Result<Outer, ApiError>) -> Vec<(String, String)> {
        match r {
            Err(ApiError::Validation(v)) => v.into_iter().map(|i| (i.field, i.code)).collect(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Outer>(b"{\"name\": "),
            Err(ApiError::BadRequest(_))
        ));
    }

    #[test]
    fn every_unknown_field_is_named_with_its_path() {
        let r = parse_json::<Outer>(br#"{"name":"a","extra":1,"items":[{"score":1,"x":2}]}"#);
        assert_eq!(
            issues(r),
            vec![
                ("extra".into(), "unknown_field".into()),
                ("items[0].x".into(), "unknown_field".into())
            ]
        );
    }

    #[test]
    fn every_type_error_is_named() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Many {
            a: Option<u8>,
            b: Option<bool>,
            c: Option<Vec<u8>>,
            d: Option<String>,
        }
        let v = serde_json::json!({"a": "x", "b": 3, "c": [1, "two", 3], "d": "ok", "e": 1});
        let (built, issues) = collect_errors::<Many>(&v, "s");
        let got: Vec<(String, String)> = issues.into_iter().map(|i| (i.field, i.code)).collect();
        assert_eq!(
            got,
            vec![
                ("s.a".into(), "invalid_type".into()),
                ("s.b".into(), "invalid_type".into()),
                ("s.c[1]".into(), "invalid_type".into()),
                ("s.e".into(), "unknown_field".into()),
            ]
        );
        assert!(built.is_some_and(|m| m.d.as_deref() == Some("ok")));
    }

    #[test]
    fn messages_speak_json_not_rust() {
        let messages = |body: &[u8]| -> Vec<String> {
            match parse_json::<Outer>(body) {
                Err(ApiError::Validation(issues)) => issues.into_iter().map(|i| i.message).collect(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            messages(br#"{"name": 5, "items": {"a": 1}}"#),
            vec!["expected a list, got an object", "expected a string, got 5"]
        );
        assert_eq!(
            messages(br#"{"name": "a", "items": [{"score": 300}]}"#),
            vec!["expected a whole number from 0 to 255, got 300"]
        );
        assert_eq!(
            messages(br#"{"name": "a", "items": ["x"]}"#),
            vec!["expected an object, got \"x\""]
        );
        for m in messages(br#"{"name": [], "items": [1.5]}"#) {
            assert!(
                !m.contains("struct") && !m.contains("u8") && !m.contains("sequence"),
                "{m}"
            );
        }
    }

    #[test]
    fn type_errors_and_missing_fields_name_their_path() {
        let r = parse_json::<Outer>(br#"{"name":"a","items":[{"score":"high"}]}"#);
        assert_eq!(issues(r), vec![("items[0].score".into(), "invalid_type".into())]);
        let r = parse_json::<Outer>(br#"{"items":[]}"#);
        assert_eq!(issues(r), vec![("name".into(), "required".into())]);
    }

    #[test]
    fn validation_reports_nested_paths() {
        let v: Outer = parse_json(br#"{"name":"toolong","items":[{"score":1},{"score":11}]}"#).unwrap();
        let got: Vec<_> = validation_issues(&v.validate().unwrap_err())
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(got, vec!["items[1].score", "name"]);
    }
}
