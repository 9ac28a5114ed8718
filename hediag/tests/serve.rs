//! The HTTP service and its client, on loopback with ephemeral ports:
//! diagnoses equal the plaintext model's, bad requests get JSON 4xx and
//! the server keeps serving, uploaded keys survive a restart, the key
//! store evicts its oldest bundles and the client recovers.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{check_diagnoses, data, ok, run, scratch, text, train};

/// A running `hediag serve`, stopped with SIGTERM on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path, model: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hediag"))
            .current_dir(dir)
            .args(["serve", "--model", model, "--addr", "127.0.0.1:0"])
            .args(["--state-dir", "state"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join(format!("{model}.log"))).unwrap(),
            ))
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { child, url }
    }

    /// SIGTERM, and the exit status must be success (graceful shutdown).
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "server exit: {status}");
        std::mem::forget(self);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build()
}

/// POSTs `body`; returns the status and the body text.
fn post(url: &str, body: &[u8]) -> (u16, String) {
    match agent()
        .post(url)
        .set("content-type", "application/octet-stream")
        .send_bytes(body)
    {
        Ok(r) => {
            let status = r.status();
            let mut b = Vec::new();
            r.into_reader().read_to_end(&mut b).unwrap();
            (status, String::from_utf8_lossy(&b).into_owned())
        }
        Err(ureq::Error::Status(code, r)) => (code, r.into_string().unwrap()),
        Err(e) => panic!("{url}: {e}"),
    }
}

/// Asserts a JSON error with `status` and `code`.
fn refused(url: &str, body: &[u8], status: u16, code: &str) {
    let (s, text) = post(url, body);
    assert_eq!(s, status, "{url}: {text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("a JSON error body");
    assert_eq!(v["error"]["code"], code, "{text}");
    assert!(v["error"]["message"].as_str().unwrap().len() > 10);
}

fn healthy(url: &str) {
    let r = agent().get(&format!("{url}/healthz")).call().unwrap();
    assert_eq!(r.status(), 200);
}

fn submit(dir: &Path, url: &str, keys: &str) -> String {
    let patients = data("patients.csv");
    ok(
        dir,
        &[
            "patient",
            "submit",
            "--server",
            url,
            patients.to_str().unwrap(),
            "--keys",
            keys,
            "--json",
        ],
    )
}

#[test]
fn service_answers_as_the_plaintext_model_refuses_bad_requests_and_keeps_keys() {
    let dir = scratch("serve");
    train(&dir, "model.json", &["--features", "30"]);
    train(&dir, "other.json", &["--features", "10"]);
    let server = Server::start(&dir, "model.json", &[]);
    let url = server.url.clone();

    let json = submit(&dir, &url, "keys");
    check_diagnoses(&json, &dir.join("model.json"));
    let key_id = std::fs::read_to_string(dir.join("keys/server-key-id")).unwrap();
    let infer = format!("{url}/v1/infer?key={key_id}");

    // A query the service can evaluate, and one made for another model.
    let patients = data("patients.csv");
    let patients = patients.to_str().unwrap();
    ok(
        &dir,
        &[
            "patient",
            "encrypt",
            "--model",
            "keys/model.json",
            "--keys",
            "keys",
            patients,
            "--out",
            "query.ct",
        ],
    );
    ok(
        &dir,
        &[
            "patient",
            "keygen",
            "--model",
            "other.json",
            "--out",
            "okeys",
        ],
    );
    ok(
        &dir,
        &[
            "patient",
            "encrypt",
            "--model",
            "other.json",
            "--keys",
            "okeys",
            patients,
            "--out",
            "other.ct",
        ],
    );
    let query = std::fs::read(dir.join("query.ct")).unwrap();

    let keys = format!("{url}/v1/keys");
    refused(&keys, b"garbage", 400, "malformed");
    refused(&keys, b"", 400, "empty_body");
    refused(
        &keys,
        &std::fs::read(dir.join("keys/secret.key")).unwrap(),
        422,
        "secret_key_refused",
    );
    refused(
        &keys,
        &std::fs::read(dir.join("okeys/public.bundle")).unwrap(),
        422,
        "wrong_model",
    );
    refused(&keys, &query, 422, "wrong_kind");
    refused(
        &format!("{url}/v1/infer?key={}", "0".repeat(32)),
        &query,
        404,
        "unknown_key",
    );
    refused(
        &format!("{url}/v1/infer?key=../../etc"),
        &query,
        400,
        "bad_key_id",
    );
    refused(&format!("{url}/v1/infer"), &query, 400, "missing_key");
    refused(
        &infer,
        &std::fs::read(dir.join("other.ct")).unwrap(),
        422,
        "wrong_model",
    );
    refused(&infer, &query[..query.len() - 7], 400, "malformed");
    refused(&format!("{url}/v2/nothing"), b"x", 404, "not_found");
    healthy(&url);

    // Restart on the same state directory: the bundle is still there.
    server.stop();
    let server = Server::start(&dir, "model.json", &[]);
    let (status, _) = post(&format!("{}/v1/infer?key={key_id}", server.url), &query);
    assert_eq!(status, 200, "the key did not survive the restart");
    let json = submit(&dir, &server.url, "keys");
    check_diagnoses(&json, &dir.join("model.json"));
    // The restarted server's log (a fresh file): it found the stored
    // bundle, and the client never uploaded it again.
    let log = std::fs::read_to_string(dir.join("model.json.log")).unwrap();
    assert!(log.contains("stored_bundles=1"), "{log}");
    assert!(
        !log.contains("key bundle stored"),
        "the client uploaded again after the restart:\n{log}"
    );
    server.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sends headers announcing `len` body bytes but only part of the body,
/// and returns the response's status line.
fn announce(url: &str, len: usize) -> String {
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /v1/keys HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {len}\r\n\r\n"
    )
    .unwrap();
    s.write_all(&[0u8; 1024]).unwrap();
    let mut status = String::new();
    BufReader::new(s).read_line(&mut status).unwrap();
    status
}

#[test]
fn small_store_evicts_the_oldest_bundle_and_the_client_uploads_again() {
    let dir = scratch("evict");
    // Feature-major needs no Galois keys: a bundle is under 1 MiB.
    train(
        &dir,
        "fm.json",
        &["--features", "10", "--layout", "feature-major"],
    );
    let server = Server::start(
        &dir,
        "fm.json",
        &[
            "--max-state-mib",
            "1",
            "--max-keys-mib",
            "1",
            "--max-query-mib",
            "8",
        ],
    );
    let url = server.url.clone();
    check_diagnoses(&submit(&dir, &url, "a"), &dir.join("fm.json"));
    check_diagnoses(&submit(&dir, &url, "b"), &dir.join("fm.json"));
    let stored: Vec<_> = std::fs::read_dir(dir.join("state/keys"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    // `a`'s bundle was evicted; its client sends it again by itself.
    check_diagnoses(&submit(&dir, &url, "a"), &dir.join("fm.json"));
    let log = std::fs::read_to_string(dir.join("fm.json.log")).unwrap();
    assert!(log.contains("evicted the oldest key bundle"), "{log}");
    assert_eq!(log.matches("key bundle stored").count(), 3, "{log}");

    // A body over the cap is refused from its announced length.
    let status = announce(&url, 2 << 20);
    assert!(status.contains("413"), "{status}");
    healthy(&url);
    let o = run(
        &dir,
        &[
            "patient",
            "submit",
            "--server",
            "http://127.0.0.1:9",
            data("patients.csv").to_str().unwrap(),
            "--keys",
            "a",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    server.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}
