//! AES-256-GCM sealing of one value for its place, and the process's key ring.

use std::sync::{Arc, OnceLock};

use aes_gcm::Nonce;
use aes_gcm::aead::{Aead, Payload};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::keys::{DataKey, KeyRing};

const NONCE_BYTES: usize = 12;
/// Every sealed value starts with this, then the key id and a colon.
pub const PREFIX: &str = "enc:v1:";

static RING: OnceLock<Arc<KeyRing>> = OnceLock::new();

/// Installs the process's key ring. Installing the same keys again is a no-op; different keys
/// are an error (one process, one ring).
pub fn install(ring: Arc<KeyRing>) -> Result<(), String> {
    let installed = RING.get_or_init(|| ring.clone());
    if installed.same_as(&ring) {
        Ok(())
    } else {
        Err("DATA_KEYS: this process already holds a different key ring".into())
    }
}

/// The installed ring.
pub fn ring() -> Result<&'static KeyRing, VaultError> {
    RING.get().map(|r| r.as_ref()).ok_or(VaultError::NoKeys)
}

/// Where a value lives: bound into its ciphertext as associated data.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub table: &'static str,
    pub row: &'a str,
    pub column: &'static str,
}

impl Place<'_> {
    fn aad(&self) -> Vec<u8> {
        // NUL-separated: no table, id or column name contains one, so no two places share bytes.
        let mut aad = Vec::with_capacity(24 + self.table.len() + self.row.len() + self.column.len());
        aad.extend_from_slice(b"intake-api/v1\0");
        aad.extend_from_slice(self.table.as_bytes());
        aad.push(0);
        aad.extend_from_slice(self.row.as_bytes());
        aad.push(0);
        aad.extend_from_slice(self.column.as_bytes());
        aad
    }
}

impl std::fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{} of row {}", self.table, self.column, self.row)
    }
}

/// Why a value could not be sealed or opened. Never carries the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("no DATA_KEYS loaded in this process")]
    NoKeys,
    #[error("{0} is stored in clear (expected a sealed value)")]
    NotSealed(String),
    #[error("{place} is sealed with key {key:?}, which is not in DATA_KEYS")]
    UnknownKey { place: String, key: String },
    #[error("{0} does not open: wrong key, or a value moved from another row or column")]
    DoesNotOpen(String),
    #[error("random nonce: {0}")]
    Random(String),
}

/// `plain` sealed under the current key for `place`.
pub fn seal(plain: &str, place: Place<'_>) -> Result<String, VaultError> {
    seal_with(ring()?.current(), plain, place)
}

pub fn seal_with(key: &DataKey, plain: &str, place: Place<'_>) -> Result<String, VaultError> {
    let mut nonce = [0u8; NONCE_BYTES];
    getrandom::fill(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
    let aad = place.aad();
    let sealed = key
        .cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plain.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| VaultError::DoesNotOpen(place.to_string()))?;
    let mut bytes = Vec::with_capacity(NONCE_BYTES + sealed.len());
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&sealed);
    let mut out = String::with_capacity(PREFIX.len() + key.id.len() + 1 + (bytes.len() * 4).div_ceil(3));
    out.push_str(PREFIX);
    out.push_str(&key.id);
    out.push(':');
    URL_SAFE_NO_PAD.encode_string(&bytes, &mut out);
    Ok(out)
}

/// The id of the key that sealed `stored`, if it is a sealed value.
pub fn key_id(stored: &str) -> Option<&str> {
    stored.strip_prefix(PREFIX)?.split_once(':').map(|(id, _)| id)
}

/// The plain text of a value sealed for `place`, under any key of the ring.
pub fn open(stored: &str, place: Place<'_>) -> Result<String, VaultError> {
    open_with(ring()?, stored, place)
}

pub fn open_with(ring: &KeyRing, stored: &str, place: Place<'_>) -> Result<String, VaultError> {
    let (id, body) = stored
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .ok_or_else(|| VaultError::NotSealed(place.to_string()))?;
    let key = ring.get(id).ok_or_else(|| VaultError::UnknownKey {
        place: place.to_string(),
        key: id.to_owned(),
    })?;
    let fail = || VaultError::DoesNotOpen(place.to_string());
    let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| fail())?;
    if bytes.len() < NONCE_BYTES + 16 {
        return Err(fail());
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
    let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| fail())?;
    let aad = place.aad();
    let plain = key
        .cipher
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| fail())?;
    String::from_utf8(plain).map_err(|_| fail())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(entries: &str) -> KeyRing {
        KeyRing::parse(entries).unwrap()
    }

    const K1: &str = "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const K2: &str = "k2:ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

    fn place(row: &str) -> Place<'_> {
        Place {
            table: "patients",
            row,
            column: "given_name",
        }
    }

    #[test]
    fn round_trips_under_a_fresh_nonce_each_time() {
        let r = ring(K1);
        let a = seal_with(r.current(), "Ana", place("p1")).unwrap();
        let b = seal_with(r.current(), "Ana", place("p1")).unwrap();
        assert_ne!(a, b, "a nonce per value");
        assert!(a.starts_with("enc:v1:k1:"), "{a}");
        assert!(!a.contains("Ana"));
        assert_eq!(key_id(&a), Some("k1"));
        assert_eq!(open_with(&r, &a, place("p1")).unwrap(), "Ana");
    }

    #[test]
    fn a_value_moved_to_another_row_or_column_does_not_open() {
        let r = ring(K1);
        let a = seal_with(r.current(), "Ana", place("p1")).unwrap();
        let err = open_with(&r, &a, place("p2")).unwrap_err();
        assert_eq!(err, VaultError::DoesNotOpen("patients.given_name of row p2".into()));
        let other_column = Place {
            column: "family_name",
            ..place("p1")
        };
        assert!(matches!(
            open_with(&r, &a, other_column),
            Err(VaultError::DoesNotOpen(_))
        ));
        // One ciphertext byte changed (decoded, flipped, re-encoded): the tag check refuses it.
        let (head, body) = a.rsplit_once(':').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(body).unwrap();
        bytes[NONCE_BYTES + 1] ^= 0x01;
        let flipped = format!("{head}:{}", URL_SAFE_NO_PAD.encode(bytes));
        assert!(matches!(
            open_with(&r, &flipped, place("p1")),
            Err(VaultError::DoesNotOpen(_))
        ));
    }

    #[test]
    fn every_key_of_the_ring_opens_and_the_first_seals() {
        let old = ring(K1);
        let sealed_old = seal_with(old.current(), "1984-03-09", place("p1")).unwrap();
        let both = ring(&format!("{K2},{K1}"));
        assert_eq!(open_with(&both, &sealed_old, place("p1")).unwrap(), "1984-03-09");
        let sealed_new = seal_with(both.current(), "x", place("p1")).unwrap();
        assert_eq!(key_id(&sealed_new), Some("k2"));
        let err = open_with(&old, &sealed_new, place("p1")).unwrap_err();
        assert!(
            matches!(err, VaultError::UnknownKey { ref key, .. } if key == "k2"),
            "{err}"
        );
        // Same id, other key material: does not open.
        let impostor = ring(&K2.replace("k2:", "k1:"));
        assert!(matches!(
            open_with(&impostor, &sealed_old, place("p1")),
            Err(VaultError::DoesNotOpen(_))
        ));
    }

    #[test]
    fn clear_text_is_refused() {
        let r = ring(K1);
        assert_eq!(
            open_with(&r, "Ana", place("p1")).unwrap_err(),
            VaultError::NotSealed("patients.given_name of row p1".into())
        );
        assert_eq!(key_id("Ana"), None);
    }
}
