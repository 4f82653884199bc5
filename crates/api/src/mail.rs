//! Outgoing e-mail: SMTP through lettre (plain with opportunistic STARTTLS, STARTTLS required, or
//! implicit TLS), or `.eml` files in an outbox folder when no SMTP server is configured.

use std::path::PathBuf;
use std::time::Duration;

use jobs::JobError;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::settings::Secret;

/// `SMTP_SECURE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP, upgraded with STARTTLS when the server offers it.
    Opportunistic,
    StartTls,
    /// Implicit TLS (port 465).
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    pub password: Option<Secret>,
    pub timeout: Duration,
}

#[derive(Debug, Clone)]
pub enum MailTransport {
    Smtp(SmtpSettings),
    Outbox(PathBuf),
}

/// A message to send.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    #[serde(default)]
    pub attachments: Vec<EmailAttachment>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailAttachment {
    pub filename: String,
    pub content_type: String,
    #[serde(with = "base64_bytes")]
    pub data: Vec<u8>,
}

mod base64_bytes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(AsyncFileTransport<Tokio1Executor>, PathBuf),
}

impl Mailer {
    pub fn new(transport: &MailTransport, from: &str) -> anyhow::Result<Mailer> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| anyhow::anyhow!("invalid EMAIL_FROM {from:?}: {e}"))?;
        let transport = match transport {
            MailTransport::Outbox(dir) => {
                std::fs::create_dir_all(dir)?;
                Transport::Outbox(AsyncFileTransport::new(dir), dir.clone())
            }
            MailTransport::Smtp(s) => {
                let params = TlsParameters::new(s.host.clone())?;
                let tls = match s.security {
                    SmtpSecurity::Opportunistic => Tls::Opportunistic(params),
                    SmtpSecurity::StartTls => Tls::Required(params),
                    SmtpSecurity::Tls => Tls::Wrapper(params),
                };
                let mut builder =
                    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
                        .port(s.port)
                        .tls(tls)
                        .timeout(Some(s.timeout));
                if let (Some(user), Some(password)) = (&s.user, &s.password) {
                    builder = builder
                        .credentials(Credentials::new(user.clone(), password.expose().to_owned()));
                }
                Transport::Smtp(builder.build())
            }
        };
        Ok(Mailer { from, transport })
    }

    /// Where an outbox mailer writes, if it is one.
    pub fn outbox(&self) -> Option<&PathBuf> {
        match &self.transport {
            Transport::Outbox(_, dir) => Some(dir),
            Transport::Smtp(_) => None,
        }
    }

    /// Sends `email`. A refused recipient or any other 5xx reply is permanent; connection
    /// failures, timeouts and 4xx replies are worth another attempt.
    pub async fn send(&self, email: &Email) -> Result<(), JobError> {
        let message = self.build(email)?;
        match &self.transport {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| {
                if e.is_permanent() {
                    JobError::permanent(format!("SMTP {e}"))
                } else {
                    JobError::retry(format!("SMTP {e}"))
                }
            }),
            Transport::Outbox(t, _) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| JobError::retry(format!("outbox: {e}"))),
        }
    }

    fn build(&self, email: &Email) -> Result<Message, JobError> {
        let to: Mailbox = email.to.parse().map_err(|_| {
            JobError::permanent(format!("invalid recipient address {:?}", email.to))
        })?;
        let body = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone());
        let message = if email.attachments.is_empty() {
            builder.multipart(body)
        } else {
            let mut mixed = MultiPart::mixed().multipart(body);
            for a in &email.attachments {
                let content_type =
                    ContentType::parse(&a.content_type).unwrap_or(ContentType::TEXT_PLAIN);
                let part: SinglePart =
                    Attachment::new(a.filename.clone()).body(a.data.clone(), content_type);
                mixed = mixed.singlepart(part);
            }
            builder.multipart(mixed)
        };
        message.map_err(|e| JobError::permanent(format!("cannot build message: {e}")))
    }
}

/// Escapes text for HTML bodies (names are user input).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string value.
pub fn encode_query(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
