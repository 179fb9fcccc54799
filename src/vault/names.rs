//! The name index: keyed hashes of every prefix of every folded name word, so staff can still
//! search by the start of a name ("gar" finds García) while the database holds no name in clear.
//!
//! A token is `{key id}:{first 16 bytes of HMAC-SHA256(index key, prefix)}` in hex. Prefix
//! search is kept by storing each prefix (up to [`MAX_PREFIX`] characters) rather than a range
//! over clear words; a search word longer than that is cut to it, so it may also match longer
//! names sharing those characters. What the index still discloses to someone who holds the
//! database but not the key: equal prefixes give equal tokens, so it shows how many patients
//! share each prefix, which prefixes nest (every patient with "garc" also has "gar"), and how many
//! tokens, so roughly how many letters, a name has. With public name-frequency tables that allows
//! guessing common names: the price of prefix search without names in clear (an index of whole
//! words would disclose less and lose "gar" → García). During a key rotation a search asks for
//! the tokens of every key in the ring, so rows not yet re-indexed are found.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::keys::{DataKey, KeyRing};
use crate::text;

/// Longest indexed prefix, in characters.
pub const MAX_PREFIX: usize = 24;

fn token(key: &DataKey, prefix: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.index_key.as_ref())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(prefix.as_bytes());
    let digest = mac.finalize().into_bytes();
    format!("{}:{}", key.id, text::hex(&digest[..16]))
}

/// Every token of a patient's name under `key`, sorted, without repeats.
pub fn index_tokens(key: &DataKey, given: &str, family: &str) -> Vec<String> {
    let mut out: Vec<String> = text::tokens(&format!("{given} {family}"))
        .iter()
        .flat_map(|word| {
            word.char_indices()
                .map(|(i, c)| i + c.len_utf8())
                .take(MAX_PREFIX)
                .map(|end| token(key, &word[..end]))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The tokens that find a search word (already folded), one per key of the ring.
pub fn search_tokens(ring: &KeyRing, word: &str) -> Vec<String> {
    let cut = word.char_indices().nth(MAX_PREFIX).map_or(word, |(i, _)| &word[..i]);
    ring.keys().iter().map(|k| token(k, cut)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    #[test]
    fn every_prefix_of_every_folded_word_is_indexed() {
        let ring = KeyRing::parse(K1).unwrap();
        let index = index_tokens(ring.current(), "José", "García López");
        // jose (4) + garcia (6) + lopez (5) prefixes.
        assert_eq!(index.len(), 15);
        for word in ["j", "jos", "jose", "gar", "garcia", "lo", "lopez"] {
            let t = search_tokens(&ring, word);
            assert_eq!(t.len(), 1);
            assert!(index.contains(&t[0]), "{word}");
        }
        for word in ["joses", "ose", "garcial", "x"] {
            assert!(!index.contains(&search_tokens(&ring, word)[0]), "{word}");
        }
        assert!(index.iter().all(|t| t.starts_with("k1:") && t.len() == 3 + 32));
    }

    #[test]
    fn tokens_differ_by_key_and_a_search_asks_for_every_key() {
        let both = KeyRing::parse(&format!("{K2},{K1}")).unwrap();
        let old = KeyRing::parse(K1).unwrap();
        let under_old = index_tokens(old.current(), "Ana", "Ruiz");
        let under_new = index_tokens(both.current(), "Ana", "Ruiz");
        assert!(under_old.iter().all(|t| !under_new.contains(t)));
        let wanted = search_tokens(&both, "ruiz");
        assert_eq!(wanted.len(), 2);
        assert!(under_new.contains(&wanted[0]) && under_old.contains(&wanted[1]));
    }

    #[test]
    fn long_words_are_cut_to_the_longest_prefix() {
        let ring = KeyRing::parse(K1).unwrap();
        let long = "a".repeat(40);
        let index = index_tokens(ring.current(), &long, "B");
        assert_eq!(index.len(), MAX_PREFIX + 1);
        assert!(index.contains(&search_tokens(&ring, &"a".repeat(30))[0]));
    }
}
