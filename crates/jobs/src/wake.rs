//! Waking workers without waiting for a poll: an in-process notification per queue, and on
//! PostgreSQL a `LISTEN` on [`crate::queue::NOTIFY_CHANNEL`], whose notifications the server sends
//! when a transaction that enqueued jobs commits, to every instance.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use crate::queue::NOTIFY_CHANNEL;

#[derive(Clone, Default)]
pub struct Wakers {
    queues: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

impl Wakers {
    /// The notifier of `queue` (created on first use).
    pub fn of(&self, queue: &str) -> Arc<Notify> {
        let Ok(mut map) = self.queues.lock() else {
            return Arc::new(Notify::new());
        };
        map.entry(queue.to_owned())
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone()
    }

    /// Wakes the workers of `queue` in this process (call after the enqueueing transaction committed).
    pub fn wake(&self, queue: &str) {
        self.of(queue).notify_one();
    }

    /// Listens for notifications from other instances (PostgreSQL only), reconnecting after errors,
    /// until `stop` fires. Polling covers any notification lost while reconnecting.
    pub fn listen_postgres(&self, url: String, mut stop: tokio::sync::watch::Receiver<bool>) {
        let wakers = self.clone();
        tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut listener) => {
                        if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
                            tracing::warn!(error = %e, "LISTEN failed");
                        } else {
                            loop {
                                tokio::select! {
                                    _ = stop.changed() => return,
                                    message = listener.recv() => match message {
                                        Ok(n) => wakers.wake(n.payload()),
                                        Err(e) => {
                                            tracing::warn!(error = %e, "job notification listener lost its connection");
                                            break;
                                        }
                                    }
                                }
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot LISTEN for job notifications; polling only")
                    }
                }
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        });
    }
}
