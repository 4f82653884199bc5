//! Development secrets: generated once and kept, so restarts keep sessions valid.
//!
//! SQLite deployments keep them in files (mode 0600) under `DATA_DIR/secrets`; PostgreSQL ones in
//! the database, so every instance signs with the same key. Production never gets here: its
//! configuration refuses to start without strong secrets.

use std::io::Write;
use std::path::Path;

use api::settings::Secret;
use store::Db;

fn random_secret() -> String {
    let bytes: [u8; 48] = rand::random();
    hex::encode(bytes)
}

/// Returns `configured`, or the kept secret `name`, generating it on first use.
pub async fn resolve(
    configured: &Option<Secret>,
    name: &str,
    db: &Db,
    data_dir: &Path,
    postgres: bool,
) -> anyhow::Result<Secret> {
    if let Some(secret) = configured {
        return Ok(secret.clone());
    }
    let value = if postgres {
        db.shared_secret(name, &random_secret(), store::now_ms())
            .await?
    } else {
        from_file(&data_dir.join("secrets").join(name))?
    };
    tracing::warn!(
        secret = name,
        "{} is not set: using a generated development secret",
        name.to_uppercase()
    );
    Ok(Secret::new(value))
}

fn from_file(path: &Path) -> anyhow::Result<String> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= 32 {
            return Ok(existing);
        }
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let value = random_secret();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(value.as_bytes())?;
    file.sync_all()?;
    Ok(value)
}
