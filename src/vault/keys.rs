//! `DATA_KEYS`: one or more `id:base64key` (32 bytes each), comma-separated. The first encrypts;
//! all decrypt. Key material is wiped from memory when the ring is dropped.

use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use hmac::{Hmac, Mac};
use secrecy::zeroize::Zeroizing;
use sha2::{Digest, Sha256};

/// Longest key id: it is stored in front of every value.
const MAX_ID_LEN: usize = 16;

fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// One data key: the AEAD cipher and the name-index key derived from it.
pub struct DataKey {
    pub(super) id: String,
    pub(super) cipher: Aes256Gcm,
    /// HMAC-SHA256 key for the name index, derived with a label of its own (key separation).
    pub(super) index_key: Zeroizing<[u8; 32]>,
    /// SHA-256 of the key, to tell two rings apart without keeping the key twice.
    fingerprint: [u8; 32],
}

impl DataKey {
    pub fn new(id: &str, key: &[u8; 32]) -> Result<Self, String> {
        if !valid_id(id) {
            return Err(format!("a key id must be 1 to {MAX_ID_LEN} letters, digits or '-'"));
        }
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"intake-api name index v1");
        let mut index_key = Zeroizing::new([0u8; 32]);
        index_key.copy_from_slice(&mac.finalize().into_bytes());
        Ok(Self {
            id: id.to_owned(),
            cipher: Aes256Gcm::new(key.into()),
            index_key,
            fingerprint: Sha256::digest(key).into(),
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The keys in `DATA_KEYS` order: the first encrypts, every one decrypts.
pub struct KeyRing {
    keys: Vec<DataKey>,
}

impl KeyRing {
    /// Parses `DATA_KEYS`. Errors say what is wrong without echoing key material.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut keys: Vec<DataKey> = Vec::new();
        for (i, entry) in raw.split(',').map(str::trim).enumerate() {
            if entry.is_empty() {
                continue;
            }
            let (id, encoded) = entry
                .split_once(':')
                .ok_or_else(|| format!("entry {} must be id:base64key (e.g. k1:…)", i + 1))?;
            // Checked before the id appears in any message: a key pasted before the colon is
            // never echoed.
            if !valid_id(id) {
                return Err(format!(
                    "entry {}: the key id must be 1 to {MAX_ID_LEN} letters, digits or '-', then ':' and the key",
                    i + 1
                ));
            }
            let bytes = Zeroizing::new(
                STANDARD
                    .decode(encoded.trim())
                    .or_else(|_| URL_SAFE.decode(encoded.trim()))
                    .map_err(|_| format!("key {id:?} is not base64"))?,
            );
            let key: Zeroizing<[u8; 32]> = Zeroizing::new(bytes.as_slice().try_into().map_err(|_| {
                format!(
                    "key {id:?} must be 32 bytes (e.g. `openssl rand -base64 32`), got {}",
                    bytes.len()
                )
            })?);
            if keys.iter().any(|k| k.id == id) {
                return Err(format!("key id {id:?} appears twice"));
            }
            keys.push(DataKey::new(id, &key)?);
        }
        if keys.is_empty() {
            return Err("needs at least one key, e.g. k1:$(openssl rand -base64 32)".into());
        }
        Ok(Self { keys })
    }

    /// A ring of freshly generated keys (development's `.env`, tests): `id:base64key` text.
    pub fn generate_entry(id: &str) -> Result<String, String> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).map_err(|e| format!("random: {e}"))?;
        Ok(format!("{id}:{}", STANDARD.encode(key.as_ref())))
    }

    /// The key new values are sealed with.
    pub fn current(&self) -> &DataKey {
        &self.keys[0]
    }

    pub fn get(&self, id: &str) -> Option<&DataKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    pub fn keys(&self) -> &[DataKey] {
        &self.keys
    }

    /// Whether both rings hold the same keys in the same order.
    pub fn same_as(&self, other: &KeyRing) -> bool {
        self.keys.len() == other.keys.len()
            && self
                .keys
                .iter()
                .zip(&other.keys)
                .all(|(a, b)| a.id == b.id && a.fingerprint == b.fingerprint)
    }
}

impl fmt::Debug for KeyRing {
    // Ids only: key material never reaches a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("KeyRing").field("ids", &ids).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn parses_ids_in_order() {
        let two = format!("k2:{},{K1}", STANDARD.encode([7u8; 32]));
        let ring = KeyRing::parse(&two).unwrap();
        assert_eq!(ring.current().id(), "k2");
        assert!(ring.get("k1").is_some());
        assert_eq!(format!("{ring:?}"), r#"KeyRing { ids: ["k2", "k1"] }"#);
    }

    #[test]
    fn refuses_bad_entries_naming_the_problem() {
        let short = format!("k1:{}", STANDARD.encode([1u8; 16]));
        for (raw, says) in [
            ("", "at least one key"),
            ("k1", "id:base64key"),
            ("k1:not base64!", "not base64"),
            (short.as_str(), "must be 32 bytes"),
            ("k_1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "letters, digits"),
            // A key pasted before the colon is not echoed.
            ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=:k1", "entry 1: the key id"),
        ] {
            let err = KeyRing::parse(raw).unwrap_err();
            assert!(err.contains(says), "{raw:?}: {err}");
            assert!(!err.contains("AAECAwQF"), "{err}");
        }
        let twice = format!("{K1},{K1}");
        assert!(KeyRing::parse(&twice).unwrap_err().contains("twice"));
    }

    #[test]
    fn generated_entries_parse_and_differ() {
        let a = KeyRing::generate_entry("k1").unwrap();
        let b = KeyRing::generate_entry("k1").unwrap();
        assert_ne!(a, b);
        let (ra, rb) = (KeyRing::parse(&a).unwrap(), KeyRing::parse(&b).unwrap());
        assert!(ra.same_as(&KeyRing::parse(&a).unwrap()));
        assert!(!ra.same_as(&rb));
    }
}
