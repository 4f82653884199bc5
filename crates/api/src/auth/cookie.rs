//! The `deviceId` cookie: identifies a browser for `SINGLE_DEVICE_SESSIONS` (it never
//! authenticates anything). Signed with `COOKIE_SECRET` so a client cannot pick another device's id.

use axum::http::HeaderMap;
use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::settings::{SameSite, Settings};

pub const NAME: &str = "deviceId";

fn signature(key: &[u8], device_id: &str) -> String {
    let mut mac =
        hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(device_id.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The verified device id sent by the browser, if any.
pub fn read(headers: &HeaderMap, key: &[u8]) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == NAME)
        .find_map(|(_, value)| {
            let (id, sig) = value.split_once('.')?;
            (id.len() == 64 && signature(key, id) == sig).then(|| id.to_owned())
        })
}

fn attributes(settings: &Settings) -> String {
    let same_site = match settings.cookie_same_site {
        SameSite::Strict => "Strict",
        SameSite::Lax => "Lax",
        SameSite::None => "None",
    };
    // SameSite=None is only honoured by browsers together with Secure.
    let secure = settings.production || settings.cookie_same_site == SameSite::None;
    format!(
        "Path=/; HttpOnly; SameSite={same_site}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value that stores `device_id` for the refresh-token lifetime.
pub fn set(settings: &Settings, key: &[u8], device_id: &str) -> String {
    format!(
        "{NAME}={device_id}.{}; Max-Age={}; {}",
        signature(key, device_id),
        settings.refresh_token_ttl.as_secs(),
        attributes(settings)
    )
}

/// `Set-Cookie` value that removes the cookie.
pub fn clear(settings: &Settings) -> String {
    format!("{NAME}=; Max-Age=0; {}", attributes(settings))
}

/// A new random device id (64 hex characters, like the original's).
pub fn new_device_id() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}
