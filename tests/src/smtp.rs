//! An SMTP server for tests: accepts every message on a loopback port and
//! keeps it, decoded enough to read (headers, and the quoted-printable text
//! of every part).

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::{Backend, TestApp};

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    /// The raw message (headers and body) as sent.
    pub raw: String,
}

impl Received {
    /// A header's value (the first of that name).
    pub fn header(&self, name: &str) -> String {
        let head = self.raw.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ");
        head.lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_default()
    }

    /// The whole message with quoted-printable soft breaks and escapes undone.
    pub fn text(&self) -> String {
        let joined = self.raw.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (b, hex) {
                (b'=', Some(decoded)) => {
                    out.push(decoded);
                    i += 3;
                }
                _ => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// The server; it stops when dropped.
pub struct SmtpSink {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("cannot bind the SMTP sink");
        let url = format!("smtp://127.0.0.1:{}", listener.local_addr().expect("address").port());
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, shared.clone()));
            }
        });
        Self { url, received, task }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("sink state").clone()
    }

    /// Wait (up to 20 s) until `done` holds for what was received.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        crate::eventually(what, || self.received(), done).await
    }
}

/// An SMTP sink, and a server on `backend` that sends its mail there,
/// configured further by `configure`; `None` when `backend` is not
/// configured (see [`TestApp::spawn_with`]).
pub async fn spawn_with_mail(
    backend: Backend,
    configure: impl FnOnce(&mut followup_server::ServeConfig),
) -> Option<(SmtpSink, TestApp)> {
    let sink = SmtpSink::start().await;
    let smtp = sink.url.clone();
    let app = TestApp::spawn_with(backend, move |cfg| {
        cfg.worker.smtp_url = Some(smtp);
        configure(cfg);
    })
    .await?;
    Some((sink, app))
}

/// The worker on and quick, its scheduler each second from `clock`, the
/// mail from Followup KOICA: for the reminders and digests.
pub fn scheduled_mail(cfg: &mut followup_server::ServeConfig, clock: String) {
    cfg.run_worker = true;
    cfg.worker.worker_interval_ms = 50;
    cfg.worker.scheduler_interval = 1;
    cfg.worker.clock = Some(clock);
    cfg.worker.mail_from = "Followup KOICA <followup@koica.example.org>".into();
}

/// The messages of `received` sent to `address`.
pub fn to(received: &[Received], address: &str) -> Vec<Received> {
    received.iter().filter(|m| m.to.iter().any(|t| t == address)).cloned().collect()
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: tokio::net::TcpStream, received: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if write.write_all(b"220 sink.followup.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_ascii_uppercase();
        let answer: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250-sink.followup.test\r\n250 8BITMIME\r\n"
        } else if command.starts_with("MAIL") {
            to.clear();
            b"250 OK\r\n"
        } else if command.starts_with("RCPT") {
            let address =
                line.trim_end().split_once(':').map(|(_, a)| a.trim().trim_matches(['<', '>']).to_owned());
            to.extend(address);
            b"250 OK\r\n"
        } else if command == "DATA" {
            if write.write_all(b"354 go ahead\r\n").await.is_err() {
                return;
            }
            let mut raw = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" {
                    break;
                }
                raw.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
            }
            received.lock().expect("sink state").push(Received { to: to.clone(), raw });
            b"250 OK queued\r\n"
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 OK\r\n"
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}
