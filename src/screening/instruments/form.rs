//! The shape of an instrument's definition (items, answer options, texts in English and
//! Spanish, licence, scoring summary) and the builders the instrument modules write it with.

use serde_json::{Value, json};

use super::code::InstrumentCode;
use crate::screening::model::Text;

/// Version of the item sets and rules implemented here (recorded on every result).
pub const VERSION: &str = "1.0";

pub(super) const fn t(en: &'static str, es: &'static str) -> Text {
    Text { en, es }
}

/// How an item is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    SingleChoice,
    MultiChoice,
    Boolean,
    Integer,
    /// One line of free text.
    Text,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::SingleChoice => "single_choice",
            ItemKind::MultiChoice => "multi_choice",
            ItemKind::Boolean => "boolean",
            ItemKind::Integer => "integer",
            ItemKind::Text => "text",
        }
    }
}

/// An answer a condition compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Bool(bool),
    Int(i64),
    Code(&'static str),
}

/// When a conditional item is asked: any of `items` has any of `equals` (the machine form of
/// the item's `shown_when` text, which FHIR renderers read as `enableWhen`).
#[derive(Debug, Clone, Copy)]
pub struct Condition {
    pub items: &'static [&'static str],
    pub equals: &'static [Answer],
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: Value,
    pub label: Text,
}

#[derive(Debug, Clone)]
pub struct Item {
    /// Stable id in the wire format; `a.b` is key `b` inside object `a`.
    pub id: &'static str,
    pub text: Text,
    pub kind: ItemKind,
    pub options: Vec<Choice>,
    /// `None`: always required. `Some(rule)`: asked (and then required) only when the rule holds.
    pub shown_when: Option<&'static str>,
    /// The rule as a condition on other items' answers, when it is one the form can check.
    pub condition: Option<Condition>,
    /// Optional even when shown.
    pub optional: bool,
    /// `clinician` items are recorded at examination, not by the patient.
    pub clinician: bool,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Instrument {
    pub code: InstrumentCode,
    pub name: Text,
    pub version: &'static str,
    pub licence: &'static str,
    /// Off unless the clinic enables it (licence required).
    pub restricted: bool,
    pub citation: &'static str,
    pub recall_period: Text,
    pub instructions: Text,
    pub official_translation: bool,
    pub items: Vec<Item>,
    pub rule_set: &'static str,
    /// How the server scores it (for clinicians and integrators; English).
    pub scoring: &'static str,
    pub total_range: Option<(i64, i64)>,
    /// (band id, lowest total, highest total).
    pub bands: &'static [(&'static str, i64, i64)],
    /// LOINC code of the total score, where one exists.
    pub loinc_total: Option<&'static str>,
    /// LOINC code of the panel, where one exists.
    pub loinc_panel: Option<&'static str>,
}

pub(super) fn choice(value: Value, label: Text) -> Choice {
    Choice { value, label }
}

pub(super) fn item(id: &'static str, text: Text, kind: ItemKind, options: Vec<Choice>) -> Item {
    Item {
        id,
        text,
        kind,
        options,
        shown_when: None,
        condition: None,
        optional: false,
        clinician: false,
        min: None,
        max: None,
    }
}

impl Item {
    /// Asked only when `rule` holds (a rule outside the form, such as an examination).
    pub(super) fn when(mut self, rule: &'static str) -> Self {
        self.shown_when = Some(rule);
        self
    }
    /// Asked only when `condition` on the form's answers holds; `rule` says it in words.
    pub(super) fn when_answered(mut self, rule: &'static str, condition: Condition) -> Self {
        self.shown_when = Some(rule);
        self.condition = Some(condition);
        self
    }
    pub(super) fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub(super) fn clinician(mut self) -> Self {
        self.clinician = true;
        self
    }
    pub(super) fn range(mut self, min: i64, max: i64) -> Self {
        self.min = Some(min);
        self.max = Some(max);
        self
    }
}

pub(super) fn scale(labels: &[Text]) -> Vec<Choice> {
    labels.iter().enumerate().map(|(i, l)| choice(json!(i), *l)).collect()
}

pub(super) fn yes_no() -> Vec<Choice> {
    vec![choice(json!(true), t("Yes", "Sí")), choice(json!(false), t("No", "No"))]
}

pub(super) const FREQUENCY: [Text; 4] = [
    t("Not at all", "Ningún día"),
    t("Several days", "Varios días"),
    t("More than half the days", "Más de la mitad de los días"),
    t("Nearly every day", "Casi todos los días"),
];

pub(super) fn nrs(low: Text, high: Text) -> Vec<Choice> {
    (0..=10)
        .map(|i| match i {
            0 => choice(json!(0), low),
            10 => choice(json!(10), high),
            _ => choice(
                json!(i),
                Text {
                    en: NUMBERS[i],
                    es: NUMBERS[i],
                },
            ),
        })
        .collect()
}

const NUMBERS: [&str; 11] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
