//! Invoice PDFs (reference §5.9): shop header, bill-to, lines, totals, payment and balance, the
//! original's footer; a void is marked VOID. Rendered with krilla and DejaVu Sans (Debian's
//! `fonts-dejavu-core`, read from `PDF_FONT_DIR`), which covers Latin text and ₹; a glyph the
//! font lacks becomes a blank box, never an error.

use std::path::Path;
use std::sync::Arc;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};
use store::customers::CustomerRow;
use store::invoices::{InvoiceRow, LineRow};
use store::users::UserRow;

/// The two faces an invoice uses, loaded once.
pub struct Fonts {
    regular: (Font, Arc<Vec<u8>>),
    bold: (Font, Arc<Vec<u8>>),
}

impl Fonts {
    /// Reads `DejaVuSans.ttf` and `DejaVuSans-Bold.ttf` from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Fonts> {
        let face = |file: &str| -> anyhow::Result<(Font, Arc<Vec<u8>>)> {
            let path = dir.join(file);
            let bytes = Arc::new(
                std::fs::read(&path)
                    .map_err(|e| anyhow::anyhow!("font {}: {e}", path.display()))?,
            );
            let font = Font::new(bytes.clone().into(), 0)
                .ok_or_else(|| anyhow::anyhow!("font {} cannot be read", path.display()))?;
            Ok((font, bytes))
        };
        Ok(Fonts {
            regular: face("DejaVuSans.ttf")?,
            bold: face("DejaVuSans-Bold.ttf")?,
        })
    }
}

/// What an invoice PDF shows.
pub struct InvoicePdf<'a> {
    pub shop: &'a UserRow,
    pub invoice: &'a InvoiceRow,
    pub lines: &'a [LineRow],
    pub customer: Option<&'a CustomerRow>,
}

fn rupees(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}₹{}.{:02}", abs / 100, abs % 100)
}

fn quantity(milli: i64) -> String {
    domain::Quantity::from_milli(milli)
        .map(|q| q.to_string())
        .unwrap_or_default()
}

/// The original's payment-method labels.
fn method_label(method: &str) -> String {
    match method {
        "cash" => "Cash".into(),
        "upi" => "UPI".into(),
        "card" => "Card".into(),
        "bank_transfer" => "Bank Transfer".into(),
        "cheque" => "Cheque".into(),
        "due" => "Due".into(),
        "credit" => "Customer Credit".into(),
        "split" => "Split".into(),
        other => other.into(),
    }
}

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 40.0;
const RIGHT: f32 = WIDTH - 40.0;
const BOTTOM: f32 = HEIGHT - 60.0;

/// Draws onto pages, starting a new page when the current one is full.
struct Writer<'f> {
    fonts: &'f Fonts,
    y: f32,
}

impl Writer<'_> {
    fn width(&self, bold: bool, size: f32, text: &str) -> f32 {
        let bytes = if bold {
            &self.fonts.bold.1
        } else {
            &self.fonts.regular.1
        };
        let Ok(font) = skrifa::FontRef::new(bytes) else {
            return 0.0;
        };
        let upem = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let glyphs = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let charmap = font.charmap();
        let units: f32 = text
            .chars()
            .map(|c| {
                charmap
                    .map(c)
                    .and_then(|g| glyphs.advance_width(g))
                    .unwrap_or(upem * 0.6)
            })
            .sum();
        units / upem.max(1.0) * size
    }

    fn text(&self, s: &mut Surface, x: f32, bold: bool, size: f32, text: &str) {
        let font = if bold {
            self.fonts.bold.0.clone()
        } else {
            self.fonts.regular.0.clone()
        };
        s.draw_text(
            Point::from_xy(x, self.y),
            font,
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn right(&self, s: &mut Surface, x: f32, bold: bool, size: f32, text: &str) {
        let w = self.width(bold, size, text);
        self.text(s, x - w, bold, size, text);
    }

    fn rule(&self, s: &mut Surface) {
        let mut path = PathBuilder::new();
        path.move_to(LEFT, self.y);
        path.line_to(RIGHT, self.y);
        if let Some(path) = path.finish() {
            s.set_fill(None);
            s.set_stroke(Some(Stroke {
                paint: rgb::Color::new(160, 160, 160).into(),
                width: 0.7,
                ..Default::default()
            }));
            s.draw_path(&path);
            s.set_stroke(None);
            s.set_fill(Some(Fill::default()));
        }
    }
}

/// Renders the invoice. `timezone` gives the local date and time printed.
pub fn render(fonts: &Fonts, doc: &InvoicePdf<'_>) -> anyhow::Result<Vec<u8>> {
    let i = doc.invoice;
    let tz: chrono_tz::Tz = doc
        .shop
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Asia::Kolkata);
    let when = chrono::DateTime::from_timestamp_millis(i.created_at)
        .unwrap_or_default()
        .with_timezone(&tz)
        .format("%d %b %Y, %H:%M")
        .to_string();
    let mut document = Document::new();
    let settings = || PageSettings::from_wh(WIDTH, HEIGHT).expect("A4 is a valid page size");
    let mut page = document.start_page_with(settings());
    let mut surface = page.surface();
    let mut w = Writer { fonts, y: 60.0 };
    let shop_name = if doc.shop.shop_name.trim().is_empty() {
        doc.shop.name.as_str()
    } else {
        doc.shop.shop_name.as_str()
    };
    w.text(&mut surface, LEFT, true, 20.0, shop_name);
    if i.is_deleted != 0 {
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(200, 30, 30).into(),
            ..Default::default()
        }));
        w.right(&mut surface, RIGHT, true, 26.0, "VOID");
        surface.set_fill(Some(Fill::default()));
    }
    w.y += 18.0;
    if !doc.shop.gst_number.trim().is_empty() {
        w.text(
            &mut surface,
            LEFT,
            false,
            10.0,
            &format!("GSTIN: {}", doc.shop.gst_number),
        );
        w.y += 14.0;
    }
    if !doc.shop.shop_address.trim().is_empty() {
        w.text(&mut surface, LEFT, false, 10.0, &doc.shop.shop_address);
        w.y += 14.0;
    }
    w.y += 10.0;
    w.text(
        &mut surface,
        LEFT,
        true,
        14.0,
        &format!("Invoice {}", i.invoice_no),
    );
    w.right(&mut surface, RIGHT, false, 10.0, &when);
    w.y += 22.0;
    w.text(&mut surface, LEFT, true, 10.0, "Bill To:");
    w.y += 14.0;
    match doc.customer {
        Some(c) => {
            w.text(&mut surface, LEFT, false, 10.0, &c.name);
            w.y += 13.0;
            w.text(
                &mut surface,
                LEFT,
                false,
                10.0,
                &format!("Phone: {}", c.phone),
            );
            w.y += 13.0;
            if !c.email.is_empty() {
                w.text(&mut surface, LEFT, false, 10.0, &c.email);
                w.y += 13.0;
            }
            if !c.address.is_empty() {
                w.text(&mut surface, LEFT, false, 10.0, &c.address);
                w.y += 13.0;
            }
        }
        None => {
            w.text(&mut surface, LEFT, false, 10.0, "Walk-in Customer");
            w.y += 13.0;
        }
    }
    w.y += 6.0;
    let status = i.payment_status.to_uppercase();
    w.text(
        &mut surface,
        LEFT,
        false,
        10.0,
        &format!("Status: {status}"),
    );
    w.right(
        &mut surface,
        RIGHT,
        false,
        10.0,
        &format!("Payment: {}", payment_label(i)),
    );
    w.y += 18.0;
    // The line table.
    let (c_no, c_item, c_qty, c_price, c_total) = (LEFT, LEFT + 25.0, 360.0, 450.0, RIGHT);
    let header = |w: &Writer, s: &mut Surface| {
        w.text(s, c_no, true, 10.0, "#");
        w.text(s, c_item, true, 10.0, "Item");
        w.right(s, c_qty, true, 10.0, "Qty");
        w.right(s, c_price, true, 10.0, "Price");
        w.right(s, c_total, true, 10.0, "Total");
    };
    header(&w, &mut surface);
    w.y += 6.0;
    w.rule(&mut surface);
    w.y += 14.0;
    for (n, l) in doc.lines.iter().enumerate() {
        if w.y > BOTTOM {
            surface.finish();
            page.finish();
            page = document.start_page_with(settings());
            surface = page.surface();
            w.y = 60.0;
            header(&w, &mut surface);
            w.y += 20.0;
        }
        let name: String = l.name.chars().take(48).collect();
        w.text(&mut surface, c_no, false, 10.0, &(n + 1).to_string());
        w.text(&mut surface, c_item, false, 10.0, &name);
        w.right(&mut surface, c_qty, false, 10.0, &quantity(l.quantity));
        w.right(&mut surface, c_price, false, 10.0, &rupees(l.price));
        w.right(&mut surface, c_total, false, 10.0, &rupees(l.total));
        w.y += 15.0;
    }
    w.rule(&mut surface);
    w.y += 16.0;
    // Totals, right-aligned.
    let mut rows: Vec<(String, String, bool)> =
        vec![("Subtotal".into(), rupees(i.subtotal), false)];
    // The original's rows are always printed, also at 0, so every invoice reads the same way.
    rows.push(("Discount".into(), format!("-{}", rupees(i.discount)), false));
    rows.push(("Previous Due".into(), rupees(i.previous_due_amount), false));
    rows.push(("Total".into(), rupees(i.total_amount), true));
    rows.push((
        "Credit Applied".into(),
        format!("-{}", rupees(i.credit_applied)),
        false,
    ));
    let paid_via = i
        .paid_via_method
        .as_deref()
        .unwrap_or(i.payment_method.as_str());
    rows.push((
        format!("Paid ({})", method_label(paid_via)),
        rupees(i.paid_amount),
        false,
    ));
    if i.returned_amount > 0 {
        rows.push((
            "Returned".into(),
            format!("-{}", rupees(i.returned_amount)),
            false,
        ));
    }
    if i.carried_forward_amount > 0 {
        rows.push((
            "Carried Forward".into(),
            format!("-{}", rupees(i.carried_forward_amount)),
            false,
        ));
    }
    if let Some(c) = doc.customer {
        let label = if c.dues < 0 {
            "Customer Credit"
        } else {
            "Customer Balance"
        };
        rows.push((label.into(), rupees(c.dues.abs()), false));
    }
    for (label, value, bold) in &rows {
        if w.y > BOTTOM {
            surface.finish();
            page.finish();
            page = document.start_page_with(settings());
            surface = page.surface();
            w.y = 60.0;
        }
        w.right(&mut surface, 450.0, *bold, 10.5, label);
        w.right(&mut surface, RIGHT, *bold, 10.5, value);
        w.y += 16.0;
    }
    w.y += 4.0;
    if i.balance_due > 0 {
        w.right(&mut surface, 450.0, true, 12.0, "Balance Due");
        w.right(&mut surface, RIGHT, true, 12.0, &rupees(i.balance_due));
    } else {
        w.right(&mut surface, RIGHT, true, 12.0, "Paid in Full");
    }
    w.y = w.y.max(BOTTOM - 20.0) + 20.0;
    if w.y > HEIGHT - 30.0 {
        w.y = HEIGHT - 30.0;
    }
    let footer = "Thank you & Please Visit Again";
    let centre = |w: &Writer, text: &str, size: f32| (WIDTH - w.width(false, size, text)) / 2.0;
    let x = centre(&w, footer, 11.0);
    w.text(&mut surface, x, false, 11.0, footer);
    w.y += 14.0;
    let note = "This is a computer-generated invoice.";
    let x = centre(&w, note, 8.5);
    w.text(&mut surface, x, false, 8.5, note);
    surface.finish();
    page.finish();
    document.finish().map_err(|e| anyhow::anyhow!("pdf: {e:?}"))
}

/// "Split (Cash + UPI + Customer Credit)" and the like, as the original printed it.
fn payment_label(i: &InvoiceRow) -> String {
    if i.payment_method != "split" {
        return method_label(&i.payment_method);
    }
    let parts: Vec<serde_json::Value> =
        serde_json::from_str(&i.split_payment_details).unwrap_or_default();
    let mut names: Vec<String> = parts
        .iter()
        .filter_map(|p| p["method"].as_str())
        .map(method_label)
        .collect();
    if names.is_empty()
        && let Some(via) = &i.paid_via_method
    {
        names.push(method_label(via));
    }
    if i.credit_applied > 0 {
        names.push("Customer Credit".into());
    }
    names.dedup();
    format!("Split ({})", names.join(" + "))
}
