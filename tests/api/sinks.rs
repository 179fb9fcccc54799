//! Real receivers for the outbox (tests/outreach/sink.py): an SMTP server (aiosmtpd) and an HTTP
//! endpoint that verifies Standard Webhooks signatures with the `standardwebhooks` package.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The SMS gateway's signing secret in the tests.
pub const SMS_SECRET: &str = "whsec_dGVzdC1zbXMtZ2F0ZXdheS1zaWduaW5nLWtleS0wMTIzNDU2Nzg5";

pub struct Sink {
    child: Child,
    pub port: u16,
    received: Arc<Mutex<Vec<Value>>>,
}

impl Sink {
    fn start(args: &[&str]) -> Sink {
        let script = format!("{}/tests/outreach/sink.py", env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new("python3")
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs tests/outreach/sink.py");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines
            .next()
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("the sink did not start: python3 -m pip install -r .ci/requirements.txt"));
        let port = first
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("sink said {first:?}"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let into = received.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                into.lock()
                    .unwrap()
                    .push(serde_json::from_str(&line).expect("sink JSON"));
            }
        });
        Sink { child, port, received }
    }

    /// A local SMTP server; the first `fail_first` messages get 451.
    pub fn smtp(fail_first: usize) -> Sink {
        Sink::start(&["smtp", "--fail-first", &fail_first.to_string()])
    }

    /// A local SMS gateway checking signatures under [`SMS_SECRET`]; the first `fail_first`
    /// requests get 503.
    pub fn sms_gateway(fail_first: usize) -> Sink {
        Sink::start(&["http", "--secret", SMS_SECRET, "--fail-first", &fail_first.to_string()])
    }

    /// A webhook receiver verifying with the secrets in `secret_file` (one a line, read on every
    /// request); the first `fail_first` requests get 503.
    pub fn webhook_receiver(secret_file: &std::path::Path, fail_first: usize) -> Sink {
        Sink::start(&[
            "http",
            "--secret-file",
            secret_file.to_str().unwrap(),
            "--fail-first",
            &fail_first.to_string(),
        ])
    }

    /// What arrived so far.
    pub fn received(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until `n` messages have arrived and returns them. A delivery is
    /// recorded as sent only after the server accepted it; the sink's output may trail by moments.
    pub fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() > deadline {
                assert_eq!(got.len(), n, "messages received: {got:#?}");
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}/sms", self.port)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
