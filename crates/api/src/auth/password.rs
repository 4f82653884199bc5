//! Password hashing with argon2id on a blocking pool bounded by the CPU count, so a login storm
//! queues instead of exhausting memory (each hash takes ~19 MiB). bcrypt hashes imported from the
//! original are verified and reported for an upgrade.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::settings::HashCost;

#[derive(Clone)]
pub struct PasswordHasher {
    argon: Arc<Argon2<'static>>,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified for unknown e-mails so they take as long as known ones.
    dummy: Arc<String>,
}

/// Outcome of checking a password.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Match,
    /// Correct, but stored with bcrypt: the caller should store the given argon2id hash instead.
    MatchNeedsUpgrade(String),
    Mismatch,
}

impl PasswordHasher {
    pub fn new(cost: HashCost) -> anyhow::Result<PasswordHasher> {
        let params = Params::new(cost.memory_kib, cost.iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let cpus = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let random: [u8; 16] = rand::random();
        let dummy = argon
            .hash_password(&random)
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
            .to_string();
        Ok(PasswordHasher {
            argon: Arc::new(argon),
            permits: Arc::new(Semaphore::new(cpus)),
            dummy: Arc::new(dummy),
        })
    }

    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        // The permit moves into the blocking task: a request that goes away does not free a slot
        // while its hash is still being computed.
        let permit = self.permits.clone().acquire_owned().await?;
        let argon = self.argon.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            argon
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("argon2: {e}"))
        })
        .await?
    }

    /// Checks `password` against `stored` (argon2 PHC string or bcrypt `$2a$/$2b$/$2y$`).
    /// `None` verifies against a dummy hash and always mismatches, for unknown accounts.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<Verdict> {
        let permit = self.permits.clone().acquire_owned().await?;
        let argon = self.argon.clone();
        let password = password.to_owned();
        let known = stored.is_some();
        let stored = stored
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy.as_ref().clone());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            if stored.starts_with("$2") {
                return match bcrypt::verify(password.as_bytes(), &stored) {
                    Ok(true) => {
                        let upgraded = argon
                            .hash_password(password.as_bytes())
                            .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
                            .to_string();
                        Ok(Verdict::MatchNeedsUpgrade(upgraded))
                    }
                    _ => Ok(Verdict::Mismatch),
                };
            }
            let ok = argon
                .verify_password(password.as_bytes(), stored.as_str())
                .is_ok();
            Ok(if ok && known {
                Verdict::Match
            } else {
                Verdict::Mismatch
            })
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn argon2_and_bcrypt_hashes_verify() {
        let h = PasswordHasher::new(HashCost::TESTING).unwrap();
        let stored = h.hash("Secret#123").await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert_eq!(
            h.verify("Secret#123", Some(&stored)).await.unwrap(),
            Verdict::Match
        );
        assert_eq!(
            h.verify("wrong", Some(&stored)).await.unwrap(),
            Verdict::Mismatch
        );
        let legacy = bcrypt::hash("Secret#123", 4).unwrap();
        assert!(matches!(
            h.verify("Secret#123", Some(&legacy)).await.unwrap(),
            Verdict::MatchNeedsUpgrade(_)
        ));
        assert_eq!(
            h.verify("wrong", Some(&legacy)).await.unwrap(),
            Verdict::Mismatch
        );
        assert_eq!(h.verify("anything", None).await.unwrap(), Verdict::Mismatch);
    }
}
