//! Schema migrations (embedded at build time, one directory per backend) and the report that
//! `bizzai migrate` prints.

use sqlx::Row;
use sqlx::migrate::Migrator;

use crate::db::{Backend, Db};
use crate::error::StoreError;

static SQLITE: Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES: Migrator = sqlx::migrate!("../../migrations/postgres");

/// What a migration run did and what the schema now holds.
#[derive(Debug, Clone)]
pub struct MigrationReport {
    /// Descriptions of the migrations applied by this run (empty when it changed nothing).
    pub applied: Vec<String>,
    /// Every application table with its indexes, in name order.
    pub tables: Vec<TableIndexes>,
}

#[derive(Debug, Clone)]
pub struct TableIndexes {
    pub table: String,
    pub indexes: Vec<String>,
}

impl MigrationReport {
    /// The report in the spirit of the original's `addIndexes.js`: a line per table, then a verdict.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for name in &self.applied {
            out.push_str(&format!("applied migration {name}\n"));
        }
        for t in &self.tables {
            out.push_str(&format!(
                "✓ {}: {}\n",
                t.table,
                if t.indexes.is_empty() {
                    "(primary key only)".to_owned()
                } else {
                    t.indexes.join(", ")
                }
            ));
        }
        if self.applied.is_empty() {
            out.push_str(&format!(
                "✅ Schema is up to date: {} tables, nothing to change.\n",
                self.tables.len()
            ));
        } else {
            out.push_str(&format!(
                "✅ Migrations applied successfully: {} new, {} tables with their indexes.\n",
                self.applied.len(),
                self.tables.len()
            ));
        }
        out
    }
}

fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

impl Db {
    /// Applies every pending migration (PostgreSQL takes an advisory lock, so concurrent
    /// instances starting together migrate once) and reports the result.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        let before = self.applied_versions().await?;
        migrator(self.backend())
            .run(self.writer())
            .await
            .map_err(|e| StoreError::Other(sqlx::Error::Migrate(Box::new(e))))?;
        let applied = migrator(self.backend())
            .iter()
            .filter(|m| !before.contains(&m.version))
            .map(|m| format!("{:04} {}", m.version, m.description))
            .collect();
        Ok(MigrationReport {
            applied,
            tables: self.table_indexes().await?,
        })
    }

    /// How many embedded migrations the database has not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, StoreError> {
        let applied = self.applied_versions().await?;
        Ok(migrator(self.backend())
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .count())
    }

    async fn applied_versions(&self) -> Result<Vec<i64>, StoreError> {
        let exists = match self.backend() {
            Backend::Sqlite => {
                sqlx::query("select count(*) from sqlite_master where type = 'table' and name = '_sqlx_migrations'")
                    .fetch_one(self.reader())
                    .await?
                    .try_get::<i64, _>(0)?
            }
            Backend::Postgres => {
                sqlx::query("select count(*) from information_schema.tables where table_schema = current_schema() and table_name = '_sqlx_migrations'")
                    .fetch_one(self.reader())
                    .await?
                    .try_get::<i64, _>(0)?
            }
        };
        if exists == 0 {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("select version from _sqlx_migrations where success = true")
            .fetch_all(self.reader())
            .await;
        // SQLite stores the flag as an integer; compare loosely there.
        let rows = match rows {
            Ok(rows) => rows,
            Err(_) => {
                sqlx::query("select version from _sqlx_migrations where success = 1")
                    .fetch_all(self.reader())
                    .await?
            }
        };
        rows.iter()
            .map(|r| r.try_get::<i64, _>(0).map_err(StoreError::from))
            .collect()
    }

    /// Application tables and their (non-automatic) indexes.
    pub async fn table_indexes(&self) -> Result<Vec<TableIndexes>, StoreError> {
        let rows = match self.backend() {
            Backend::Sqlite => {
                sqlx::query(
                    "select t.name, coalesce(i.name, '') from sqlite_master t \
                     left join sqlite_master i on i.type = 'index' and i.tbl_name = t.name and i.sql is not null \
                     where t.type = 'table' and t.name not like 'sqlite_%' and t.name not like '\\_sqlx%' escape '\\' \
                     order by t.name, i.name",
                )
                .fetch_all(self.reader())
                .await?
            }
            Backend::Postgres => {
                sqlx::query(
                    "select t.tablename::text, coalesce(i.indexname::text, '') from pg_tables t \
                     left join pg_indexes i on i.schemaname = t.schemaname and i.tablename = t.tablename \
                          and i.indexname not like '%\\_pkey' \
                     where t.schemaname = current_schema() and t.tablename not like '\\_sqlx%' \
                     order by t.tablename, i.indexname",
                )
                .fetch_all(self.reader())
                .await?
            }
        };
        let mut tables: Vec<TableIndexes> = Vec::new();
        for row in rows {
            let table: String = row.try_get(0)?;
            let index: String = row.try_get(1)?;
            if tables.last().map(|t| t.table != table).unwrap_or(true) {
                tables.push(TableIndexes {
                    table,
                    indexes: Vec::new(),
                });
            }
            if !index.is_empty()
                && let Some(t) = tables.last_mut()
            {
                t.indexes.push(index);
            }
        }
        Ok(tables)
    }
}
