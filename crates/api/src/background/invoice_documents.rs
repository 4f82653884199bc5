//! `invoice.pdf` (queue `pdf`) renders and stores the PDF of an invoice's current version;
//! `invoice.email` (queue `email`) mails the invoice with that PDF attached, rendering it first
//! when needed. Both are enqueued in the transaction that asked for them (the sale, or the PDF
//! and e-mail endpoints) and scoped to the shop.

use std::sync::Arc;

use jobs::{Handler, JobContext, JobError, NewJob};
use serde_json::json;
use store::customers::CustomerRow;
use store::invoices::InvoiceRow;

use super::{EMAIL, PDF, WorkContext};
use crate::mail::{Email, EmailAttachment, escape_html};
use crate::pdf::InvoicePdf;

pub const PDF_KIND: &str = "invoice.pdf";
pub const EMAIL_KIND: &str = "invoice.email";

/// The render of one invoice version: one live job per version.
pub fn pdf_key(invoice_id: &str, version: i64) -> String {
    format!("invoice-pdf:{invoice_id}:{version}")
}

pub fn pdf_job(tenant_id: &str, invoice_id: &str, version: i64) -> NewJob {
    NewJob::new(PDF, PDF_KIND, json!({"invoiceId": invoice_id}))
        .tenant(tenant_id)
        .unique(pdf_key(invoice_id, version))
}

pub fn email_job(tenant_id: &str, invoice_id: &str, to: &str) -> NewJob {
    NewJob::new(
        EMAIL,
        EMAIL_KIND,
        json!({"invoiceId": invoice_id, "to": to}),
    )
    .tenant(tenant_id)
}

pub fn pdf_handler(context: Arc<WorkContext>) -> Handler {
    Arc::new(move |job: JobContext| {
        let context = context.clone();
        Box::pin(async move {
            let (tenant, invoice_id) = ids(&job)?;
            let Some(doc) = current_pdf(&context, &tenant, &invoice_id).await? else {
                return Ok(json!({"rendered": false, "reason": "invoice not found"}));
            };
            Ok(json!({"rendered": true, "version": doc.invoice.version, "bytes": doc.pdf.len()}))
        })
    })
}

pub fn email_handler(context: Arc<WorkContext>) -> Handler {
    Arc::new(move |job: JobContext| {
        let context = context.clone();
        Box::pin(async move {
            let (tenant, invoice_id) = ids(&job)?;
            let to = job.payload["to"]
                .as_str()
                .ok_or_else(|| JobError::permanent("payload without to"))?
                .to_owned();
            let Some(doc) = current_pdf(&context, &tenant, &invoice_id).await? else {
                return Ok(json!({"delivered": false, "reason": "invoice not found"}));
            };
            let i = &doc.invoice;
            let shop = if doc.shop.shop_name.trim().is_empty() {
                doc.shop.name.clone()
            } else {
                doc.shop.shop_name.clone()
            };
            let name = doc
                .customer
                .as_ref()
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "Customer".into());
            let email = Email {
                to,
                subject: format!("Invoice {}", i.invoice_no),
                text: format!(
                    "Dear {name},\n\nThank you for your purchase! Please find attached invoice {} from {shop}.\n",
                    i.invoice_no
                ),
                html: format!(
                    "<p>Dear {},</p><p>Thank you for your purchase! Please find attached invoice {} from {}.</p>",
                    escape_html(&name),
                    escape_html(&i.invoice_no),
                    escape_html(&shop)
                ),
                attachments: vec![EmailAttachment {
                    filename: format!("{}.pdf", i.invoice_no),
                    content_type: "application/pdf".into(),
                    data: doc.pdf,
                }],
            };
            context.mailer.send(&email).await?;
            Ok(json!({"delivered": true, "version": i.version}))
        })
    })
}

fn ids(job: &JobContext) -> Result<(String, String), JobError> {
    let tenant = job
        .tenant_id
        .clone()
        .ok_or_else(|| JobError::permanent("job without a shop"))?;
    let invoice = job.payload["invoiceId"]
        .as_str()
        .ok_or_else(|| JobError::permanent("payload without invoiceId"))?
        .to_owned();
    Ok((tenant, invoice))
}

/// An invoice with the PDF of its current version.
pub struct RenderedInvoice {
    pub invoice: InvoiceRow,
    pub customer: Option<CustomerRow>,
    pub shop: store::users::UserRow,
    pub pdf: Vec<u8>,
}

/// The PDF of the invoice's current version, rendered and stored if it is not yet; `None` when the
/// shop has no such invoice.
pub async fn current_pdf(
    context: &WorkContext,
    tenant: &str,
    invoice_id: &str,
) -> Result<Option<RenderedInvoice>, JobError> {
    let mut conn = context.db.read_conn().await.map_err(JobError::retry)?;
    let Some(invoice) = store::invoices::get(&mut conn, tenant, invoice_id)
        .await
        .map_err(JobError::retry)?
    else {
        return Ok(None);
    };
    let customer = match &invoice.customer_id {
        Some(c) => store::customers::get_any(&mut conn, tenant, c)
            .await
            .map_err(JobError::retry)?,
        None => None,
    };
    let shop = store::users::find_live(&mut conn, tenant)
        .await
        .map_err(JobError::retry)?
        .ok_or_else(|| JobError::permanent("the shop's account no longer exists"))?;
    if let Some(pdf) = store::invoice_pdfs::get(&mut conn, tenant, invoice_id, invoice.version)
        .await
        .map_err(JobError::retry)?
    {
        return Ok(Some(RenderedInvoice {
            invoice,
            customer,
            shop,
            pdf,
        }));
    }
    let lines = store::invoices::lines(&mut conn, tenant, invoice_id)
        .await
        .map_err(JobError::retry)?;
    drop(conn);
    let fonts = context.fonts.clone().ok_or_else(|| {
        JobError::permanent("fonts for PDFs are not installed (fonts-dejavu-core, PDF_FONT_DIR)")
    })?;
    let (shop_c, invoice_c, customer_c) = (shop.clone(), invoice.clone(), customer.clone());
    let pdf = tokio::task::spawn_blocking(move || {
        crate::pdf::render(
            &fonts,
            &InvoicePdf {
                shop: &shop_c,
                invoice: &invoice_c,
                lines: &lines,
                customer: customer_c.as_ref(),
            },
        )
    })
    .await
    .map_err(JobError::retry)?
    .map_err(JobError::permanent)?;
    let mut tx = context.db.begin().await.map_err(JobError::retry)?;
    store::invoice_pdfs::put(
        &mut tx,
        tenant,
        invoice_id,
        invoice.version,
        &pdf,
        store::now_ms(),
    )
    .await
    .map_err(JobError::retry)?;
    tx.commit()
        .await
        .map_err(|e| JobError::retry(store::StoreError::from(e)))?;
    Ok(Some(RenderedInvoice {
        invoice,
        customer,
        shop,
        pdf,
    }))
}
