//! A real SMTP server on loopback that keeps what it receives: enough of RFC 5321 for lettre
//! (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), with switches to refuse recipients.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket};

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Clone, Default)]
pub struct SmtpSink {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    reject: Arc<Mutex<Vec<String>>>,
}

impl SmtpSink {
    /// A port that is free now, for a sink started later (SMTP "down, then back").
    pub fn reserve_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    pub async fn start() -> SmtpSink {
        SmtpSink::start_on(0).await
    }

    pub async fn start_on(port: u16) -> SmtpSink {
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_reuseaddr(true).unwrap();
        socket
            .bind(format!("127.0.0.1:{port}").parse().unwrap())
            .unwrap();
        let listener: TcpListener = socket.listen(64).unwrap();
        let sink = SmtpSink {
            port: listener.local_addr().unwrap().port(),
            ..SmtpSink::default()
        };
        let served = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let s = served.clone();
                tokio::spawn(async move {
                    let _ = s.session(stream).await;
                });
            }
        });
        sink
    }

    /// Recipients answered with `550 5.1.1 … User unknown`.
    pub fn reject_recipient(&self, address: &str) {
        self.reject.lock().unwrap().push(address.to_lowercase());
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub async fn wait_for(&self, count: usize, within: Duration) -> Vec<Received> {
        crate::helpers::eventually(within, || async {
            let m = self.messages();
            (m.len() >= count).then_some(m)
        })
        .await
    }

    async fn session(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
        let mut to = Vec::new();
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let upper = line.trim_end().to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                write
                    .write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
                    .await?;
            } else if upper.starts_with("MAIL FROM") {
                to.clear();
                write.write_all(b"250 2.1.0 OK\r\n").await?;
            } else if upper.starts_with("RCPT TO") {
                let address = line.trim_end()[8..]
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_lowercase();
                if self.reject.lock().unwrap().contains(&address) {
                    write.write_all(format!("550 5.1.1 <{address}>: Recipient address rejected: User unknown\r\n").as_bytes()).await?;
                } else {
                    to.push(address);
                    write.write_all(b"250 2.1.5 OK\r\n").await?;
                }
            } else if upper == "DATA" {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(
                        line.strip_prefix('.')
                            .filter(|_| line.starts_with(".."))
                            .unwrap_or(&line),
                    );
                }
                self.received.lock().unwrap().push(Received {
                    to: to.clone(),
                    data,
                });
                write.write_all(b"250 2.0.0 Queued\r\n").await?;
            } else if upper == "QUIT" {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            } else if upper == "RSET" || upper == "NOOP" {
                write.write_all(b"250 OK\r\n").await?;
            } else {
                write
                    .write_all(b"502 5.5.2 Command not recognized\r\n")
                    .await?;
            }
        }
    }
}

impl Received {
    /// The message's header value (first occurrence).
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.data
            .lines()
            .take_while(|l| !l.trim().is_empty())
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_owned())
    }

    /// The decoded body of the first base64 MIME part with this content type (an attachment).
    pub fn attachment(&self, content_type: &str) -> Option<Vec<u8>> {
        let wanted = format!("content-type: {}", content_type.to_ascii_lowercase());
        self.data.split("\r\n--").find_map(|part| {
            let (headers, body) = part.split_once("\r\n\r\n")?;
            let h = headers.to_ascii_lowercase();
            if !h.contains(&wanted) || !h.contains("content-transfer-encoding: base64") {
                return None;
            }
            let compact: String = body.lines().take_while(|l| !l.starts_with("--")).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.trim())
                .ok()
        })
    }

    /// Every MIME part's body, decoded from its transfer encoding, joined.
    pub fn decoded_text(&self) -> String {
        let mut out = String::new();
        for part in self.data.split("\r\n--") {
            let Some((headers, body)) = part.split_once("\r\n\r\n") else {
                continue;
            };
            let h = headers.to_ascii_lowercase();
            if h.contains("content-transfer-encoding: base64") {
                let compact: String = body.lines().take_while(|l| !l.starts_with("--")).collect();
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact.trim())
                {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                }
            } else if h.contains("content-transfer-encoding: quoted-printable") {
                out.push_str(&decode_quoted_printable(body));
            } else {
                out.push_str(body);
            }
            out.push('\n');
        }
        out
    }
}

fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
