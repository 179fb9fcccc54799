//! Invitation tokens wait in the outbox sealed (AES-256-GCM, a maintained AEAD crate), never in
//! clear: the database holds a token only as its hash and, until the message is sent, as this
//! ciphertext bound to its message. Sending scrubs it.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

const NONCE_BYTES: usize = 12;

/// Seals and opens values for the outbox with a key derived from the server secret (every
/// instance shares it, so any instance's worker can send any message).
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    pub fn new(server_secret: &[u8]) -> Self {
        // HMAC-SHA256 as the key derivation (HKDF's extract step), with a label of its own so
        // this key is no other use's key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(server_secret)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"intake-api outbox seal v1");
        let key = mac.finalize().into_bytes();
        Self {
            cipher: Aes256Gcm::new(&key),
        }
    }

    /// `value` encrypted under a fresh random nonce, bound to `context` (the message id): a
    /// sealed value copied into another message does not open.
    pub fn seal(&self, value: &str, context: &str) -> Result<String, String> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|e| format!("random: {e}"))?;
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| "seal failed".to_owned())?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(URL_SAFE_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<String, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(sealed)
            .map_err(|_| "sealed value is not base64url".to_owned())?;
        if bytes.len() <= NONCE_BYTES {
            return Err("sealed value is too short".into());
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| "sealed value is too short".to_owned())?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| "sealed value does not open with this server's key".to_owned())?;
        String::from_utf8(plain).map_err(|_| "sealed value is not text".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_with_its_key_and_its_message() {
        let sealer = Sealer::new(b"server-secret-server-secret-0123456789");
        let sealed = sealer.seal("tok_abc", "message-1").unwrap();
        assert!(!sealed.contains("tok_abc"));
        assert_eq!(sealer.open(&sealed, "message-1").unwrap(), "tok_abc");
        // Another message's id, another key, or one flipped bit: nothing opens.
        assert!(sealer.open(&sealed, "message-2").is_err());
        let other = Sealer::new(b"another-secret-another-secret-0123456");
        assert!(other.open(&sealed, "message-1").is_err());
        let mut bytes = URL_SAFE_NO_PAD.decode(&sealed).unwrap();
        bytes[NONCE_BYTES] ^= 1;
        assert!(sealer.open(&URL_SAFE_NO_PAD.encode(bytes), "message-1").is_err());
        // A fresh nonce each time.
        assert_ne!(sealer.seal("tok_abc", "message-1").unwrap(), sealed);
    }
}
