//! Reading answers in the wire format (CLINICAL.md): every bad item is reported by its JSON
//! path, never clamped or guessed. Codes: `required`, `out_of_range`, `invalid_type`,
//! `invalid_value`, `duplicate`, `unknown_item`, `not_applicable` (an answer the skip logic
//! forbids).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::validation::FieldIssue;

pub struct Reader<'a> {
    map: Option<&'a Map<String, Value>>,
    prefix: String,
    seen: BTreeSet<String>,
    pub issues: Vec<FieldIssue>,
}

impl<'a> Reader<'a> {
    /// `value` must be a JSON object of answers; `prefix` is its path (e.g. `answers`).
    pub fn new(value: &'a Value, prefix: &str) -> Self {
        let mut r = Reader {
            map: value.as_object(),
            prefix: prefix.to_owned(),
            seen: BTreeSet::new(),
            issues: Vec::new(),
        };
        if r.map.is_none() {
            r.issues.push(FieldIssue::new(
                prefix,
                "invalid_type",
                "must be an object of answers keyed by item id",
            ));
        }
        r
    }

    pub fn path(&self, id: &str) -> String {
        if self.prefix.is_empty() {
            id.to_owned()
        } else {
            format!("{}.{id}", self.prefix)
        }
    }

    fn issue(&mut self, id: &str, code: &str, message: impl Into<String>) {
        let path = self.path(id);
        self.issues.push(FieldIssue::new(path, code, message));
    }

    /// The raw value, `None` when absent; JSON `null` counts as absent.
    fn raw(&mut self, id: &str) -> Option<&'a Value> {
        self.seen.insert(id.to_owned());
        self.map.and_then(|m| m.get(id)).filter(|v| !v.is_null())
    }

    /// Marks an item as known (e.g. an optional clinician part left out).
    pub fn touch(&mut self, id: &str) {
        self.seen.insert(id.to_owned());
    }

    pub fn is_present(&self, id: &str) -> bool {
        self.map.and_then(|m| m.get(id)).is_some_and(|v| !v.is_null())
    }

    fn required<T>(&mut self, id: &str, v: Option<T>) -> Option<T> {
        if v.is_none() && self.map.is_some() {
            self.issue(id, "required", "is required");
        }
        v
    }

    /// An optional whole number in `min..=max`.
    pub fn opt_int(&mut self, id: &str, min: i64, max: i64) -> Option<i64> {
        let v = self.raw(id)?;
        match v.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(_) => {
                self.issue(
                    id,
                    "out_of_range",
                    format!("must be a whole number from {min} to {max}"),
                );
                None
            }
            None => {
                self.issue(
                    id,
                    "invalid_type",
                    format!("must be a whole number from {min} to {max}"),
                );
                None
            }
        }
    }

    pub fn int(&mut self, id: &str, min: i64, max: i64) -> Option<i64> {
        let present = self.is_present(id);
        let v = self.opt_int(id, min, max);
        if present { v } else { self.required(id, v) }
    }

    pub fn opt_bool(&mut self, id: &str) -> Option<bool> {
        let v = self.raw(id)?;
        let b = v.as_bool();
        if b.is_none() {
            self.issue(id, "invalid_type", "must be true or false");
        }
        b
    }

    pub fn bool(&mut self, id: &str) -> Option<bool> {
        let present = self.is_present(id);
        let v = self.opt_bool(id);
        if present { v } else { self.required(id, v) }
    }

    /// One of `allowed` (strings).
    pub fn opt_choice(&mut self, id: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let v = self.raw(id)?;
        match v.as_str() {
            Some(s) => match allowed.iter().find(|a| **a == s) {
                Some(a) => Some(a),
                None => {
                    self.issue(id, "invalid_value", format!("must be one of: {}", allowed.join(", ")));
                    None
                }
            },
            None => {
                self.issue(id, "invalid_type", format!("must be one of: {}", allowed.join(", ")));
                None
            }
        }
    }

    pub fn choice(&mut self, id: &str, allowed: &[&'static str]) -> Option<&'static str> {
        let present = self.is_present(id);
        let v = self.opt_choice(id, allowed);
        if present { v } else { self.required(id, v) }
    }

    /// Optional single-line text of at most `max` characters (e.g. "other: …").
    pub fn opt_text(&mut self, id: &str, max: usize) -> Option<&'a str> {
        let v = self.raw(id)?;
        match v.as_str() {
            Some(s) if !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control) => Some(s),
            _ => {
                self.issue(
                    id,
                    "invalid_value",
                    format!("must be one line of text, 1 to {max} characters"),
                );
                None
            }
        }
    }

    /// A list of distinct ids from `allowed` (may be empty).
    pub fn id_list(&mut self, id: &str, allowed: &[&'static str]) -> Option<Vec<&'static str>> {
        let present = self.is_present(id);
        let Some(v) = self.raw(id) else {
            return if present { None } else { self.required(id, None) };
        };
        let Some(items) = v.as_array() else {
            self.issue(id, "invalid_type", "must be a list of ids");
            return None;
        };
        let mut out: Vec<&'static str> = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let at = format!("{id}[{i}]");
            match item.as_str().and_then(|s| allowed.iter().find(|a| **a == s)) {
                Some(a) if out.contains(a) => {
                    self.issue(&at, "duplicate", "listed twice");
                    ok = false;
                }
                Some(a) => out.push(a),
                None => {
                    self.issue(&at, "invalid_value", format!("must be one of: {}", allowed.join(", ")));
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// The skip logic forbids an answer here.
    pub fn forbid(&mut self, id: &str, why: &str) {
        if self.raw(id).is_some() {
            self.issue(id, "not_applicable", why.to_owned());
        }
    }

    /// A nested object of answers; `None` when absent or null (the caller decides if allowed).
    pub fn nested(&mut self, id: &str) -> Option<Reader<'a>> {
        let v = self.raw(id)?;
        let child = Reader::new(v, &self.path(id));
        if !child.issues.is_empty() {
            self.issues.extend(child.issues);
            return None;
        }
        Some(child)
    }

    /// Folds a nested reader's issues (unknown keys included) into this one.
    pub fn absorb(&mut self, child: Reader<'_>) {
        let issues = child.finish_issues();
        self.issues.extend(issues);
    }

    fn finish_issues(mut self) -> Vec<FieldIssue> {
        if let Some(map) = self.map {
            let unknown: Vec<String> = map.keys().filter(|k| !self.seen.contains(*k)).cloned().collect();
            for k in unknown {
                self.issue(&k, "unknown_item", "is not an item of this instrument");
            }
        }
        self.issues
    }

    /// Every issue found, unknown items included; `Ok` when there were none.
    pub fn finish(self) -> Result<(), Vec<FieldIssue>> {
        let issues = self.finish_issues();
        if issues.is_empty() { Ok(()) } else { Err(issues) }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn codes(issues: Vec<FieldIssue>) -> Vec<(String, String)> {
        issues.into_iter().map(|i| (i.field, i.code)).collect()
    }

    #[test]
    fn reports_every_problem_with_its_path() {
        let v = json!({"1": 4, "2": "x", "3": 1.5, "9": true, "zz": 1});
        let mut r = Reader::new(&v, "answers");
        r.int("1", 0, 3);
        r.int("2", 0, 3);
        r.int("3", 0, 3);
        r.int("4", 0, 3);
        r.bool("9");
        let got = codes(r.finish().unwrap_err());
        assert_eq!(
            got,
            vec![
                ("answers.1".into(), "out_of_range".into()),
                ("answers.2".into(), "invalid_type".into()),
                ("answers.3".into(), "invalid_type".into()),
                ("answers.4".into(), "required".into()),
                ("answers.zz".into(), "unknown_item".into()),
            ]
        );
    }

    #[test]
    fn lists_and_skips() {
        let v = json!({"areas": ["neck", "neck", "moon"], "5": "yes"});
        let mut r = Reader::new(&v, "a");
        assert_eq!(r.id_list("areas", &["neck", "jaw_left"]), None);
        r.forbid("5", "only asked when positive");
        let got = codes(r.finish().unwrap_err());
        assert_eq!(
            got,
            vec![
                ("a.areas[1]".into(), "duplicate".into()),
                ("a.areas[2]".into(), "invalid_value".into()),
                ("a.5".into(), "not_applicable".into()),
            ]
        );
        assert!(codes(Reader::new(&json!([1]), "a").finish().unwrap_err())[0].1 == "invalid_type");
    }
}
