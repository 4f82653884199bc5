//! Per-shop document counters (`INV-00001`, `RET-00001`, `SO-00001`): taken in the document's own
//! transaction, so numbers are unique and gap-free for committed documents and never reused.

use sqlx::AnyConnection;

use crate::error::StoreError;

/// The next value of the shop's counter `name` (1 for the first). The row stays locked until the
/// transaction ends, which is what makes concurrent documents take consecutive numbers.
pub async fn next(
    conn: &mut AnyConnection,
    tenant_id: &str,
    name: &str,
) -> Result<i64, StoreError> {
    let (value,): (i64,) = sqlx::query_as(
        "insert into counters (tenant_id, name, value) values ($1, $2, 1) \
         on conflict (tenant_id, name) do update set value = counters.value + 1 returning value",
    )
    .bind(tenant_id)
    .bind(name)
    .fetch_one(conn)
    .await?;
    Ok(value)
}

/// `INV-00001`: the prefix and the number zero-padded to five digits (more digits past 99,999).
pub fn document_number(prefix: &str, value: i64) -> String {
    format!("{prefix}-{value:05}")
}
