//! Rendered invoice PDFs, one per invoice version, tenant-scoped.

use sqlx::AnyConnection;

use crate::error::StoreError;

/// The PDF of this version of the shop's invoice, if rendered.
pub async fn get(
    conn: &mut AnyConnection,
    tenant_id: &str,
    invoice_id: &str,
    version: i64,
) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as(
        "select content from invoice_pdfs where invoice_id = $1 and version = $2 and tenant_id = $3",
    )
    .bind(invoice_id)
    .bind(version)
    .bind(tenant_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(c,)| c))
}

/// Stores a rendered version (a second render of the same version keeps the first).
pub async fn put(
    conn: &mut AnyConnection,
    tenant_id: &str,
    invoice_id: &str,
    version: i64,
    content: &[u8],
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into invoice_pdfs (tenant_id, invoice_id, version, content, created_at) values ($1, $2, $3, $4, $5) \
         on conflict (invoice_id, version) do nothing",
    )
    .bind(tenant_id)
    .bind(invoice_id)
    .bind(version)
    .bind(content.to_vec())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
