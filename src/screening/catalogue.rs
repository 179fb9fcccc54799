//! The v1 instrument catalogue (CLINICAL.md) with item text in English and Spanish.
//!
//! Public-domain instruments carry their published English wording. Spanish: PHQ-9 and GAD-7
//! follow the Spanish (US) versions distributed with the PHQ screeners; the other Spanish texts
//! are this clinic's translations and are marked `official_translation: false` until checked
//! against the developers' Spanish versions. Restricted instruments (DN4, C-SSRS) carry short
//! paraphrased labels only: their official wording ships with the licence.

use std::sync::LazyLock;

use super::instruments::InstrumentCode;
pub use super::instruments::form::{Choice, Instrument, Item, ItemKind};

/// Every instrument this build knows, in catalogue order, built from the instrument modules.
pub static CATALOGUE: LazyLock<Vec<Instrument>> =
    LazyLock::new(|| InstrumentCode::ALL.iter().map(|c| (c.module().definition)()).collect());

/// The definition of `code`.
pub fn find(code: InstrumentCode) -> &'static Instrument {
    // CATALOGUE holds every code in `ALL` order, which is the order of the enum's variants.
    &CATALOGUE[code as usize]
}

/// The instrument with this code, if this build has one.
pub fn lookup(code: &str) -> Option<&'static Instrument> {
    InstrumentCode::parse(code).map(find)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_holds_every_code_in_order() {
        let codes: Vec<&str> = CATALOGUE.iter().map(|i| i.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "phq9",
                "gad7",
                "pc_ptsd5",
                "pcl5",
                "asq",
                "pain_nrs",
                "peg",
                "fm2016",
                "crps_budapest",
                "dn4",
                "cssrs_screen",
                "pgic",
                "ketamine_side_effects"
            ]
        );
        for code in InstrumentCode::ALL {
            assert_eq!(find(code).code, code);
        }
        assert!(find(InstrumentCode::Dn4).restricted && find(InstrumentCode::CssrsScreen).restricted);
        assert_eq!(lookup("phq9").map(|i| i.code), Some(InstrumentCode::Phq9));
        assert!(lookup("bdi2").is_none());
    }

    #[test]
    fn every_item_has_text_in_both_languages_and_unique_ids() {
        for i in CATALOGUE.iter() {
            let mut ids: Vec<&str> = i.items.iter().map(|it| it.id).collect();
            let n = ids.len();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), n, "{} has duplicate item ids", i.code);
            for it in &i.items {
                assert!(!it.text.en.is_empty() && !it.text.es.is_empty(), "{}.{}", i.code, it.id);
                for o in &it.options {
                    assert!(!o.label.en.is_empty() && !o.label.es.is_empty(), "{}.{}", i.code, it.id);
                }
            }
        }
        assert_eq!(find(InstrumentCode::Phq9).items.len(), 10);
        assert_eq!(find(InstrumentCode::Pcl5).items.len(), 20);
        assert_eq!(find(InstrumentCode::Fm2016).items[0].options.len(), 19);
    }
}
