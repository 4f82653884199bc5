//! Invoice PDFs and e-mails: the sale mails the invoice through a job committed with it; the PDF
//! endpoint's 202 → 200 flow, a new version after a payment, VOID on a void, 503 when rendering
//! died; the e-mail endpoint; and another shop that gets none of it. PDFs are read with pdftotext.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, Options, TestApp, eventually};
use crate::shop::Shop;
use crate::smtp_sink::SmtpSink;

both_backends!(
    a_sale_to_a_customer_with_an_email_mails_the_invoice_as_a_pdf,
    the_pdf_is_rendered_on_demand_per_version_and_marks_a_void,
    the_email_endpoint_sends_to_the_customer_or_to_a_given_address,
    a_render_that_died_answers_503_with_its_job,
);

fn smtp(port: u16) -> Options {
    Options::default()
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", port.to_string())
        .env("SMTP_TIMEOUT", "2s")
}

/// The text of a PDF, as pdftotext reads it.
pub fn pdf_text(pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

async fn set_up_shop_header(app: &TestApp, shop: &Shop<'_>) {
    let id = app.get("/api/auth/profile", shop.t()).await.body["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .call(
            Method::PUT,
            &format!("/api/users/{id}"),
            shop.t(),
            Some(json!({"gstNumber": "29ABCDE1234F1Z5", "shopAddress": "12 MG Road, Bengaluru"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// Polls the PDF endpoint until it answers 200; returns the PDF's text.
async fn rendered(app: &TestApp, shop: &Shop<'_>, id: &str) -> String {
    let path = format!("/api/pos/invoice/{id}/pdf");
    let url = format!("{}{path}", app.base);
    let token = shop.token.clone();
    eventually(Duration::from_secs(20), || {
        let (url, token, client) = (url.clone(), token.clone(), app.client.clone());
        async move {
            let r = client.get(&url).bearer_auth(&token).send().await.ok()?;
            if r.status() != StatusCode::OK {
                return None;
            }
            assert_eq!(r.headers()["content-type"], "application/pdf");
            Some(pdf_text(&r.bytes().await.ok()?))
        }
    })
    .await
}

async fn a_sale_to_a_customer_with_an_email_mails_the_invoice_as_a_pdf(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(backend, smtp(sink.port)).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    set_up_shop_header(&app, &shop).await;
    let rice = shop.item("Basmati Rice", json!(55.5), json!(10)).await;
    let oil = shop.item("Sunflower Oil", json!(149), json!(10)).await;
    let c = shop.customer("9000000041").await;
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": rice, "quantity": 2}, {"item": oil, "quantity": 1}],
            "discount": 10, "paidAmount": 200, "paymentMethod": "cash"}))
        .await;
    assert_eq!(inv["invoiceNo"], "INV-00001");
    let mail = sink.wait_for(1, Duration::from_secs(20)).await.remove(0);
    assert_eq!(mail.to, ["c9000000041@example.com"]);
    assert_eq!(mail.header("subject").as_deref(), Some("Invoice INV-00001"));
    let pdf = mail
        .attachment("application/pdf")
        .expect("a PDF attachment");
    let text = pdf_text(&pdf);
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .format("%d %b %Y")
        .to_string();
    for expected in [
        "Asha Kirana",
        "GSTIN: 29ABCDE1234F1Z5",
        "12 MG Road, Bengaluru",
        "INV-00001",
        today.as_str(),
        "Bill To",
        "Customer 9000000041",
        "Basmati Rice",
        "Sunflower Oil",
        "₹55.50",
        "₹111.00",
        "₹149.00",
        "Subtotal",
        "₹260.00",
        "Discount",
        "-₹10.00",
        "Previous Due",
        "Total",
        "₹250.00",
        "Credit Applied",
        "Paid (Cash)",
        "₹200.00",
        "Balance Due",
        "₹50.00",
        "Thank you & Please Visit Again",
        "This is a computer-generated invoice.",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    // A walk-in's invoice says so, and a paid one says "Paid in Full" (read through the endpoint).
    let walk_in = shop
        .sold(json!({"items": [{"item": rice, "quantity": 1}], "paidAmount": 55.5}))
        .await;
    let text = rendered(&app, &shop, walk_in["_id"].as_str().unwrap()).await;
    assert!(
        text.contains("Walk-in Customer") && text.contains("Paid in Full"),
        "{text}"
    );
    assert_eq!(sink.messages().len(), 1, "no e-mail for a walk-in");
}

async fn the_pdf_is_rendered_on_demand_per_version_and_marks_a_void(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let other = Shop::open(&app, "other@shop.in").await;
    let item = shop.item("Tea", json!(120), json!(10)).await;
    let c = shop.customer("9000000042").await;
    let inv = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paidAmount": 20}))
        .await;
    let id = inv["_id"].as_str().unwrap();
    let first = app
        .get(&format!("/api/pos/invoice/{id}/pdf"), shop.t())
        .await;
    // The sale's e-mail job may have rendered it already; otherwise this asks for it.
    let job_id = match first.status {
        StatusCode::ACCEPTED => first.body["jobId"].as_str().unwrap().to_owned(),
        StatusCode::OK => String::new(),
        other => panic!("unexpected {other}: {:?}", first.body),
    };
    let text = rendered(&app, &shop, id).await;
    assert!(
        text.contains("Balance Due") && text.contains("₹100.00"),
        "{text}"
    );
    if !job_id.is_empty() {
        let job = eventually(Duration::from_secs(10), || async {
            let j = app.get(&format!("/api/jobs/{job_id}"), shop.t()).await.body;
            (j["status"] == "completed").then_some(j)
        })
        .await;
        assert_eq!(job["kind"], "invoice.pdf");
        // Another shop: not its job, not its PDF.
        let r = app.get(&format!("/api/jobs/{job_id}"), other.t()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    for (method, path) in [
        (Method::GET, format!("/api/pos/invoice/{id}/pdf")),
        (Method::POST, format!("/api/pos/invoice/{id}/email")),
    ] {
        let r = app.call(method, &path, other.t(), Some(json!({}))).await;
        assert_eq!(
            (r.status, r.message()),
            (StatusCode::NOT_FOUND, "Invoice not found or unauthorized"),
            "{path}"
        );
    }
    // A payment makes a new version: the next request renders it again.
    let r = shop
        .pay(id, json!({"amount": 100, "paymentMethod": "upi"}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let again = app
        .get(&format!("/api/pos/invoice/{id}/pdf"), shop.t())
        .await;
    assert_eq!(
        again.status,
        StatusCode::ACCEPTED,
        "the paid version is not rendered yet"
    );
    let text = rendered(&app, &shop, id).await;
    assert!(
        text.contains("Paid in Full") && !text.contains("Balance Due"),
        "{text}"
    );
    // A void's PDF says VOID.
    let unpaid = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paymentMethod": "due"}))
        .await;
    let unpaid = unpaid["_id"].as_str().unwrap();
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/pos/invoice/{unpaid}"),
            shop.t(),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let text = rendered(&app, &shop, unpaid).await;
    assert!(text.contains("VOID"), "{text}");
}

async fn the_email_endpoint_sends_to_the_customer_or_to_a_given_address(backend: Backend) {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_with(backend, smtp(sink.port)).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Jam", json!(80), json!(10)).await;
    let walk_in = shop
        .sold(json!({"items": [{"item": item, "quantity": 1}], "paidAmount": 80}))
        .await;
    let id = walk_in["_id"].as_str().unwrap();
    let path = format!("/api/pos/invoice/{id}/email");
    let r = app.call(Method::POST, &path, shop.t(), None).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "a walk-in has no address: {:?}",
        r.body
    );
    let r = app
        .post(&path, shop.t(), json!({"to": "not-an-address"}))
        .await;
    assert_eq!(
        (r.status, r.body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to"))
    );
    let r = app
        .post(&path, shop.t(), json!({"to": "Buyer@Example.com"}))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let job_id = r.body["jobId"].as_str().unwrap().to_owned();
    let mail = sink.wait_for(1, Duration::from_secs(20)).await.remove(0);
    assert_eq!(mail.to.len(), 1);
    assert!(
        mail.to[0].eq_ignore_ascii_case("buyer@example.com"),
        "{:?}",
        mail.to
    );
    assert!(pdf_text(&mail.attachment("application/pdf").unwrap()).contains("Walk-in Customer"));
    let job = eventually(Duration::from_secs(10), || async {
        let j = app.get(&format!("/api/jobs/{job_id}"), shop.t()).await.body;
        (j["status"] == "completed").then_some(j)
    })
    .await;
    assert_eq!(job["kind"], "invoice.email");
    // An e-mail of a void is refused.
    let c = shop.customer("9000000043").await;
    let due = shop
        .sold(json!({"customerId": c, "items": [{"item": item, "quantity": 1}], "paymentMethod": "due"}))
        .await;
    let due = due["_id"].as_str().unwrap();
    app.call(
        Method::DELETE,
        &format!("/api/pos/invoice/{due}"),
        shop.t(),
        None,
    )
    .await;
    let r = app
        .call(
            Method::POST,
            &format!("/api/pos/invoice/{due}/email"),
            shop.t(),
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.message()),
        (StatusCode::BAD_REQUEST, "Invoice is void")
    );
}

async fn a_render_that_died_answers_503_with_its_job(backend: Backend) {
    let options = Options::default().env("PDF_FONT_DIR", "/nonexistent/fonts");
    let app = TestApp::spawn_with(backend, options).await;
    let shop = Shop::open(&app, "owner@shop.in").await;
    let item = shop.item("Pen", json!(10), json!(10)).await;
    let inv = shop
        .sold(json!({"items": [{"item": item, "quantity": 1}], "paidAmount": 10}))
        .await;
    let path = format!("/api/pos/invoice/{}/pdf", inv["_id"].as_str().unwrap());
    let r = app.get(&path, shop.t()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.body["jobId"].is_string());
    let dead: Value = eventually(Duration::from_secs(20), || async {
        let r = app.get(&path, shop.t()).await;
        (r.status == StatusCode::SERVICE_UNAVAILABLE).then_some(r.body)
    })
    .await;
    // The job named is the latest render of this version: the first one, or a new one when a
    // request raced the first one's end.
    let job_id = dead["jobId"].clone();
    assert_eq!(dead["message"], "The invoice PDF could not be rendered");
    let job = app
        .get(&format!("/api/jobs/{}", job_id.as_str().unwrap()), shop.t())
        .await
        .body;
    assert_eq!(job["status"], "dead");
    assert!(
        job["lastError"].as_str().unwrap().contains("fonts"),
        "{job}"
    );
}
