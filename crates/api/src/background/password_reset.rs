//! `auth.password_reset_email`: create the reset token and mail the link. The token is created
//! here, not in the request, so it never rests in the database in plain text (only its hash does);
//! a retry replaces the token of the earlier attempt.

use std::sync::Arc;

use jobs::{Handler, JobContext, JobError};

use super::WorkContext;
use crate::auth::sessions::{hash_token, new_refresh_token};
use crate::mail::{Email, encode_query, escape_html};

pub const KIND: &str = "auth.password_reset_email";

pub fn handler(context: Arc<WorkContext>) -> Handler {
    Arc::new(move |job: JobContext| {
        let context = context.clone();
        Box::pin(async move { run(&context, job).await })
    })
}

async fn run(context: &WorkContext, job: JobContext) -> Result<serde_json::Value, JobError> {
    let user_id = job.payload["userId"]
        .as_str()
        .ok_or_else(|| JobError::permanent("payload without userId"))?
        .to_owned();
    let user = {
        let mut conn = context.db.read_conn().await.map_err(JobError::retry)?;
        store::users::find_live(&mut conn, &user_id)
            .await
            .map_err(JobError::retry)?
    };
    let Some(user) = user else {
        return Ok(serde_json::json!({"delivered": false, "reason": "account no longer exists"}));
    };
    let (token, _) = new_refresh_token();
    let now = store::now_ms();
    let expires_at = now + context.reset_token_ttl.as_millis() as i64;
    let mut tx = context.db.begin().await.map_err(JobError::retry)?;
    store::reset_tokens::replace_for_job(
        &mut tx,
        &job.id,
        &user.id,
        &hash_token(&token),
        now,
        expires_at,
    )
    .await
    .map_err(JobError::retry)?;
    tx.commit()
        .await
        .map_err(|e| JobError::retry(store::StoreError::from(e)))?;
    let link = format!(
        "{}/reset-password?token={}&email={}",
        context.frontend_url,
        token,
        encode_query(&user.email)
    );
    let minutes = context.reset_token_ttl.as_secs() / 60;
    let email = Email {
        to: user.email.clone(),
        subject: "Reset your BizzAI password".into(),
        text: format!(
            "Hello {},\n\nSomeone asked to reset the password of your BizzAI account. Open this link to choose a new one:\n\n{link}\n\n\
             The link works once and expires in {minutes} minutes. If you did not ask for it, ignore this e-mail.\n",
            user.name
        ),
        html: format!(
            "<p>Hello {},</p><p>Someone asked to reset the password of your BizzAI account.</p>\
             <p><a href=\"{link}\">Reset your password</a></p><p>The link works once and expires in {minutes} minutes. \
             If you did not ask for it, ignore this e-mail.</p>",
            escape_html(&user.name),
            link = escape_html(&link)
        ),
        attachments: Vec::new(),
    };
    context.mailer.send(&email).await?;
    Ok(serde_json::json!({"delivered": true}))
}
