//! Generated development secrets shared through the database (PostgreSQL deployments with
//! several instances must all sign with the same key).

use sqlx::Row;

use crate::db::Db;
use crate::error::StoreError;

impl Db {
    /// Returns the stored secret `name`, storing `candidate` first if there is none yet. Two
    /// instances racing here both end up with whichever value was inserted first.
    pub async fn shared_secret(
        &self,
        name: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        sqlx::query("insert into app_secrets (name, value, created_at) values ($1, $2, $3) on conflict (name) do nothing")
            .bind(name)
            .bind(candidate)
            .bind(now)
            .execute(self.writer())
            .await?;
        let row = sqlx::query("select value from app_secrets where name = $1")
            .bind(name)
            .fetch_one(self.writer())
            .await?;
        Ok(row.try_get(0)?)
    }
}
