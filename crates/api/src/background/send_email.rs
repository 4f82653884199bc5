//! `email.send`: deliver a prepared message.

use std::sync::Arc;

use jobs::{Handler, JobContext, JobError};

use super::WorkContext;
use crate::mail::Email;

pub const KIND: &str = "email.send";

pub fn handler(context: Arc<WorkContext>) -> Handler {
    Arc::new(move |job: JobContext| {
        let context = context.clone();
        Box::pin(async move {
            let email: Email = serde_json::from_value(job.payload)
                .map_err(|e| JobError::permanent(format!("bad email payload: {e}")))?;
            context.mailer.send(&email).await?;
            Ok(serde_json::json!({"delivered": true, "attachments": email.attachments.len()}))
        })
    })
}
