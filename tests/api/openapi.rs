//! The committed OpenAPI document is the generated one, and it is what the server serves.

use intake_api::db::Backend;

use crate::helpers::spawn;

const REGENERATE: &str = "UPDATE_OPENAPI=1 cargo test --test api openapi";

#[::core::prelude::v1::test]
fn committed_openapi_is_current() {
    let fresh = intake_api::app::openapi().to_pretty_json().unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "openapi/openapi.json is stale: run `{REGENERATE}` and commit it"
    );
}

#[actix_web::test]
async fn served_document_is_the_committed_one() {
    let app = spawn(Backend::Sqlite).await;
    let res = app.get("/api-docs/openapi.json", None).await;
    assert_eq!(res.status, 200);
    let served = res.json();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(served, committed, "run `{REGENERATE}`");
    assert_eq!(served["openapi"], "3.1.0");
}

/// Every operation documents its error responses, each with a description.
#[::core::prelude::v1::test]
fn every_operation_documents_errors() {
    let doc: serde_json::Value = serde_json::from_str(&intake_api::app::openapi().to_json().unwrap()).unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
            assert!(op["operationId"].is_string(), "{method} {path} lacks an operationId");
            if op.get("security").is_some() {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(s), "{method} {path} lacks {s}");
                }
            }
            for (status, r) in responses {
                let described = r.get("description").is_some() || r.get("$ref").is_some();
                assert!(described, "{method} {path} {status} lacks a description");
            }
        }
    }
    assert!(operations >= 3);
}

/// Every `$ref` points at something the document defines.
#[::core::prelude::v1::test]
fn every_reference_resolves() {
    let doc: serde_json::Value = serde_json::from_str(&intake_api::app::openapi().to_json().unwrap()).unwrap();
    fn walk(v: &serde_json::Value, doc: &serde_json::Value, missing: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                    let pointer = r.trim_start_matches('#');
                    if doc.pointer(pointer).is_none() {
                        missing.push(r.to_owned());
                    }
                }
                m.values().for_each(|x| walk(x, doc, missing));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, doc, missing)),
            _ => {}
        }
    }
    let mut missing = Vec::new();
    walk(&doc, &doc, &mut missing);
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "unresolved references: {missing:?}");
}

/// Operation ids are unique (generated clients name their methods by them).
#[::core::prelude::v1::test]
fn operation_ids_are_unique() {
    let doc: serde_json::Value = serde_json::from_str(&intake_api::app::openapi().to_json().unwrap()).unwrap();
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|p| p.as_object().unwrap().values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate operation ids");
}

/// Schema names are unique across the crate: utoipa names a schema by its type, and a second
/// type of the same name would silently replace the first in the document.
#[::core::prelude::v1::test]
fn schema_type_names_are_unique() {
    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    rust_files(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut clashes = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut derives_schema = false;
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("#[derive(") && line.contains("ToSchema") {
                derives_schema = true;
            } else if let Some(rest) = line
                .strip_prefix("pub struct ")
                .or_else(|| line.strip_prefix("pub enum "))
            {
                if derives_schema {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    let here = file.display().to_string();
                    // An empty name is a macro's `pub enum $name`.
                    if !name.is_empty()
                        && let Some(first) = seen.insert(name.clone(), here.clone())
                    {
                        clashes.push(format!("{name}: {first} and {here}"));
                    }
                }
                derives_schema = false;
            }
        }
    }
    assert!(clashes.is_empty(), "schema names used twice: {clashes:?}");
}
