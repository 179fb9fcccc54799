//! Medication classes the safety checklist looks for, matched on folded medication names
//! (generic and common US brand names).

use crate::text;

/// Monoamine oxidase inhibitors (raise blood pressure with ketamine; esketamine label).
const MAOI: &[&str] = &[
    "phenelzine",
    "nardil",
    "tranylcypromine",
    "parnate",
    "isocarboxazid",
    "marplan",
    "selegiline",
    "emsam",
    "zelapar",
    "eldepryl",
    "rasagiline",
    "azilect",
    "safinamide",
    "xadago",
    "linezolid",
    "zyvox",
    "methylene",
];

/// Psychostimulants (raise blood pressure with ketamine; esketamine label).
const STIMULANTS: &[&str] = &[
    "amphetamine",
    "dextroamphetamine",
    "levoamphetamine",
    "lisdexamfetamine",
    "vyvanse",
    "adderall",
    "mydayis",
    "evekeo",
    "dexedrine",
    "zenzedi",
    "methylphenidate",
    "ritalin",
    "concerta",
    "metadate",
    "quillichew",
    "daytrana",
    "jornay",
    "dexmethylphenidate",
    "focalin",
    "methamphetamine",
    "desoxyn",
    "modafinil",
    "provigil",
    "armodafinil",
    "nuvigil",
    "solriamfetol",
    "sunosi",
    "phentermine",
    "adipex",
    "qsymia",
];

/// Buprenorphine products (no MME factor; flagged instead).
const BUPRENORPHINE: &[&str] = &[
    "buprenorphine",
    "suboxone",
    "subutex",
    "zubsolv",
    "butrans",
    "belbuca",
    "sublocade",
    "brixadi",
    "bunavail",
];

fn matches(name: &str, list: &[&str]) -> bool {
    text::tokens(name).iter().any(|word| list.contains(&word.as_str()))
}

pub fn is_maoi(name: &str) -> bool {
    matches(name, MAOI)
}

pub fn is_psychostimulant(name: &str) -> bool {
    matches(name, STIMULANTS)
}

pub fn is_buprenorphine(name: &str) -> bool {
    matches(name, BUPRENORPHINE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_generic_and_brand_names() {
        assert!(is_maoi("Phenelzine 15 mg"));
        assert!(is_maoi("EMSAM patch"));
        assert!(is_psychostimulant("Adderall XR"));
        assert!(is_psychostimulant("methylphenidate ER"));
        assert!(is_buprenorphine("Suboxone film"));
        assert!(is_buprenorphine("buprenorphine/naloxone"));
        assert!(!is_maoi("sertraline"));
        assert!(!is_psychostimulant("gabapentin"));
        assert!(!is_buprenorphine("oxycodone"));
    }
}
