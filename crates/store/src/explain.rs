//! Query plans, so tests can prove that hot queries use indexes.

use sqlx::Row;

use crate::db::{Backend, Db};
use crate::error::StoreError;

impl Db {
    /// The plan of `sql` (with `$n` placeholders bound to `binds`) as lines of text:
    /// `EXPLAIN QUERY PLAN` details on SQLite, `EXPLAIN` lines on PostgreSQL.
    pub async fn explain(&self, sql: &str, binds: &[&str]) -> Result<Vec<String>, StoreError> {
        let text = match self.backend() {
            Backend::Sqlite => format!("explain query plan {sql}"),
            Backend::Postgres => format!("explain {sql}"),
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(text));
        for b in binds {
            query = query.bind(b.to_string());
        }
        let rows = query.fetch_all(self.reader()).await?;
        let column = match self.backend() {
            Backend::Sqlite => 3,
            Backend::Postgres => 0,
        };
        rows.iter()
            .map(|r| r.try_get::<String, _>(column).map_err(StoreError::from))
            .collect()
    }
}
