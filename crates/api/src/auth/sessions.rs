//! Starting sessions and minting the tokens that name them.

use axum::http::HeaderMap;
use domain::ObjectId;
use sha2::{Digest, Sha256};
use store::Tx;
use store::sessions::NewSession;

use crate::auth::jwt::Claims;
use crate::error::ApiError;
use crate::state::AppState;

/// A new opaque refresh token (what the client holds) and its hash (what the database holds).
pub fn new_refresh_token() -> (String, String) {
    let bytes: [u8; 32] = rand::random();
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 hex of a token: refresh and reset tokens are 256-bit random, so a fast hash suffices.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn access_token(
    state: &AppState,
    user_id: &str,
    session_id: &str,
    now_ms: i64,
) -> Result<String, ApiError> {
    let iat = now_ms / 1000;
    let claims = Claims {
        id: user_id.to_owned(),
        sid: session_id.to_owned(),
        iat,
        exp: iat + state.settings.access_token_ttl.as_secs() as i64,
    };
    state.keys.sign(&claims).map_err(ApiError::internal)
}

/// Tokens of a session just started.
pub struct Started {
    pub access_token: String,
    pub refresh_token: String,
}

/// Where a login comes from, recorded on its session.
pub struct Origin<'a> {
    pub device_id: &'a str,
    pub ip: String,
    pub user_agent: String,
}

impl<'a> Origin<'a> {
    pub fn new(device_id: &'a str, ip: std::net::IpAddr, headers: &HeaderMap) -> Origin<'a> {
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(256)
            .collect();
        Origin {
            device_id,
            ip: ip.to_string(),
            user_agent,
        }
    }
}

/// Inserts a session with its first refresh token inside `tx`.
pub async fn start(
    state: &AppState,
    tx: &mut Tx,
    user_id: &str,
    origin: &Origin<'_>,
    now: i64,
) -> Result<Started, ApiError> {
    let session_id = ObjectId::new().to_hex();
    let (refresh_token, refresh_hash) = new_refresh_token();
    let expires_at = now + state.settings.refresh_token_ttl.as_millis() as i64;
    store::sessions::create(
        tx,
        &NewSession {
            id: &session_id,
            user_id,
            device_id: origin.device_id,
            user_agent: &origin.user_agent,
            ip: &origin.ip,
            refresh_token_id: &ObjectId::new().to_hex(),
            refresh_token_hash: &refresh_hash,
            now,
            expires_at,
        },
    )
    .await?;
    Ok(Started {
        access_token: access_token(state, user_id, &session_id, now)?,
        refresh_token,
    })
}
