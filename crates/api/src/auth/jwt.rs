//! Access tokens: HS256 JWTs naming the user and the server-side session.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Claims of an access token. `id` keeps the original's claim name for the user id.
#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub id: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signing keys, derived once from the configured secrets.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lenient: Validation,
    pub cookie_key: Vec<u8>,
}

impl TokenKeys {
    pub fn new(jwt_secret: &str, cookie_secret: &str) -> anyhow::Result<TokenKeys> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        let mut lenient = validation.clone();
        lenient.validate_exp = false;
        Ok(TokenKeys {
            encoding: EncodingKey::from_secret(jwt_secret.as_bytes())?,
            decoding: DecodingKey::from_secret(jwt_secret.as_bytes())?,
            validation,
            lenient,
            cookie_key: cookie_secret.as_bytes().to_vec(),
        })
    }

    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &self.encoding,
        )?)
    }

    /// Verifies signature and expiry.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
    }

    /// Verifies the signature only: logging out with an expired token still ends its session.
    pub fn verify_ignoring_expiry(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.lenient)
            .ok()
            .map(|d| d.claims)
    }
}
