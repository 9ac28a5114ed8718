//! `hediag`: the encrypted breast-cancer diagnosis demo.
//!
//! `cargo run --release` runs `hediag demo` with its defaults: train on the
//! bundled data, encrypt the test patients, infer on the ciphertexts in
//! every layout, decrypt, print a report, and write `results.json` and
//! `performance.png` into `target/hediag/`.

mod demo;
mod plot;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use ml::encrypted::Layout;

use demo::{DemoError, DemoOptions};

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
    #[arg(long, default_value_t = 30, value_parser = clap::builder::PossibleValuesParser::new(["10", "30"]).map(|s| s.parse::<usize>().expect("listed values")))]
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
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(["3", "5", "7"]).map(|s| s.parse::<usize>().expect("listed values")))]
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Demo(a)) => a,
        None => cli.demo,
    };
    let opts = args.options();
    match demo::run(&opts) {
        Ok(report) => {
            print!("{}", report.render());
            println!(
                "wrote {} and {}",
                opts.out.join("results.json").display(),
                opts.out.join("performance.png").display()
            );
            ExitCode::SUCCESS
        }
        Err(DemoError::Usage(msg)) => {
            eprintln!("error: {msg}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
