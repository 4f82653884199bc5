//! JSON shapes of the account as the frontend stores and reads it.

use serde::Serialize;
use store::users::UserRow;

/// The account without secrets. Login and register flatten this next to the tokens.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserJson {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    pub email: String,
    pub shop_name: String,
    pub gst_number: String,
    pub shop_address: String,
    pub phone: String,
    pub role: String,
    pub timezone: String,
    pub created_at: String,
    pub updated_at: String,
}

pub fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl From<&UserRow> for UserJson {
    fn from(u: &UserRow) -> Self {
        UserJson {
            id: u.id.clone(),
            name: u.name.clone(),
            email: u.email.clone(),
            shop_name: u.shop_name.clone(),
            gst_number: u.gst_number.clone(),
            shop_address: u.shop_address.clone(),
            phone: u.phone.clone(),
            role: u.role.clone(),
            timezone: u.timezone.clone(),
            created_at: iso(u.created_at),
            updated_at: iso(u.updated_at),
        }
    }
}

/// `{...user, token, refreshToken}`: what login and register answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginJson {
    #[serde(flatten)]
    pub user: UserJson,
    pub token: String,
    pub refresh_token: String,
}

/// `{token, accessToken, refreshToken, user}`: what refresh answers.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RefreshJson {
    pub token: String,
    pub access_token: String,
    pub refresh_token: String,
    pub user: UserJson,
}
