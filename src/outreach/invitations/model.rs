//! An invitation's closed vocabularies and its token (pure).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::text::hex;

crate::wire_enum!(
    /// What the link opens.
    InvitationPurpose {
        Intake = "intake",
        Checkin = "checkin",
    }
);

crate::wire_enum!(
    /// How the link reaches the patient; `none`: staff hand it over themselves.
    InvitationChannel {
        Email = "email",
        Sms = "sms",
        None = "none",
    }
);

crate::wire_enum!(
    /// `pending → redeemed | expired | revoked`. `expired` is read from `expires_at`, never
    /// stored.
    InvitationStatus {
        Pending = "pending",
        Redeemed = "redeemed",
        Expired = "expired",
        Revoked = "revoked",
    }
);

/// Wrong dates of birth that revoke an invitation.
pub const MAX_FAILED_ATTEMPTS: i32 = 5;

/// A new link token: 256 bits from the operating system's generator, base64url.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// How a token is stored and looked up: its SHA-256 (a 256-bit random token needs no slow hash).
pub fn digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_only_as_digests() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert_eq!(URL_SAFE_NO_PAD.decode(&a).unwrap().len(), 32);
        assert_eq!(digest(&a).len(), 64);
        assert!(!digest(&a).contains(&a));
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
