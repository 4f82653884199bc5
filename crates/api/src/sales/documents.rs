//! The invoice as a document: `GET /api/pos/invoice/:id/pdf` (200 with the PDF of the current
//! version, 202 `{jobId}` while it is rendered, 503 `{message, jobId}` when rendering died) and
//! `POST /api/pos/invoice/:id/email` with an optional `{to}` (202 `{jobId}`).

use axum::Json as JsonResponse;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::payment::{invoice_id, not_found};
use crate::auth::extract::AuthUser;
use crate::background::invoice_documents::{email_job, pdf_job, pdf_key};
use crate::background::{EMAIL, PDF};
use crate::error::ApiError;
use crate::http::body::LimitedBytes;
use crate::http::json::parse;
use crate::http::path::IdParam;
use crate::state::AppState;

pub async fn pdf(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(raw): IdParam,
) -> Result<Response, ApiError> {
    let id = invoice_id(&raw)?;
    let tenant = auth.tenant();
    let (invoice, pdf) = {
        let mut conn = state.db.read_conn().await?;
        let invoice = store::invoices::get(&mut conn, tenant, &id)
            .await?
            .ok_or_else(not_found)?;
        let pdf = store::invoice_pdfs::get(&mut conn, tenant, &id, invoice.version).await?;
        (invoice, pdf)
    };
    if let Some(pdf) = pdf {
        let mut response = pdf.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/pdf"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
        if let Ok(v) =
            HeaderValue::from_str(&format!("inline; filename=\"{}.pdf\"", invoice.invoice_no))
        {
            headers.insert(header::CONTENT_DISPOSITION, v);
        }
        return Ok(response);
    }
    let key = pdf_key(&id, invoice.version);
    if let Some(job) = jobs::queue::latest_with_key(&state.db, tenant, &key).await?
        && job.status == "dead"
    {
        return Err(
            ApiError::unavailable("The invoice PDF could not be rendered").with("jobId", job.id),
        );
    }
    let job = pdf_job(tenant, &id, invoice.version);
    let enqueued = store::transact!(state.db, ApiError, |tx| {
        state.jobs.enqueue(tx, &job).await.map_err(ApiError::from)
    })?;
    state.jobs.wake(PDF);
    Ok((
        StatusCode::ACCEPTED,
        JsonResponse(json!({"jobId": enqueued.id})),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
struct EmailBody {
    to: Option<String>,
}

pub async fn email(
    State(state): State<AppState>,
    auth: AuthUser,
    IdParam(raw): IdParam,
    LimitedBytes(body): LimitedBytes,
) -> Result<Response, ApiError> {
    let id = invoice_id(&raw)?;
    // The body is optional: no body (or `{}`) sends to the customer's own address.
    let body: EmailBody = if body.iter().all(u8::is_ascii_whitespace) {
        EmailBody::default()
    } else {
        parse(&body)?
    };
    let given = match body.to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(to) if !domain::validate::is_plausible_email(to) => {
            return Err(ApiError::bad_request("to: must be an e-mail address").with("field", "to"));
        }
        other => other.map(str::to_owned),
    };
    let tenant = auth.tenant();
    let job_id = store::transact!(state.db, ApiError, |tx| {
        let invoice = store::invoices::get(tx, tenant, &id)
            .await?
            .ok_or_else(not_found)?;
        if invoice.is_deleted != 0 {
            return Err(ApiError::bad_request("Invoice is void"));
        }
        let customer_email = match &invoice.customer_id {
            Some(c) => store::customers::get_any(tx, tenant, c)
                .await?
                .map(|c| c.email)
                .filter(|e| !e.is_empty()),
            None => None,
        };
        let Some(to) = given.clone().or(customer_email) else {
            return Err(ApiError::bad_request(
                "The customer has no e-mail address: give one as `to`",
            ));
        };
        let enqueued = state.jobs.enqueue(tx, &email_job(tenant, &id, &to)).await?;
        Ok(enqueued.id)
    })?;
    state.jobs.wake(EMAIL);
    Ok((StatusCode::ACCEPTED, JsonResponse(json!({"jobId": job_id}))).into_response())
}
