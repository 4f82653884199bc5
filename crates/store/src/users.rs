//! Shop accounts. A user is a shop and the tenant of everything it creates.

use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;

/// A stored account (the password hash never leaves the server).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub phone: String,
    pub shop_name: String,
    pub gst_number: String,
    pub shop_address: String,
    pub timezone: String,
    pub role: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A new account to insert.
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub email_key: &'a str,
    pub name: &'a str,
    pub password_hash: &'a str,
    pub phone: &'a str,
    pub shop_name: &'a str,
    pub timezone: &'a str,
    pub now: i64,
}

/// Inserts an account; a live account with the same e-mail key is a `Unique` error.
pub async fn insert(conn: &mut AnyConnection, u: &NewUser<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "insert into users (id, email, email_key, name, password_hash, phone, shop_name, timezone, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(u.id)
    .bind(u.email)
    .bind(u.email_key)
    .bind(u.name)
    .bind(u.password_hash)
    .bind(u.phone)
    .bind(u.shop_name)
    .bind(u.timezone)
    .bind(u.now)
    .execute(conn)
    .await?;
    Ok(())
}

/// The live account with this e-mail key.
pub async fn find_by_email_key(
    pool: &AnyPool,
    email_key: &str,
) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query_as::<_, UserRow>(
        "select u.id, u.email, u.name, u.password_hash, u.phone, u.shop_name, u.gst_number, u.shop_address, \
         u.timezone, u.role, u.created_at, u.updated_at from users u where u.email_key = $1 and u.deleted_at is null",
    )
    .bind(email_key)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// Whether another live account (not `except_id`) uses this e-mail key.
pub async fn email_taken_by_other(
    conn: &mut AnyConnection,
    email_key: &str,
    except_id: &str,
) -> Result<bool, StoreError> {
    let found: Option<(String,)> = sqlx::query_as(
        "select id from users where email_key = $1 and deleted_at is null and id <> $2",
    )
    .bind(email_key)
    .bind(except_id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Profile fields a shop may change about itself. `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub email: Option<(String, String)>,
    pub phone: Option<String>,
    pub shop_name: Option<String>,
    pub gst_number: Option<String>,
    pub shop_address: Option<String>,
    pub timezone: Option<String>,
}

/// Applies a profile update and returns the account as it is now.
pub async fn update_profile(
    conn: &mut AnyConnection,
    id: &str,
    p: &ProfileUpdate,
    now: i64,
) -> Result<Option<UserRow>, StoreError> {
    let (email, email_key) = match &p.email {
        Some((e, k)) => (Some(e.as_str()), Some(k.as_str())),
        None => (None, None),
    };
    let row = sqlx::query_as::<_, UserRow>(
        "update users set \
            name = coalesce($2, name), email = coalesce($3, email), email_key = coalesce($4, email_key), \
            phone = coalesce($5, phone), shop_name = coalesce($6, shop_name), gst_number = coalesce($7, gst_number), \
            shop_address = coalesce($8, shop_address), timezone = coalesce($9, timezone), updated_at = $10 \
         where id = $1 and deleted_at is null \
         returning id, email, name, password_hash, phone, shop_name, gst_number, shop_address, timezone, role, created_at, updated_at",
    )
    .bind(id)
    .bind(p.name.as_deref())
    .bind(email)
    .bind(email_key)
    .bind(p.phone.as_deref())
    .bind(p.shop_name.as_deref())
    .bind(p.gst_number.as_deref())
    .bind(p.shop_address.as_deref())
    .bind(p.timezone.as_deref())
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row)
}

/// Replaces the password hash (argon2id upgrade at login, password reset).
pub async fn set_password_hash(
    conn: &mut AnyConnection,
    id: &str,
    hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("update users set password_hash = $2, updated_at = $3 where id = $1")
        .bind(id)
        .bind(hash)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Hides an account: it can no longer log in and its e-mail is free again. Its documents stay.
pub async fn soft_delete(conn: &mut AnyConnection, id: &str, now: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "update users set deleted_at = $2, updated_at = $2 where id = $1 and deleted_at is null",
    )
    .bind(id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The live account with this id.
pub async fn find_live(conn: &mut AnyConnection, id: &str) -> Result<Option<UserRow>, StoreError> {
    let row = sqlx::query_as::<_, UserRow>(
        "select id, email, name, password_hash, phone, shop_name, gst_number, shop_address, timezone, role, \
         created_at, updated_at from users where id = $1 and deleted_at is null",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row)
}
