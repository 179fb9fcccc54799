//! Text folding for search: "José García-López" is found by "jose", "GARCIA" or "lop".

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Lower-case, accents removed, every run of non-alphanumerics collapsed to one space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// The searchable words of a name.
pub fn tokens(s: &str) -> Vec<String> {
    let mut words: Vec<String> = fold(s)
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    words.sort();
    words.dedup();
    words
}

/// What a name search (`q`) asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameSearch {
    /// No search: every name.
    All,
    /// Names with, for every word, a word starting with it.
    Words(Vec<String>),
    /// A search of only punctuation or spaces names no word, so no name matches it.
    Nothing,
}

impl NameSearch {
    pub fn parse(q: Option<&str>) -> Self {
        match q.map(tokens) {
            None => NameSearch::All,
            Some(words) if words.is_empty() => NameSearch::Nothing,
            Some(words) => NameSearch::Words(words),
        }
    }
}

/// The smallest string greater than every string starting with `prefix`, for index range scans
/// (`token >= prefix AND token < upper`).
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) = char::from_u32(last as u32 + 1) {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// Lower-case hexadecimal of `bytes` (digests in stored keys and evidence).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Rejects control characters (NUL included) in single-line text fields.
pub fn has_control_chars(s: &str) -> bool {
    s.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(fold("José García-López"), "jose garcia lopez");
        assert_eq!(fold("  ÅSA  o'Brien "), "asa o brien");
        assert_eq!(fold("Ñuñez"), "nunez");
        assert_eq!(tokens("José José García"), vec!["garcia", "jose"]);
    }

    #[test]
    fn a_search_without_words_matches_nothing() {
        assert_eq!(NameSearch::parse(None), NameSearch::All);
        for q in ["%", "_", "-", "\\", " - ", "%_"] {
            assert_eq!(NameSearch::parse(Some(q)), NameSearch::Nothing, "{q:?}");
        }
        assert_eq!(
            NameSearch::parse(Some("José gar-")),
            NameSearch::Words(vec!["gar".into(), "jose".into()])
        );
    }

    #[test]
    fn upper_bound_covers_the_prefix() {
        assert_eq!(prefix_upper_bound("jos").as_deref(), Some("jot"));
        assert!(prefix_upper_bound("jos").unwrap().as_str() > "jose zzz");
        assert_eq!(prefix_upper_bound(""), None);
    }

    #[test]
    fn control_characters_are_detected() {
        assert!(has_control_chars("a\0b"));
        assert!(has_control_chars("a\nb"));
        assert!(!has_control_chars("María José"));
    }
}
