//! A reference library, run as a Python worker process (see
//! `bench/reference/worker.py` for the line protocol).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

use crate::{Precision, Sizes};

/// A running worker.
pub struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    log: PathBuf,
    /// Library name for the report.
    pub library: String,
    /// Version string.
    pub version: String,
    /// Python version.
    pub python: String,
    /// Precision in bits.
    pub precision: Precision,
    /// Serialized sizes.
    pub sizes: Sizes,
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

fn count(v: &Value, key: &str) -> usize {
    v.get(key)
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
}

impl Worker {
    /// Starts `bench/reference/<script>` with the environment's Python, one
    /// OpenMP thread and the shared inputs (`--inputs`), and waits for its
    /// ready line.
    ///
    /// # Errors
    /// Why the library is not available: no environment (run the set-up
    /// script), or the worker's own error.
    pub fn start(
        dir: &Path,
        env: &str,
        script: &str,
        preset: &str,
        inputs: &Path,
    ) -> Result<Self, String> {
        let python = dir.join(".venv").join(env).join("bin/python");
        if !python.exists() {
            return Err(format!(
                "not installed ({} missing; run `bash bench/reference/setup.sh`)",
                python.display()
            ));
        }
        let log = std::env::temp_dir().join(format!("compare-{env}-{}.log", std::process::id()));
        let stderr = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let mut child = Command::new(&python)
            .arg(dir.join(script))
            .args(["--preset", preset])
            .arg("--inputs")
            .arg(inputs)
            .current_dir(dir)
            .env("OMP_NUM_THREADS", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("{}: {e}", python.display()))?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut w = Self {
            child,
            stdin,
            stdout,
            log,
            library: String::new(),
            version: String::new(),
            python: String::new(),
            precision: Precision::default(),
            sizes: Sizes::default(),
        };
        let ready = w.read()?;
        w.library = ready["library"].as_str().unwrap_or(env).to_owned();
        w.version = ready["version"].as_str().unwrap_or("?").to_owned();
        w.python = ready["python"].as_str().unwrap_or("?").to_owned();
        let p = &ready["precision"];
        w.precision = Precision {
            fresh: num(p, "fresh"),
            mul_relin_rescale: num(p, "mul_relin_rescale"),
            rotate: num(p, "rotate"),
            dot30: num(p, "dot30"),
        };
        let s = &ready["sizes"];
        w.sizes = Sizes {
            ciphertext: count(s, "ciphertext"),
            relin_key: count(s, "relin_key"),
            galois_keys: count(s, "galois_keys"),
            galois_key_count: count(s, "galois_key_count"),
        };
        Ok(w)
    }

    /// Reads one JSON line; an `error` line or end of output is an error
    /// carrying the worker's message or the tail of its log.
    fn read(&mut self) -> Result<Value, String> {
        let mut line = String::new();
        let n = self
            .stdout
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if n == 0 {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            return Err(format!(
                "the worker exited: {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
        let v: Value =
            serde_json::from_str(&line).map_err(|e| format!("worker said {line:?}: {e}"))?;
        if let Some(err) = v.get("error").and_then(Value::as_str) {
            let last = err.trim().lines().last().unwrap_or(err);
            return Err(format!("worker error: {last}"));
        }
        Ok(v)
    }

    /// One round of `reps`, in nanoseconds per sample.
    ///
    /// # Errors
    /// The worker's error, or its exit.
    pub fn round(&mut self, reps: &[(&str, usize)]) -> Result<BTreeMap<String, Vec<f64>>, String> {
        let reps: serde_json::Map<String, Value> = reps
            .iter()
            .map(|&(op, n)| (op.to_owned(), json!(n)))
            .collect();
        writeln!(self.stdin, "{}", json!({ "reps": reps })).map_err(|e| e.to_string())?;
        self.stdin.flush().map_err(|e| e.to_string())?;
        let v = self.read()?;
        let mut out = BTreeMap::new();
        if let Some(samples) = v["samples"].as_object() {
            for (op, s) in samples {
                let s: Vec<f64> = s
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_f64).collect())
                    .unwrap_or_default();
                out.insert(op.clone(), s);
            }
        }
        Ok(out)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"quit": true}));
        let _ = self.stdin.flush();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}
