//! A webhook endpoint for tests: an HTTP/1.1 server on a loopback port that
//! records every request (headers and body) and answers each with the next
//! status of a script (then 204).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request the endpoint received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Header names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a webhook body is JSON")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    script: VecDeque<(u16, Option<String>)>,
    /// The status when the script is spent (204 unless set).
    otherwise: Option<u16>,
}

/// The endpoint; it stops when dropped.
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("cannot bind the receiver");
        let url =
            format!("http://127.0.0.1:{}/hooks/followup", listener.local_addr().expect("address").port());
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, shared.clone()));
            }
        });
        Self { url, state, task }
    }

    /// Answer the next requests with these statuses (then 204 again); a
    /// `Some(location)` makes it a redirect there.
    pub fn answer_next(&self, answers: &[(u16, Option<&str>)]) {
        let mut state = self.state.lock().expect("receiver state");
        state.script.extend(answers.iter().map(|(s, l)| (*s, l.map(str::to_owned))));
    }

    /// Answer every request not scripted with `status` from now on.
    pub fn answer_otherwise(&self, status: u16) {
        self.state.lock().expect("receiver state").otherwise = Some(status);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().expect("receiver state").received.clone()
    }

    /// Wait (up to 20 s) until `done` holds for what was received.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        crate::eventually(what, || self.received(), done).await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: tokio::net::TcpStream, state: Arc<Mutex<State>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, head) = loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break (end + 4, String::from_utf8_lossy(&buffer[..end]).into_owned());
        }
    };
    let mut lines = head.split("\r\n");
    let path = lines.next().and_then(|l| l.split(' ').nth(1)).unwrap_or_default().to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let body = String::from_utf8_lossy(&buffer[head_end..(head_end + length).min(buffer.len())]).into_owned();
    let (status, location) = {
        let mut state = state.lock().expect("receiver state");
        state.received.push(Received { path, headers, body });
        let otherwise = state.otherwise.unwrap_or(204);
        state.script.pop_front().unwrap_or((otherwise, None))
    };
    let answer_body = if status >= 400 { "the receiver is down for maintenance" } else { "" };
    let location = location.map(|l| format!("Location: {l}\r\n")).unwrap_or_default();
    let response = format!(
        "HTTP/1.1 {status} Scripted\r\n{location}Content-Length: {}\r\nConnection: close\r\n\r\n{answer_body}",
        answer_body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}
