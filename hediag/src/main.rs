//! `hediag`: encrypted breast-cancer diagnosis with CKKS.
//!
//! `cargo run --release` runs `hediag demo` with its defaults: train on the
//! bundled data, encrypt the test patients, infer on the ciphertexts in
//! every layout, decrypt, print a report, and write `results.json` and
//! `performance.png` into `target/hediag/`. `hediag hospital …`,
//! `hediag patient …` and `hediag serve` run the two parties apart.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use hediag::demo::{self, DemoOptions};
use hediag::{client, parties, serve};
use ml::encrypted::Layout;

#[derive(Parser, Debug)]
#[command(
    name = "hediag",
    version,
    about = "Encrypted breast-cancer diagnosis with CKKS",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Options of `demo`, which runs when no command is given.
    #[command(flatten)]
    demo: DemoArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train, encrypt the test patients, infer encrypted, decrypt, report.
    Demo(DemoArgs),
    /// The hospital's steps: train a model, describe it, evaluate queries.
    #[command(subcommand)]
    Hospital(HospitalCommand),
    /// The patient's steps: make keys, encrypt records, decrypt answers.
    #[command(subcommand)]
    Patient(PatientCommand),
    /// Serve encrypted inference over HTTP.
    Serve(ServeArgs),
}

fn features_parser() -> impl clap::builder::TypedValueParser<Value = usize> {
    clap::builder::PossibleValuesParser::new(["10", "30"])
        .map(|s| s.parse::<usize>().expect("listed values"))
}

fn layout_parser() -> impl clap::builder::TypedValueParser<Value = Layout> {
    clap::builder::PossibleValuesParser::new(Layout::ALL.map(Layout::name))
        .map(|s| s.parse::<Layout>().expect("listed values"))
}

fn sigmoid_parser() -> impl clap::builder::TypedValueParser<Value = usize> {
    clap::builder::PossibleValuesParser::new(["3", "5", "7"])
        .map(|s| s.parse::<usize>().expect("listed values"))
}

#[derive(Subcommand, Debug)]
enum HospitalCommand {
    /// Train a model and attach its encryption settings.
    Train {
        /// The data set.
        #[arg(long, default_value = "data/wdbc.csv")]
        data: PathBuf,
        /// Train on the `train` rows of this split only (default: all rows).
        #[arg(long)]
        split: Option<PathBuf>,
        /// Features: 10 (the `mean_*` columns) or 30.
        #[arg(long, default_value_t = 30, value_parser = features_parser())]
        features: usize,
        /// Parameter preset.
        #[arg(long, default_value = "seed", value_parser = clap::builder::PossibleValuesParser::new(ckks::ParamsSpec::PRESETS))]
        preset: String,
        /// Packing of patients into ciphertexts.
        #[arg(long, default_value = "batched", value_parser = layout_parser())]
        layout: Layout,
        /// Return a polynomial sigmoid of this degree instead of the logit.
        #[arg(long, value_parser = sigmoid_parser())]
        sigmoid: Option<usize>,
        /// The model file to write.
        #[arg(long, default_value = "model.json")]
        out: PathBuf,
    },
    /// What a patient needs: features, scaler, parameters, layout, rotations.
    Info {
        /// The model file.
        model: PathBuf,
        /// Print the public description as JSON (what `GET /v1/model` serves).
        #[arg(long)]
        json: bool,
    },
    /// Evaluate the model on an encrypted query.
    Infer {
        /// The model file.
        #[arg(long)]
        model: PathBuf,
        /// The patient's public key bundle.
        #[arg(long)]
        eval_keys: PathBuf,
        /// The encrypted query.
        query: PathBuf,
        /// Where to write the encrypted answer.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum PatientCommand {
    /// Make a secret key (mode 0600) and the public bundle for a model.
    Keygen {
        /// The model file or its public description.
        #[arg(long)]
        model: PathBuf,
        /// The key directory.
        #[arg(long)]
        out: PathBuf,
        /// Seed of the key randomness, for reproducible tests only.
        #[arg(long)]
        seed: Option<u64>,
        /// Replace a secret key already in the directory.
        #[arg(long)]
        force: bool,
    },
    /// Standardize, pack and encrypt records.
    Encrypt {
        /// The model file or its public description.
        #[arg(long)]
        model: PathBuf,
        /// The key directory.
        #[arg(long)]
        keys: PathBuf,
        /// The records (CSV with the model's feature columns).
        records: PathBuf,
        /// Where to write the encrypted query.
        #[arg(long)]
        out: PathBuf,
        /// Seed of the encryption randomness, for reproducible tests only.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Decrypt an answer and print the diagnoses.
    Decrypt {
        /// The key directory.
        #[arg(long)]
        keys: PathBuf,
        /// The encrypted answer.
        answer: PathBuf,
        /// The records the query was made from, to label rows by their `id`.
        #[arg(long)]
        records: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Encrypt, send to a server, and decrypt its answer, in one step.
    Submit {
        /// The service's base URL.
        #[arg(long)]
        server: String,
        /// The records (CSV with the model's feature columns).
        records: PathBuf,
        /// The key directory (made on first use, reused after).
        #[arg(long, default_value = "hediag-keys")]
        keys: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Seed of key and encryption randomness, for reproducible tests only.
        #[arg(long)]
        seed: Option<u64>,
        /// Seconds to wait for each request.
        #[arg(long, default_value_t = 300)]
        timeout_secs: u64,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// The model file.
    #[arg(long)]
    model: PathBuf,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Directory of uploaded key bundles (kept across restarts).
    #[arg(long, default_value = "hediag-state")]
    state_dir: PathBuf,
    /// Cap on stored key bundles, in MiB; the oldest are evicted.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u64).range(1..))]
    max_state_mib: u64,
    /// Largest `POST /v1/keys` body (a public key bundle), in MiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_keys_mib: u64,
    /// Largest `POST /v1/infer` body (a query), in MiB.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_query_mib: u64,
    /// Requests evaluated at the same time (default: the cores).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    concurrency: Option<u64>,
    /// Seconds a request may take, waiting included.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    timeout_secs: u64,
    /// Key bundles kept expanded in memory.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=4096))]
    cache: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LayoutArg {
    All,
    PerPatient,
    Batched,
    FeatureMajor,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Features: 10 (the `mean_*` columns, as in the published study) or 30.
    #[arg(long, default_value_t = 30, value_parser = features_parser())]
    features: usize,
    /// Packing of patients into ciphertexts.
    #[arg(long, value_enum, default_value_t = LayoutArg::All)]
    layout: LayoutArg,
    /// Parameter preset.
    #[arg(long, default_value = "seed", value_parser = clap::builder::PossibleValuesParser::new(ckks::ParamsSpec::PRESETS))]
    preset: String,
    /// Directory for results.json and performance.png.
    #[arg(long, default_value = "target/hediag")]
    out: PathBuf,
    /// Seed of the patient's randomness, for reproducible runs
    /// (default: seeded by the OS).
    #[arg(long)]
    seed: Option<u64>,
    /// Return an encrypted probability from a polynomial sigmoid of this
    /// degree (3 needs `--preset depth3`, 5 and 7 `--preset n16k`); by
    /// default the hospital returns the logit.
    #[arg(long, value_parser = sigmoid_parser())]
    sigmoid: Option<usize>,
    /// The data set.
    #[arg(long, default_value = "data/wdbc.csv")]
    data: PathBuf,
    /// The train/test split of the data set.
    #[arg(long, default_value = "data/wdbc_split_seed42.csv")]
    split: PathBuf,
    /// Timed repetitions of the batch layouts (the median is reported).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=1000))]
    repeats: u16,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

impl DemoArgs {
    fn options(&self) -> DemoOptions {
        DemoOptions {
            data: self.data.clone(),
            split: self.split.clone(),
            features: self.features,
            layouts: match self.layout {
                LayoutArg::All => Layout::ALL.to_vec(),
                LayoutArg::PerPatient => vec![Layout::PerPatient],
                LayoutArg::Batched => vec![Layout::Batched],
                LayoutArg::FeatureMajor => vec![Layout::FeatureMajor],
            },
            preset: self.preset.clone(),
            out: self.out.clone(),
            seed: self.seed,
            sigmoid: self.sigmoid,
            repeats: usize::from(self.repeats),
            progress: !self.quiet,
        }
    }
}

fn run_hospital(cmd: HospitalCommand) -> hediag::Result<String> {
    match cmd {
        HospitalCommand::Train {
            data,
            split,
            features,
            preset,
            layout,
            sigmoid,
            out,
        } => parties::hospital_train(&parties::TrainOptions {
            data,
            split,
            features,
            preset,
            layout,
            sigmoid,
            out,
        }),
        HospitalCommand::Info { model, json } => parties::hospital_info(&model, json),
        HospitalCommand::Infer {
            model,
            eval_keys,
            query,
            out,
        } => parties::hospital_infer(&model, &eval_keys, &query, &out),
    }
}

fn run_patient(cmd: PatientCommand) -> hediag::Result<String> {
    match cmd {
        PatientCommand::Keygen {
            model,
            out,
            seed,
            force,
        } => parties::patient_keygen(&model, &out, seed, force),
        PatientCommand::Encrypt {
            model,
            keys,
            records,
            out,
            seed,
        } => parties::patient_encrypt(&model, &keys, &records, &out, seed),
        PatientCommand::Decrypt {
            keys,
            answer,
            records,
            json,
        } => parties::patient_decrypt(&keys, &answer, records.as_deref(), json),
        PatientCommand::Submit {
            server,
            records,
            keys,
            json,
            seed,
            timeout_secs,
        } => {
            let (info, diagnoses) = client::submit(&client::SubmitOptions {
                server,
                records,
                keys,
                seed,
                timeout: Duration::from_secs(timeout_secs),
            })?;
            Ok(parties::render_diagnoses(&info, &diagnoses, json))
        }
    }
}

fn run_serve(a: ServeArgs) -> hediag::Result<String> {
    let mut opts = serve::ServeOptions::new(a.model, a.state_dir);
    opts.max_state_bytes = a.max_state_mib << 20;
    opts.max_keys_body = usize::try_from(a.max_keys_mib << 20).unwrap_or(usize::MAX);
    opts.max_query_body = usize::try_from(a.max_query_mib << 20).unwrap_or(usize::MAX);
    if let Some(c) = a.concurrency {
        opts.concurrency = usize::try_from(c).unwrap_or(usize::MAX);
    }
    opts.timeout = Duration::from_secs(a.timeout_secs);
    opts.cache = usize::try_from(a.cache).unwrap_or(usize::MAX);
    serve::serve(opts, a.addr)?;
    Ok(String::new())
}

fn run_demo(args: &DemoArgs) -> hediag::Result<String> {
    let opts = args.options();
    let report = demo::run(&opts)?;
    Ok(format!(
        "{}wrote {} and {}\n",
        report.render(),
        opts.out.join("results.json").display(),
        opts.out.join("performance.png").display()
    ))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A misspelt backend would otherwise be ignored, and the run timed
    // with another backend than the one asked for.
    let result = match ckks::math::ntt::backend_from_env() {
        Err(e) => Err(hediag::Error::Usage(e.to_string())),
        Ok(_) => match cli.command {
            Some(Command::Demo(a)) => run_demo(&a),
            None => run_demo(&cli.demo),
            Some(Command::Hospital(c)) => run_hospital(c),
            Some(Command::Patient(c)) => run_patient(c),
            Some(Command::Serve(a)) => run_serve(a),
        },
    };
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
