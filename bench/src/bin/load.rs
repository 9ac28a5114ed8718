//! Load test of the HTTP inference service, on loopback, bounded.
//!
//! ```text
//! cargo run --release -p bench --bin load -- [--clients 4] [--requests 2000] [--concurrency 2]
//! ```
//!
//! Trains the 30-feature batched model, starts `hediag serve` in a child
//! process (this binary, re-executed) on an ephemeral port, gives each
//! client its own keys (uploaded once) and a query of the 114 bundled test
//! patients, then lets the clients send `--requests` inferences in all,
//! concurrently. Each client decrypts its first and last answers and checks
//! every diagnosis against the plaintext model. Prints requests/s,
//! patients/s, latency percentiles, failed requests and the server's peak
//! resident memory; exits non-zero if any request failed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hediag::client::Client;
use hediag::parties::{self, keyfiles, PatientKeys, TrainOptions};
use ml::encrypted::Layout;
use ml::{Model, Records};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

fn arg(args: &[String], name: &str, default: usize) -> Result<usize, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .filter(|&v| v > 0)
            .ok_or_else(|| format!("{name} takes a positive number")),
    }
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at]
}

fn serve_child(model: &str, state: &str, concurrency: usize) -> ExitCode {
    let mut opts = hediag::serve::ServeOptions::new(model.into(), state.into());
    opts.concurrency = concurrency;
    match hediag::serve::serve(opts, "127.0.0.1:0".parse().expect("literal address")) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Client1 {
    keys: PatientKeys,
    key_id: String,
    query: Vec<u8>,
}

fn run(args: &[String]) -> Result<(), String> {
    let clients = arg(args, "--clients", 4)?;
    let requests = arg(args, "--requests", 2000)?;
    let concurrency = arg(args, "--concurrency", 2)?;
    let dir = std::env::temp_dir().join(format!("hediag-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let model_path = dir.join("model.json");
    parties::hospital_train(&TrainOptions {
        data: data("wdbc.csv"),
        split: Some(data("wdbc_split_seed42.csv")),
        features: 30,
        preset: "seed".into(),
        layout: Layout::Batched,
        sigmoid: None,
        out: model_path.clone(),
    })
    .map_err(|e| e.to_string())?;
    let model = Model::load(&model_path).map_err(|e| e.to_string())?;
    let records =
        Records::load(data("patients.csv"), &model.features).map_err(|e| e.to_string())?;
    let expected: Vec<&str> = parties::plaintext_logits(&model, &records)
        .map_err(|e| e.to_string())?
        .iter()
        .map(|&z| if z >= 0.0 { "malignant" } else { "benign" })
        .collect();

    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("server.log")).map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .args(["--serve-child", model_path.to_str().unwrap()])
        .arg(dir.join("state"))
        .arg(concurrency.to_string())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .ok_or_else(|| {
            format!(
                "server said {line:?}; see {}",
                dir.join("server.log").display()
            )
        })?
        .to_owned();
    let timeout = Duration::from_secs(120);
    let at_rest = peak_kib(child.id()).unwrap_or(0);

    // Set-up, not timed: keys, one upload and one query per client.
    let mut set = Vec::new();
    for c in 0..clients {
        let kdir = dir.join(format!("keys{c}"));
        parties::patient_keygen(&model_path, &kdir, None, false).map_err(|e| e.to_string())?;
        let mut keys = PatientKeys::load(&kdir).map_err(|e| e.to_string())?;
        let bundle = std::fs::read(kdir.join(keyfiles::BUNDLE)).map_err(|e| e.to_string())?;
        let key_id = Client::new(&url, timeout)
            .upload_keys(&bundle)
            .map_err(|e| e.to_string())?;
        let query =
            parties::patient_encrypt_bytes(&mut keys, &records, None).map_err(|e| e.to_string())?;
        set.push(Client1 {
            keys,
            key_id,
            query,
        });
    }

    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let latencies: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = set
            .iter()
            .map(|c| {
                let (next, failed, url, expected) = (&next, &failed, &url, &expected);
                s.spawn(move || {
                    let client = Client::new(url, timeout);
                    let mut lat = Vec::new();
                    let mut last = None;
                    while next.fetch_add(1, Ordering::Relaxed) < requests {
                        let t = Instant::now();
                        match client.infer(&c.key_id, &c.query) {
                            Ok(answer) => {
                                lat.push(t.elapsed().as_secs_f64() * 1e3);
                                if lat.len() == 1 {
                                    last = Some(answer);
                                    check(c, last.as_deref(), expected, failed);
                                } else {
                                    last = Some(answer);
                                }
                            }
                            Err(e) => {
                                eprintln!("request failed: {e}");
                                failed.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                    check(c, last.as_deref(), expected, failed);
                    lat
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client thread"))
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let peak = peak_kib(child.id()).unwrap_or(0);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let exit = child.wait().map_err(|e| e.to_string())?;

    let mut sorted = latencies.clone();
    sorted.sort_by(f64::total_cmp);
    let ok = latencies.len();
    let failed = failed.load(Ordering::Relaxed);
    println!("load test: {clients} clients, {requests} requests of {} patients each (30 features, batched, seed preset), server concurrency {concurrency}", records.len());
    println!("  succeeded        {ok}");
    println!("  failed           {failed}");
    println!("  wall time        {wall:.2} s");
    println!("  requests/s       {:.1}", ok as f64 / wall);
    println!(
        "  patients/s       {:.0}",
        (ok * records.len()) as f64 / wall
    );
    println!(
        "  latency ms       p50 {:.1}  p99 {:.1}  max {:.1}",
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        sorted.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "  server memory    peak {:.1} MiB (after start-up {:.1} MiB)",
        peak as f64 / 1024.0,
        at_rest as f64 / 1024.0
    );
    println!("  server exit      {exit} after SIGTERM");
    let _ = std::fs::remove_dir_all(&dir);
    if failed > 0 || ok != requests || !exit.success() {
        return Err(format!("{failed} failed requests, server exit {exit}"));
    }
    Ok(())
}

/// Decrypts an answer and counts a failure unless every diagnosis matches.
fn check(c: &Client1, answer: Option<&[u8]>, expected: &[&str], failed: &AtomicUsize) {
    let Some(answer) = answer else { return };
    match parties::decrypt_answer(&c.keys, answer, "answer", None) {
        Ok(d) if d.iter().map(|d| d.diagnosis).eq(expected.iter().copied()) => {}
        Ok(_) => {
            eprintln!("an answer's diagnoses differ from the plaintext model's");
            failed.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            eprintln!("an answer did not decrypt: {e}");
            failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve-child") {
        let concurrency = args.get(4).and_then(|c| c.parse().ok()).unwrap_or(2);
        return serve_child(&args[2], &args[3], concurrency);
    }
    if let Err(e) = ckks::math::ntt::backend_from_env() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    match run(&args[1..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
