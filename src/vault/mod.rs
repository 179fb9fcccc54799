//! Encryption at rest of what patients wrote (SECURITY.md, "Encryption at rest").
//!
//! Every sealed value is AES-256-GCM under its own random 96-bit nonce, with associated data
//! naming its table, row and column: a value copied into another row or column does not open.
//! Stored as `enc:v1:{key id}:{base64url(nonce ‖ ciphertext ‖ tag)}`, so a reader knows which
//! key sealed it and `keys rotate` finds what is not yet under the current key.
//!
//! The key ring is process-wide, installed once at start from `DATA_KEYS` (like the allocator,
//! it is there before any connection is used), so the repositories that store patient data
//! seal and open values without every call path carrying it. Installing a different ring in the
//! same process is refused.
//!
//! What stays in clear is what the worklist filters and sorts on (status, pain types, flag
//! codes, dates, score totals) and the name index, which holds keyed hashes ([`names`]).

pub mod cipher;
pub mod keys;
pub mod names;
pub mod rekey;
pub mod sealed;

pub use cipher::{PREFIX, Place, VaultError, install, key_id, open, open_with, ring, seal, seal_with};
pub use keys::{DataKey, KeyRing};
