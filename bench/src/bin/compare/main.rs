//! This library side by side with SEAL (through TenSEAL) and OpenFHE, on
//! the same machine, in one run.
//!
//! ```text
//! bash bench/reference/setup.sh                  # once: the reference environments
//! cargo run -p bench --release --bin compare     # [--rounds 5] [--presets seed,depth3] [--quick]
//! ```
//!
//! For each preset, the three libraries run interleaved (ours, SEAL,
//! OpenFHE, ours, SEAL, …), `--rounds` rounds of a fixed number of
//! repetitions of every operation, each on one thread; the report takes the
//! median of all repetitions. It rewrites the part of `docs/benchmarks.md`
//! between the `compare:begin` and `compare:end` markers (times, ratios,
//! sizes, precision in bits, the machine) and draws `docs/benchmarks.png`.
//! A reference that is not installed is reported as such, not fatal.

mod chart;
mod ours;
mod reference;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use ckks::ParamsSpec;

/// Features of the dot product and the pipelines.
pub const FEATURES: usize = 30;
/// Slots per patient in the batched layout.
pub const STRIDE: usize = 32;

/// The inputs every library works on, generated here and handed to the
/// Python workers in a file (`--inputs`), so that the precision rows
/// compare the same values: `x`, `y` uniform in [−1, 1] over every slot,
/// `FEATURES` weights and a bias, from ChaCha20 with seed 7.
pub struct Inputs {
    /// The first operand, every slot.
    pub x: Vec<f64>,
    /// The second operand of the product, every slot.
    pub y: Vec<f64>,
    /// The model's weights.
    pub w: Vec<f64>,
    /// The model's bias.
    pub bias: f64,
}

impl Inputs {
    fn new(slots: usize) -> Self {
        use rand::{Rng, SeedableRng};
        let mut rng = ckks::rng::ChaCha20::seed_from_u64(7);
        let mut uniform =
            |n: usize| -> Vec<f64> { (0..n).map(|_| rng.gen_range(-1.0..1.0)).collect() };
        let (x, y, w) = (uniform(slots), uniform(slots), uniform(FEATURES));
        let bias = uniform(1)[0];
        Self { x, y, w, bias }
    }

    /// Writes them as JSON (`{"x": [...], "y": [...], "w": [...], "b": ...}`)
    /// for the workers; `f64`'s shortest round-trip form, so Python reads
    /// back the same doubles.
    fn write(&self, path: &Path) -> Result<(), String> {
        let json = serde_json::json!({ "x": self.x, "y": self.y, "w": self.w, "b": self.bias });
        std::fs::write(path, json.to_string()).map_err(|e| format!("{}: {e}", path.display()))
    }
}

/// Fresh encryptions whose precision is averaged (the maximum error over
/// the slots of one encryption varies by a few tenths of a bit from one to
/// the next); `bench/reference/worker.py` uses the same number.
pub const PRECISION_TRIALS: usize = 64;

/// Bits of precision, `−log2(max |error|)` over every slot (the mean over
/// [`PRECISION_TRIALS`] encryptions).
#[derive(Clone, Copy, Debug, Default)]
pub struct Precision {
    /// Decrypt(encrypt(x)) − x.
    pub fresh: f64,
    /// x·y after relinearization and rescale.
    pub mul_relin_rescale: f64,
    /// Rotation by one.
    pub rotate: f64,
    /// The 30-element dot product of every block.
    pub dot30: f64,
}

/// Serialized sizes in bytes, each library's default format.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sizes {
    /// A fresh public-key ciphertext at the top level.
    pub ciphertext: usize,
    /// The relinearization key.
    pub relin_key: usize,
    /// All Galois keys of the key-generation operation.
    pub galois_keys: usize,
    /// How many Galois keys that is.
    pub galois_key_count: usize,
}

/// The operations, their report labels and repetitions per round.
const OPS: [(&str, &str, usize); 13] = [
    ("keygen", "key generation: sk, pk, relin, Galois ±2^k", 2),
    ("encode", "encode 4096 values", 20),
    ("encrypt", "encrypt (public key)", 20),
    ("decrypt_decode", "decrypt + decode", 20),
    ("add", "add", 40),
    ("mul_plain", "ct × pt (no rescale)", 40),
    ("mul_relin", "ct × ct + relinearize", 20),
    ("rescale", "rescale", 20),
    ("rotate", "rotate by 1 (all primes)", 20),
    (
        "dot30",
        "30-element dot product (ct×pt, rescale, 5 rotations)",
        10,
    ),
    (
        "patient",
        "pipeline, 1 patient (encode, encrypt, dot, bias, decrypt)",
        10,
    ),
    ("batched", "pipeline, 128 patients in one ciphertext", 10),
    (
        "patient_study",
        "the study's TenSEAL loop, 1 patient (13 rotations)",
        5,
    ),
];

/// One library's results under one preset.
struct LibResult {
    name: String,
    version: String,
    /// `None`: not available, with the reason in `missing`.
    samples: Option<BTreeMap<String, Vec<f64>>>,
    missing: String,
    precision: Precision,
    sizes: Sizes,
}

impl LibResult {
    fn median(&self, op: &str) -> Option<f64> {
        let s = self.samples.as_ref()?.get(op)?;
        if s.is_empty() {
            return None;
        }
        let mut v = s.clone();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        Some(if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        })
    }

    fn count(&self, op: &str) -> usize {
        self.samples
            .as_ref()
            .and_then(|s| s.get(op))
            .map_or(0, Vec::len)
    }
}

struct PresetResult {
    name: String,
    spec: ParamsSpec,
    libs: Vec<LibResult>,
}

fn parse_args() -> Result<(usize, Vec<String>, usize, PathBuf, PathBuf), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut rounds = 5;
    let mut presets = vec!["seed".to_owned(), "depth3".to_owned()];
    let mut divide = 1;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = root.join("docs/benchmarks.md");
    let mut chart = root.join("docs/benchmarks.png");
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1);
        match args[i].as_str() {
            "--rounds" => {
                rounds = value
                    .and_then(|v| v.parse().ok())
                    .filter(|&r| (1..=100).contains(&r))
                    .ok_or("--rounds takes 1 to 100")?;
                i += 1;
            }
            "--presets" => {
                presets = value
                    .ok_or("--presets takes a list such as seed,depth3")?
                    .split(',')
                    .map(str::to_owned)
                    .collect();
                if let Some(p) = presets
                    .iter()
                    .find(|p| !["seed", "depth3"].contains(&p.as_str()))
                {
                    return Err(format!(
                        "preset {p}: the references are set up for seed and depth3"
                    ));
                }
                i += 1;
            }
            "--quick" => {
                rounds = 2;
                divide = 4;
            }
            "--out" => {
                out = value.ok_or("--out takes a file")?.into();
                i += 1;
            }
            "--chart" => {
                chart = value.ok_or("--chart takes a file")?.into();
                i += 1;
            }
            "-h" | "--help" => {
                return Err("usage: compare [--rounds N] [--presets seed,depth3] [--quick] [--out docs/benchmarks.md] [--chart docs/benchmarks.png]".into());
            }
            other => return Err(format!("unknown argument {other}")),
        }
        i += 1;
    }
    Ok((rounds, presets, divide, out, chart))
}

fn run_preset(name: &str, rounds: usize, divide: usize) -> Result<PresetResult, String> {
    let spec = ParamsSpec::preset(name).ok_or_else(|| format!("no preset {name}"))?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("reference");
    let slots = 1usize << (spec.log_n - 1);
    let inputs = Inputs::new(slots);
    let inputs_path =
        std::env::temp_dir().join(format!("compare-inputs-{}.json", std::process::id()));
    inputs.write(&inputs_path)?;
    eprintln!("[{name}] setting up ours");
    let ours = ours::Ours::new(&spec, &inputs)?;
    let mut refs: Vec<(String, Result<reference::Worker, String>)> = Vec::new();
    for (label, env, script) in [
        ("SEAL", "seal", "seal_worker.py"),
        ("OpenFHE", "openfhe", "openfhe_worker.py"),
    ] {
        eprintln!("[{name}] starting {label}");
        let w = reference::Worker::start(&dir, env, script, name, &inputs_path);
        if let Err(e) = &w {
            eprintln!("[{name}] {label}: {e}");
        }
        refs.push((label.to_owned(), w));
    }
    // Every worker has read the inputs before its ready line.
    let _ = std::fs::remove_file(&inputs_path);
    let reps: Vec<(&str, usize)> = OPS
        .iter()
        .map(|&(op, _, n)| (op, (n / divide).max(1)))
        .collect();
    let mut ours_samples: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut ref_samples: Vec<BTreeMap<String, Vec<f64>>> = vec![BTreeMap::new(); refs.len()];
    for round in 0..rounds {
        eprintln!("[{name}] round {}/{rounds}", round + 1);
        for (op, s) in ours.round(&reps)? {
            ours_samples.entry(op).or_default().extend(s);
        }
        for (i, (label, w)) in refs.iter_mut().enumerate() {
            let Ok(worker) = w else { continue };
            match worker.round(&reps) {
                Ok(r) => {
                    for (op, s) in r {
                        ref_samples[i].entry(op).or_default().extend(s);
                    }
                }
                Err(e) => {
                    eprintln!("[{name}] {label} failed: {e}");
                    *w = Err(format!("failed during the run: {e}"));
                }
            }
        }
    }
    let mut libs = vec![LibResult {
        name: "ours".into(),
        version: format!("this workspace {}", env!("CARGO_PKG_VERSION")),
        samples: Some(ours_samples),
        missing: String::new(),
        precision: ours.precision,
        sizes: ours.sizes,
    }];
    for ((label, w), samples) in refs.into_iter().zip(ref_samples) {
        libs.push(match w {
            Ok(worker) => LibResult {
                name: label,
                version: format!("{}, Python {}", worker.version, worker.python),
                samples: Some(samples),
                missing: String::new(),
                precision: worker.precision,
                sizes: worker.sizes,
            },
            Err(e) => LibResult {
                name: label,
                version: String::new(),
                samples: None,
                missing: e,
                precision: Precision::default(),
                sizes: Sizes::default(),
            },
        });
    }
    Ok(PresetResult {
        name: name.to_owned(),
        spec,
        libs,
    })
}

fn fmt_time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

fn fmt_bytes(b: usize) -> String {
    let s = b.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn first_line(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// CPU model, the SIMD flags that matter here, cores, kernel, date.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map_or("?".to_owned(), |(_, v)| v.trim().to_owned())
    };
    let flags = field("flags");
    let simd: Vec<&str> = [
        "avx2",
        "avx512f",
        "avx512dq",
        "avx512vl",
        "avx512bw",
        "avx512ifma",
    ]
    .into_iter()
    .filter(|f| flags.split_whitespace().any(|x| x == *f))
    .collect();
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let ntt: Vec<String> = [40u32, 49, 60]
        .iter()
        .map(|&b| format!("{b}-bit {:?}", ckks::math::ntt::Backend::best_for(b)))
        .collect();
    format!(
        "{} · flags {} · {cores} cores available · Linux {} · {} · {} UTC · our NTT backends: {}",
        field("model name"),
        simd.join(" "),
        kernel.trim(),
        first_line("rustc", &["--version"]),
        first_line("date", &["-u", "+%Y-%m-%d %H:%M"]),
        ntt.join(", ")
    )
}

fn ratio(ours: Option<f64>, theirs: Option<f64>) -> String {
    match (ours, theirs) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "—".into(),
    }
}

fn report(results: &[PresetResult], rounds: usize, divide: usize, elapsed: f64) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "## Side by side with SEAL and OpenFHE (one run)\n");
    let _ = writeln!(
        s,
        "Written by `cargo run -p bench --release --bin compare` (after `bash bench/reference/setup.sh`); \
         this section and `docs/benchmarks.png` are replaced by each run.\n"
    );
    let _ = writeln!(s, "- Machine: {}.", machine());
    for lib in &results[0].libs {
        if lib.samples.is_some() {
            let _ = writeln!(s, "- {}: {}.", lib.name, lib.version);
        } else {
            let _ = writeln!(s, "- {}: **not measured**: {}.", lib.name, lib.missing);
        }
    }
    let _ = writeln!(
        s,
        "- The reference wheels from PyPI are generic x86-64 builds: no HEXL, no AVX/AVX-512 kernels. \
         Ours picks its NTT backend per prime at run time (above). Every library runs on one thread \
         (OpenFHE with `OMP_NUM_THREADS=1`); Python call overhead is inside the reference times.\n\
         - OpenFHE (†) runs at `HEStd_NotSet`: with hybrid key switching its special primes take \
         log2(QP) past the 218-bit bound of N = 8192, so it refuses 128-bit security there; it also \
         chooses its own special primes.\n\
         - Method: {rounds} rounds, libraries interleaved within each round (ours, SEAL, OpenFHE, ours, …); \
         every repetition timed alone; the tables give the median of all repetitions of a round set \
         ({}) and ratios of medians (below 1: ours is faster). Whole run: {elapsed:.0} s.\n",
        if divide == 1 { "full repetitions" } else { "`--quick`: a quarter of the repetitions" }
    );
    for r in results {
        let spec = &r.spec;
        let _ = writeln!(
            s,
            "### `{}`: N = {}, primes {:?} + special {:?}, scale 2^{}\n",
            r.name,
            1u64 << spec.log_n,
            spec.log_q,
            spec.log_p,
            spec.log_scale
        );
        let _ = writeln!(
            s,
            "| operation | ours | SEAL | OpenFHE † | ours / SEAL | ours / OpenFHE | repetitions |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|---:|");
        for &(op, label, _) in &OPS {
            let m: Vec<Option<f64>> = r.libs.iter().map(|l| l.median(op)).collect();
            if m.iter().all(Option::is_none) {
                continue;
            }
            let cell = |x: Option<f64>| x.map_or("—".into(), fmt_time);
            let _ = writeln!(
                s,
                "| {label} | {} | {} | {} | {} | {} | {} |",
                cell(m[0]),
                cell(m[1]),
                cell(m[2]),
                ratio(m[0], m[1]),
                ratio(m[0], m[2]),
                r.libs
                    .iter()
                    .map(|l| l.count(op).to_string())
                    .collect::<Vec<_>>()
                    .join(" / ")
            );
        }
        let per_s =
            |ns: Option<f64>, n: f64| ns.map_or("—".into(), |t| format!("{:.0}", n * 1e9 / t));
        let b: Vec<Option<f64>> = r.libs.iter().map(|l| l.median("batched")).collect();
        let p: Vec<Option<f64>> = r.libs.iter().map(|l| l.median("patient")).collect();
        let _ = writeln!(
            s,
            "\nPatients per second on one thread: batched {} (ours) / {} (SEAL) / {} (OpenFHE); \
             one at a time {} / {} / {}.\n",
            per_s(b[0], 128.0),
            per_s(b[1], 128.0),
            per_s(b[2], 128.0),
            per_s(p[0], 1.0),
            per_s(p[1], 1.0),
            per_s(p[2], 1.0)
        );
        let _ = writeln!(
            s,
            "| size (bytes, each library's default format) | ours | SEAL | OpenFHE † |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|");
        let size_row = |s: &mut String, label: &str, f: &dyn Fn(&Sizes) -> usize| {
            let cells: Vec<String> = r
                .libs
                .iter()
                .map(|l| {
                    if l.samples.is_some() {
                        fmt_bytes(f(&l.sizes))
                    } else {
                        "—".into()
                    }
                })
                .collect();
            let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
        };
        size_row(
            &mut s,
            "fresh ciphertext (public-key encrypted, all primes)",
            &|z| z.ciphertext,
        );
        size_row(&mut s, "relinearization key", &|z| z.relin_key);
        size_row(&mut s, "Galois keys of the key generation above", &|z| {
            z.galois_keys
        });
        size_row(&mut s, "  how many keys", &|z| z.galois_key_count);
        let _ = writeln!(
            s,
            "\n| precision (bits, −log2 max error over 4096 slots, mean over {PRECISION_TRIALS} encryptions, inputs uniform in [−1, 1]) | ours | SEAL | OpenFHE † |"
        );
        let _ = writeln!(s, "|---|---:|---:|---:|");
        let prec_row = |s: &mut String, label: &str, f: &dyn Fn(&Precision) -> f64| {
            let cells: Vec<String> = r
                .libs
                .iter()
                .map(|l| {
                    if l.samples.is_some() {
                        format!("{:.2}", f(&l.precision))
                    } else {
                        "—".into()
                    }
                })
                .collect();
            let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
        };
        prec_row(&mut s, "decrypt(encrypt(x))", &|p| p.fresh);
        prec_row(&mut s, "x·y, relinearized and rescaled", &|p| {
            p.mul_relin_rescale
        });
        prec_row(&mut s, "rotate by 1", &|p| p.rotate);
        prec_row(&mut s, "30-element dot product", &|p| p.dot30);
        let _ = writeln!(s);
    }
    s
}

const BEGIN: &str = "<!-- compare:begin -->";
const END: &str = "<!-- compare:end -->";

/// Replaces the marked section of `path` (or inserts it after the title).
fn write_section(path: &Path, section: &str) -> Result<(), String> {
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let block = format!("{BEGIN}\n{section}{END}\n");
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(b)) if b > a => format!(
            "{}{block}{}",
            &old[..a],
            old[b + END.len()..].trim_start_matches('\n')
        ),
        _ => match old.find('\n') {
            Some(nl) if old.starts_with("# ") => {
                format!(
                    "{}\n\n{block}\n{}",
                    &old[..nl],
                    old[nl + 1..].trim_start_matches('\n')
                )
            }
            _ => format!("{block}\n{old}"),
        },
    };
    let tmp = path.with_extension("md.tmp");
    std::fs::write(&tmp, new).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    let (rounds, presets, divide, out, chart_path) = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = ckks::math::ntt::backend_from_env() {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    bench::single_thread();
    let started = Instant::now();
    let mut results = Vec::new();
    for p in &presets {
        match run_preset(p, rounds, divide) {
            Ok(r) => results.push(r),
            Err(e) => {
                eprintln!("error: {p}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let section = report(&results, rounds, divide, started.elapsed().as_secs_f64());
    print!("{section}");
    if let Err(e) = write_section(&out, &section) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    let chart_rows: Vec<chart::Row> = results
        .iter()
        .flat_map(|r| {
            OPS.iter()
                .filter(|(op, _, _)| *op != "patient_study" && *op != "keygen")
                .map(move |&(op, _, _)| chart::Row {
                    label: format!("{} {op}", r.name),
                    times_us: r
                        .libs
                        .iter()
                        .map(|l| l.median(op).map(|t| t / 1e3))
                        .collect(),
                })
        })
        .collect();
    let names: Vec<String> = results[0].libs.iter().map(|l| l.name.clone()).collect();
    if let Err(e) = chart::draw(&chart_path, &names, &chart_rows) {
        eprintln!("error: {}: {e}", chart_path.display());
        return ExitCode::FAILURE;
    }
    eprintln!(
        "wrote {} and {} in {:.0} s",
        out.display(),
        chart_path.display(),
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}
