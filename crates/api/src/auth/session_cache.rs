//! An in-process cache of live sessions, so an authenticated request needs no database read.
//!
//! Exact, not eventually consistent: every change of a session or an account in this process
//! calls [`SessionCache::forget_user`] after its transaction commits and before its response is
//! sent, and a fill that raced with such a change is discarded (epoch check under one mutex). It
//! is enabled only where this process is the only server of its database: SQLite, whose server
//! holds a lock file so a second `serve` on the same file refuses to start. On PostgreSQL, with
//! possibly several instances, every request reads its session from the database.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use moka::sync::Cache;
use store::users::UserRow;

#[derive(Clone)]
struct Entry {
    /// Shared, so a hit costs a reference count, not a copy of the account.
    user: Arc<UserRow>,
    expires_at: i64,
}

#[derive(Clone)]
pub struct SessionCache {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    entries: Cache<String, Entry>,
    /// Guards fills against concurrent invalidation; the epoch counts invalidations.
    epoch: Mutex<u64>,
}

/// A ticket taken before reading the database; a fill with an outdated ticket is dropped.
pub struct Ticket(u64);

impl SessionCache {
    pub fn disabled() -> SessionCache {
        SessionCache { inner: None }
    }

    pub fn enabled() -> SessionCache {
        let entries = Cache::builder()
            .max_capacity(100_000)
            .time_to_idle(Duration::from_secs(15 * 60))
            .support_invalidation_closures()
            .build();
        SessionCache {
            inner: Some(Arc::new(Inner {
                entries,
                epoch: Mutex::new(0),
            })),
        }
    }

    /// The cached account of live session `session_id` of `user_id`, if known and unexpired.
    pub fn get(&self, session_id: &str, user_id: &str, now: i64) -> Option<Arc<UserRow>> {
        let inner = self.inner.as_ref()?;
        let entry = inner.entries.get(session_id)?;
        (entry.user.id == user_id && entry.expires_at > now).then_some(entry.user)
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(
            self.inner
                .as_ref()
                .and_then(|i| i.epoch.lock().ok().map(|e| *e))
                .unwrap_or(0),
        )
    }

    /// Remembers a session read from the database under `ticket`.
    pub fn fill(&self, ticket: Ticket, session_id: &str, user: Arc<UserRow>, expires_at: i64) {
        let Some(inner) = &self.inner else { return };
        let Ok(epoch) = inner.epoch.lock() else {
            return;
        };
        if *epoch == ticket.0 {
            inner
                .entries
                .insert(session_id.to_owned(), Entry { user, expires_at });
        }
    }

    /// Drops every cached session of `user_id` (after a revocation or an account change).
    pub fn forget_user(&self, user_id: &str) {
        let Some(inner) = &self.inner else { return };
        let Ok(mut epoch) = inner.epoch.lock() else {
            return;
        };
        *epoch += 1;
        let user_id = user_id.to_owned();
        if inner
            .entries
            .invalidate_entries_if(move |_, e| e.user.id == user_id)
            .is_err()
        {
            inner.entries.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserRow {
        UserRow {
            id: id.into(),
            email: String::new(),
            name: String::new(),
            password_hash: String::new(),
            phone: String::new(),
            shop_name: String::new(),
            gst_number: String::new(),
            shop_address: String::new(),
            timezone: String::new(),
            role: String::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn fills_are_served_until_the_user_is_forgotten() {
        let cache = SessionCache::enabled();
        let t = cache.ticket();
        cache.fill(t, "s1", Arc::new(user("u1")), i64::MAX);
        assert!(cache.get("s1", "u1", 0).is_some());
        assert!(
            cache.get("s1", "u2", 0).is_none(),
            "the token's user must match"
        );
        cache.forget_user("u1");
        assert!(cache.get("s1", "u1", 0).is_none());
    }

    #[test]
    fn a_fill_that_raced_with_an_invalidation_is_dropped() {
        let cache = SessionCache::enabled();
        let stale = cache.ticket();
        cache.forget_user("u1");
        cache.fill(stale, "s1", Arc::new(user("u1")), i64::MAX);
        assert!(cache.get("s1", "u1", 0).is_none());
    }
}
