//! Bearer tokens: HS256 tokens this service issues, and optionally tokens from the clinic's
//! identity provider verified with its public key (RS256, ES256 or EdDSA, chosen by the key).
//!
//! Validation is strict: the algorithm is pinned per key, issuer, audience and expiry are
//! required (30 s leeway for clock skew). Every failure is the same 401 to the client.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::domain::Role;
use crate::config::{ExternalIdp, JwtSettings};
use crate::error::ApiError;
use crate::ids::{SessionId, UserId};

/// How long the token between a password and a second factor lasts.
const MFA_PENDING_SECS: i64 = 300;

const LEEWAY_SECS: u64 = 30;

/// The `typ` of access tokens (RFC 9068): a token of another kind is never one.
pub const ACCESS_TYP: &str = "at+jwt";
/// The `typ` of the short token between a password and a second factor: only
/// `POST /auth/mfa/verify` takes it.
pub const MFA_TYP: &str = "mfa+jwt";

/// Claims of the tokens this service issues.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    /// The user's token version at issue; a disable or a role change increments it, and tokens
    /// with an older one are refused. (Tokens from before it existed read as 0.)
    #[serde(default)]
    pub ver: i64,
    /// The sign-in session (absent for tokens issued outside one, e.g. by tooling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
}

/// Who a valid token says the caller is. The user row is checked on every request afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A user of this service, with the token version the token was issued under and its
    /// sign-in session.
    Local {
        user_id: UserId,
        version: i64,
        session: Option<SessionId>,
    },
    /// A user of the clinic's identity provider, keyed by `issuer|subject`.
    External {
        subject: String,
        role: Role,
        email: Option<String>,
        name: Option<String>,
        /// `iat`, when the provider set it.
        issued_at: Option<i64>,
        /// `amr` (RFC 8176 authentication methods, e.g. `pwd`, `otp`, `hwk`), space-separated.
        amr: Option<String>,
    },
}

struct ExternalVerifier {
    key: DecodingKey,
    validation: Validation,
    role_claim: String,
}

/// Keys and validation rules, built once at start.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_secs: i64,
    external: Option<ExternalVerifier>,
}

/// An issued access token.
pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: i64,
}

impl TokenService {
    pub fn new(settings: &JwtSettings, secret: &[u8]) -> anyhow::Result<Self> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        // A token that is not valid yet is refused like an expired one (RFC 7519 §4.1.5).
        validation.validate_nbf = true;
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "iss", "aud"]);
        let external = settings.external.as_ref().map(external_verifier).transpose()?;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            ttl_secs: settings.ttl.as_secs() as i64,
            external,
        })
    }

    /// An access token for the user at `version` (their current token version), in `session`.
    pub fn issue(
        &self,
        user_id: UserId,
        role: Role,
        version: i64,
        session: Option<SessionId>,
    ) -> Result<IssuedToken, ApiError> {
        self.sign(ACCESS_TYP, user_id, role, version, session, self.ttl_secs)
    }

    /// An access token that lives `ttl_secs` instead of `JWT_TTL_SECONDS` (an invitation's
    /// session, which has no refresh token to renew it).
    pub fn issue_for(
        &self,
        user_id: UserId,
        role: Role,
        version: i64,
        session: SessionId,
        ttl_secs: i64,
    ) -> Result<IssuedToken, ApiError> {
        self.sign(ACCESS_TYP, user_id, role, version, Some(session), ttl_secs)
    }

    /// The short token a user with a second factor gets for their password, to exchange with a
    /// code at `POST /auth/mfa/verify`; it is no access token.
    pub fn issue_mfa_pending(&self, user_id: UserId, role: Role, version: i64) -> Result<IssuedToken, ApiError> {
        self.sign(MFA_TYP, user_id, role, version, None, MFA_PENDING_SECS)
    }

    fn sign(
        &self,
        typ: &str,
        user_id: UserId,
        role: Role,
        version: i64,
        session: Option<SessionId>,
        ttl_secs: i64,
    ) -> Result<IssuedToken, ApiError> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            role: role.as_str().into(),
            ver: version,
            sid: session.map(|s| s.to_string()),
            iat: now,
            exp: now + ttl_secs,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::new_v4().to_string(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(typ.to_owned());
        let access_token = encode(&header, &claims, &self.encoding).map_err(ApiError::internal)?;
        Ok(IssuedToken {
            access_token,
            expires_in: ttl_secs,
        })
    }

    /// Verifies an MFA-pending token: the user and the token version it was issued under.
    pub fn verify_mfa_pending(&self, token: &str) -> Result<(UserId, i64), ApiError> {
        let claims = self.local_claims(token, MFA_TYP)?;
        let user_id = Uuid::parse_str(&claims.sub).map_err(|_| ApiError::Unauthenticated)?;
        Ok((user_id.into(), claims.ver))
    }

    /// This service's token of kind `typ`: signature, issuer, audience, expiry, `nbf`.
    fn local_claims(&self, token: &str, typ: &str) -> Result<Claims, ApiError> {
        let header = decode_header(token).map_err(|_| ApiError::Unauthenticated)?;
        if header.alg != Algorithm::HS256 || header.typ.as_deref() != Some(typ) {
            return Err(ApiError::Unauthenticated);
        }
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| ApiError::Unauthenticated)
    }

    /// Verifies a bearer token. `alg: none`, a wrong key, issuer or audience, an expired token:
    /// all `Unauthenticated`.
    pub fn verify(&self, token: &str) -> Result<Identity, ApiError> {
        let header = decode_header(token).map_err(|_| ApiError::Unauthenticated)?;
        if header.alg == Algorithm::HS256 {
            // Ours: an access token only (an MFA-pending token is not one).
            let claims = self.local_claims(token, ACCESS_TYP)?;
            let user_id = Uuid::parse_str(&claims.sub).map_err(|_| ApiError::Unauthenticated)?;
            let session = claims
                .sid
                .as_deref()
                .map(|s| Uuid::parse_str(s).map(SessionId::from))
                .transpose()
                .map_err(|_| ApiError::Unauthenticated)?;
            return Ok(Identity::Local {
                user_id: user_id.into(),
                version: claims.ver,
                session,
            });
        }
        let ext = self.external.as_ref().ok_or(ApiError::Unauthenticated)?;
        let data = decode::<serde_json::Map<String, serde_json::Value>>(token, &ext.key, &ext.validation)
            .map_err(|_| ApiError::Unauthenticated)?;
        let claims = data.claims;
        let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let (iss, sub) = (
            text("iss").ok_or(ApiError::Unauthenticated)?,
            text("sub").ok_or(ApiError::Unauthenticated)?,
        );
        let role = text(&ext.role_claim)
            .as_deref()
            .and_then(Role::parse)
            .ok_or(ApiError::Unauthenticated)?;
        if sub.is_empty() || sub.len() > 255 {
            return Err(ApiError::Unauthenticated);
        }
        Ok(Identity::External {
            subject: format!("{iss}|{sub}"),
            role,
            email: text("email"),
            name: text("name"),
            issued_at: claims.get("iat").and_then(|v| v.as_i64()),
            amr: claims.get("amr").and_then(|v| v.as_array()).map(|methods| {
                methods
                    .iter()
                    .filter_map(|m| m.as_str())
                    .filter(|m| !m.is_empty() && m.len() <= 32 && m.chars().all(|c| c.is_ascii_graphic()))
                    .take(8)
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
        })
    }
}

/// The key type decides the one algorithm accepted with it.
fn external_verifier(idp: &ExternalIdp) -> anyhow::Result<ExternalVerifier> {
    let pem = idp.public_key_pem.as_bytes();
    let (key, alg) = if let Ok(k) = DecodingKey::from_ed_pem(pem) {
        (k, Algorithm::EdDSA)
    } else if let Ok(k) = DecodingKey::from_ec_pem(pem) {
        (k, Algorithm::ES256)
    } else if let Ok(k) = DecodingKey::from_rsa_pem(pem) {
        (k, Algorithm::RS256)
    } else {
        anyhow::bail!("JWT_EXTERNAL_PUBLIC_KEY: not an RSA, EC P-256 or Ed25519 public key in PEM form");
    };
    let mut validation = Validation::new(alg);
    validation.leeway = LEEWAY_SECS;
    validation.validate_nbf = true;
    validation.set_issuer(&[&idp.issuer]);
    validation.set_audience(&[&idp.audience]);
    validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
    Ok(ExternalVerifier {
        key,
        validation,
        role_claim: idp.role_claim.clone(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const SECRET: &[u8] = b"unit-test-secret-unit-test-secret-0123";

    fn settings() -> JwtSettings {
        JwtSettings {
            secret: String::new().into(),
            issuer: "intake-api".into(),
            audience: "intake-api".into(),
            ttl: Duration::from_secs(600),
            refresh_ttl: Duration::from_secs(86_400),
            refresh_idle: Duration::from_secs(3_600),
            external: None,
        }
    }

    fn access_header() -> Header {
        let mut header = Header::new(Algorithm::HS256);
        header.typ = Some(ACCESS_TYP.into());
        header
    }

    fn forge(claims: &Claims, secret: &[u8]) -> String {
        encode(&access_header(), claims, &EncodingKey::from_secret(secret)).unwrap()
    }

    fn claims(user: UserId) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: user.to_string(),
            role: "patient".into(),
            ver: 0,
            sid: None,
            iat: now,
            exp: now + 600,
            iss: "intake-api".into(),
            aud: "intake-api".into(),
            jti: "j".into(),
        }
    }

    #[test]
    fn issued_tokens_verify() {
        let svc = TokenService::new(&settings(), SECRET).unwrap();
        let user = UserId::new();
        let session = SessionId::new();
        let t = svc.issue(user, Role::Clinician, 3, Some(session)).unwrap();
        assert_eq!(t.expires_in, 600);
        assert_eq!(
            svc.verify(&t.access_token).unwrap(),
            Identity::Local {
                user_id: user,
                version: 3,
                session: Some(session)
            }
        );
        // The token between a password and a second factor is no access token, and the other
        // way round.
        let pending = svc.issue_mfa_pending(user, Role::Clinician, 3).unwrap();
        assert!(matches!(
            svc.verify(&pending.access_token),
            Err(ApiError::Unauthenticated)
        ));
        assert_eq!(svc.verify_mfa_pending(&pending.access_token).unwrap(), (user, 3));
        assert!(svc.verify_mfa_pending(&t.access_token).is_err());
    }

    #[test]
    fn a_token_not_valid_yet_is_refused() {
        let svc = TokenService::new(&settings(), SECRET).unwrap();
        let user = UserId::new();
        let now = chrono::Utc::now().timestamp();
        let with_nbf = |nbf: i64| {
            let mut claims = serde_json::to_value(claims(user)).unwrap();
            claims["nbf"] = serde_json::json!(nbf);
            encode(&access_header(), &claims, &EncodingKey::from_secret(SECRET)).unwrap()
        };
        assert!(matches!(
            svc.verify(&with_nbf(now + 600)),
            Err(ApiError::Unauthenticated)
        ));
        assert_eq!(
            svc.verify(&with_nbf(now - 10)).unwrap(),
            Identity::Local {
                user_id: user,
                version: 0,
                session: None
            }
        );
    }

    #[test]
    fn rejects_wrong_key_issuer_audience_expiry_and_alg_none() {
        let svc = TokenService::new(&settings(), SECRET).unwrap();
        let user = UserId::new();
        let unauth = |t: &str| matches!(svc.verify(t), Err(ApiError::Unauthenticated));
        assert!(unauth(&forge(&claims(user), b"another-secret-another-secret-0123456")));
        assert!(unauth(&forge(
            &Claims {
                iss: "evil".into(),
                ..claims(user)
            },
            SECRET
        )));
        assert!(unauth(&forge(
            &Claims {
                aud: "other".into(),
                ..claims(user)
            },
            SECRET
        )));
        let past = chrono::Utc::now().timestamp() - 120;
        assert!(unauth(&forge(
            &Claims {
                exp: past,
                iat: past - 600,
                ..claims(user)
            },
            SECRET
        )));
        // Inside the 30 s leeway an expired token still passes (clock skew).
        let just = chrono::Utc::now().timestamp() - 10;
        assert!(!unauth(&forge(
            &Claims {
                exp: just,
                ..claims(user)
            },
            SECRET
        )));

        use base64::Engine;
        let b64 = |v: &serde_json::Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let none = format!(
            "{}.{}.",
            b64(&serde_json::json!({"alg": "none", "typ": "JWT"})),
            b64(&serde_json::to_value(claims(user)).unwrap())
        );
        assert!(unauth(&none));
        assert!(unauth("not.a.token"));
        // An RS256 token when no external key is configured.
        let rs = format!(
            "{}.{}.sig",
            b64(&serde_json::json!({"alg": "RS256"})),
            b64(&serde_json::to_value(claims(user)).unwrap())
        );
        assert!(unauth(&rs));
    }
}
