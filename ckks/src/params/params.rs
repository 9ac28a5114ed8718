//! [`Params`]: a checked, immutable parameter set with every table built.

use std::sync::Arc;

use super::security::{max_log_qp, Security};
use super::spec::{ParamsSpec, SecretDistribution};
use crate::encoding::embedding::Embedding;
use crate::error::{Error, Result};
use crate::math::modulus::MAX_MODULUS_BITS;
use crate::math::primes::ntt_primes_below;
use crate::math::rns::crt::CrtTables;
use crate::math::rns::RnsContext;
use crate::meta::Scale;

/// Validated parameters. Every ciphertext, key and plaintext carries
/// [`Params::id`] and is checked against it before use.
pub struct Params {
    spec: ParamsSpec,
    id: u64,
    q_primes: Vec<u64>,
    p_primes: Vec<u64>,
    log_qp: u32,
    rns: RnsContext,
    crt: CrtTables,
    embedding: Embedding,
}

impl std::fmt::Debug for Params {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Params")
            .field("id", &format_args!("{:#018x}", self.id))
            .field("n", &self.n())
            .field("q_primes", &self.q_primes)
            .field("p_primes", &self.p_primes)
            .field("log_scale", &self.spec.log_scale)
            .field("security", &self.spec.security)
            .finish_non_exhaustive()
    }
}

fn invalid(reason: String) -> Error {
    Error::InvalidParams { reason }
}

/// FNV-1a over the words that define the parameters: names an object's
/// parameter set, not a cryptographic hash.
fn fingerprint(words: impl IntoIterator<Item = u64>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words {
        for b in w.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

impl Params {
    /// Checks `spec`, finds its primes and builds every table.
    ///
    /// # Errors
    /// * [`Error::InvalidParams`] if `log_n ∉ 10..=16`, a prime size is outside
    ///   `log_n + 2 ..= 61`, there is no ciphertext or no special prime, the
    ///   scale is not below `q_0`, a Hamming weight is out of range or used
    ///   without [`Security::InsecureResearch`], or not enough primes of a
    ///   size exist.
    /// * [`Error::InsecureParams`] if `log2(QP)` exceeds the HE-standard bound
    ///   for the requested security.
    pub fn new(spec: &ParamsSpec) -> Result<Arc<Self>> {
        let log_n = spec.log_n;
        if !(10..=16).contains(&log_n) {
            return Err(invalid(format!("log_n = {log_n} is outside 10..=16")));
        }
        let n = 1usize << log_n;
        if spec.log_q.is_empty() {
            return Err(invalid(
                "log_q is empty: at least one ciphertext prime is needed".into(),
            ));
        }
        if spec.log_p.is_empty() {
            return Err(invalid(
                "log_p is empty: key switching needs at least one special prime".into(),
            ));
        }
        let min_bits = log_n + 2;
        for (name, sizes) in [("log_q", &spec.log_q), ("log_p", &spec.log_p)] {
            if let Some((i, &b)) = sizes
                .iter()
                .enumerate()
                .find(|(_, &b)| !(min_bits..=MAX_MODULUS_BITS).contains(&b))
            {
                return Err(invalid(format!(
                    "{name}[{i}] = {b} bits is outside {min_bits}..={MAX_MODULUS_BITS} for N = {n}"
                )));
            }
        }
        if spec.log_scale == 0 || spec.log_scale >= spec.log_q[0] {
            return Err(invalid(format!(
                "log_scale = {} must be in 1..{} (below the first prime, which holds the result)",
                spec.log_scale, spec.log_q[0]
            )));
        }
        if let SecretDistribution::HammingWeight(h) = spec.secret {
            if h == 0 || h as usize > n {
                return Err(invalid(format!("Hamming weight {h} is outside 1..={n}")));
            }
            if spec.security != Security::InsecureResearch {
                return Err(invalid(format!(
                    "a sparse secret (Hamming weight {h}) is not covered by the HE-standard table; \
                     use security: InsecureResearch to study it"
                )));
            }
        }

        // Primes: the largest of each size, all distinct, ciphertext primes first.
        let mut chosen: Vec<u64> = Vec::new();
        for &bits in spec.log_q.iter().chain(&spec.log_p) {
            let Some(&q) = ntt_primes_below(bits, n, 1, &chosen).first() else {
                let same = spec
                    .log_q
                    .iter()
                    .chain(&spec.log_p)
                    .filter(|&&b| b == bits)
                    .count();
                return Err(invalid(format!(
                    "not enough {bits}-bit primes ≡ 1 mod 2N = {} for {same} primes of that size",
                    2 * n
                )));
            };
            chosen.push(q);
        }
        let p_primes = chosen.split_off(spec.log_q.len());
        let q_primes = chosen;
        let log_qp: u32 = q_primes
            .iter()
            .chain(&p_primes)
            .map(|q| 64 - q.leading_zeros())
            .sum();

        // Key switching divides the digit-times-error products by P: a digit
        // larger than P leaves noise above the message.
        let log_p: f64 = p_primes.iter().map(|&p| (p as f64).log2()).sum();
        let alpha = p_primes.len();
        if let Some((j, digit)) = q_primes
            .chunks(alpha)
            .map(|d| d.iter().map(|&q| (q as f64).log2()).sum::<f64>())
            .enumerate()
            .find(|&(_, bits)| bits > log_p + 0.5)
        {
            return Err(invalid(format!(
                "key-switching digit {j} ({alpha} primes, {digit:.1} bits) exceeds P ({log_p:.1} bits); \
                 use larger or more special primes"
            )));
        }

        if let Some(bound) = max_log_qp(log_n, spec.security) {
            if log_qp > bound {
                return Err(Error::InsecureParams {
                    log_qp,
                    bound,
                    n,
                    security: spec.security.to_string(),
                });
            }
        } else if spec.security != Security::InsecureResearch {
            return Err(invalid(format!(
                "the HE standard has no bound for N = {n}; use security: InsecureResearch"
            )));
        }

        let secret_tag = match spec.secret {
            SecretDistribution::Ternary => 0,
            SecretDistribution::HammingWeight(h) => 1 + u64::from(h),
        };
        let security_tag = spec.security as u64;
        let id = fingerprint(
            [
                u64::from(log_n),
                u64::from(spec.log_scale),
                secret_tag,
                security_tag,
            ]
            .into_iter()
            .chain(q_primes.iter().copied())
            .chain([u64::MAX])
            .chain(p_primes.iter().copied()),
        );

        Ok(Arc::new(Self {
            spec: spec.clone(),
            id,
            rns: RnsContext::new(n, &q_primes, &p_primes),
            crt: CrtTables::new(&q_primes),
            embedding: Embedding::new(n),
            q_primes,
            p_primes,
            log_qp,
        }))
    }

    /// The spec these parameters were built from.
    #[must_use]
    pub fn spec(&self) -> &ParamsSpec {
        &self.spec
    }

    /// Identifier of this parameter set, carried by every object made under it.
    #[must_use]
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Ring degree `N`.
    #[must_use]
    pub fn n(&self) -> usize {
        self.rns.n()
    }

    /// Number of complex slots, `N/2`.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.rns.n() / 2
    }

    /// Highest level `L`; a fresh ciphertext has `L + 1` primes.
    #[must_use]
    pub fn max_level(&self) -> usize {
        self.q_primes.len() - 1
    }

    /// The ciphertext primes `q_0 … q_L`.
    #[must_use]
    pub fn q_primes(&self) -> &[u64] {
        &self.q_primes
    }

    /// The special primes.
    #[must_use]
    pub fn p_primes(&self) -> &[u64] {
        &self.p_primes
    }

    /// Number of key-switching digits at the top level, `⌈(L+1)/α⌉`.
    #[must_use]
    pub fn dnum(&self) -> usize {
        self.q_primes.len().div_ceil(self.rns.alpha())
    }

    /// Total bits of `QP` (sum of the primes' bit lengths).
    #[must_use]
    pub fn log_qp(&self) -> u32 {
        self.log_qp
    }

    /// `log2` of `Q_level`, the product of the primes up to `level`.
    #[must_use]
    pub fn log_q_at(&self, level: usize) -> f64 {
        self.q_primes[..=level]
            .iter()
            .map(|&q| (q as f64).log2())
            .sum()
    }

    /// The default scale `Δ = 2^log_scale`.
    #[must_use]
    pub fn default_scale(&self) -> Scale {
        Scale::from_log2(f64::from(self.spec.log_scale))
    }

    /// Whether these parameters skipped the security check.
    #[must_use]
    pub fn is_insecure(&self) -> bool {
        self.spec.security == Security::InsecureResearch
    }

    /// One line stating the security of these parameters, for every report.
    #[must_use]
    pub fn security_report(&self) -> String {
        match max_log_qp(self.spec.log_n, Security::Classical128) {
            _ if self.is_insecure() => {
                let std = max_log_qp(self.spec.log_n, Security::Classical128).map_or_else(
                    || "no HE-standard bound".to_string(),
                    |b| format!("128-bit bound {b}"),
                );
                format!(
                    "INSECURE research parameters: log2(QP) = {} bits, N = {} ({std}); do not protect real data with them",
                    self.log_qp,
                    self.n()
                )
            }
            _ => format!(
                "{} (HE standard, ternary secret): log2(QP) = {} ≤ {} bits at N = {}",
                self.spec.security,
                self.log_qp,
                max_log_qp(self.spec.log_n, self.spec.security).unwrap_or(0),
                self.n()
            ),
        }
    }

    /// Primes, NTT plans and basis-conversion tables.
    #[must_use]
    pub fn rns(&self) -> &RnsContext {
        &self.rns
    }

    /// CRT reconstruction tables (decoding).
    #[must_use]
    pub fn crt(&self) -> &CrtTables {
        &self.crt
    }

    /// The canonical embedding tables (encoding).
    #[must_use]
    pub fn embedding(&self) -> &Embedding {
        &self.embedding
    }

    /// `Err(ParamsMismatch)` unless `found` is this parameter set's id.
    ///
    /// # Errors
    /// [`Error::ParamsMismatch`] naming `op`.
    pub fn check_id(&self, op: &'static str, found: u64) -> Result<()> {
        if found == self.id {
            Ok(())
        } else {
            Err(Error::ParamsMismatch {
                op,
                expected: self.id,
                found,
            })
        }
    }

    /// `Err(InvalidLevel)` unless `level ≤ L`.
    ///
    /// # Errors
    /// [`Error::InvalidLevel`] naming `op`.
    pub fn check_level(&self, op: &'static str, level: usize) -> Result<()> {
        if level <= self.max_level() {
            Ok(())
        } else {
            Err(Error::InvalidLevel {
                op,
                level,
                max: self.max_level(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_build_with_expected_sizes() {
        for (name, log_qp, levels) in [
            ("seed", 200, 2),
            ("depth3", 218, 3),
            ("n16k", 438, 7),
            ("toy", 109, 2),
        ] {
            let p = Params::new(&ParamsSpec::preset(name).unwrap()).unwrap();
            assert_eq!(p.log_qp(), log_qp, "{name}");
            assert_eq!(p.max_level(), levels, "{name}");
            assert!(!p.is_insecure());
            assert!(
                p.security_report().starts_with("128-bit"),
                "{}",
                p.security_report()
            );
        }
        let d3 = Params::new(&ParamsSpec::depth3()).unwrap();
        assert!(d3
            .q_primes()
            .iter()
            .chain(d3.p_primes())
            .all(|&q| q < 1 << 50));
        let n16 = Params::new(&ParamsSpec::n16k()).unwrap();
        assert_eq!(n16.dnum(), 4);
    }

    #[test]
    fn insecure_spec_is_refused_unless_opted_in() {
        let mut spec = ParamsSpec::seed();
        spec.log_q = vec![60, 40, 40, 40];
        match Params::new(&spec) {
            Err(Error::InsecureParams {
                log_qp: 240,
                bound: 218,
                n: 8192,
                ..
            }) => {}
            other => panic!("expected InsecureParams, got {other:?}"),
        }
        let msg = Params::new(&spec).unwrap_err().to_string();
        assert!(msg.contains("240") && msg.contains("218"), "{msg}");
        spec.security = Security::InsecureResearch;
        let p = Params::new(&spec).unwrap();
        assert!(p.is_insecure() && p.security_report().starts_with("INSECURE"));
        assert_ne!(p.id(), Params::new(&ParamsSpec::seed()).unwrap().id());
    }

    #[test]
    fn bad_specs_are_refused_with_the_values() {
        type Edit = Box<dyn Fn(&mut ParamsSpec)>;
        let cases: Vec<(Edit, &str)> = vec![
            (Box::new(|s| s.log_n = 9), "log_n = 9"),
            (Box::new(|s| s.log_n = 17), "log_n = 17"),
            (Box::new(|s| s.log_q.clear()), "log_q is empty"),
            (Box::new(|s| s.log_p.clear()), "log_p is empty"),
            (Box::new(|s| s.log_q[1] = 62), "log_q[1] = 62"),
            (Box::new(|s| s.log_q[1] = 14), "log_q[1] = 14"),
            (Box::new(|s| s.log_scale = 60), "log_scale = 60"),
            (Box::new(|s| s.log_p = vec![50]), "exceeds P"),
            (
                Box::new(|s| s.secret = SecretDistribution::HammingWeight(64)),
                "sparse secret",
            ),
        ];
        for (edit, want) in cases {
            let mut spec = ParamsSpec::seed();
            edit(&mut spec);
            let err = Params::new(&spec).unwrap_err().to_string();
            assert!(err.contains(want), "{want:?} not in {err:?}");
        }
        // Too many primes of one size for N = 2^16.
        let mut spec = ParamsSpec::seed();
        spec.log_n = 16;
        spec.security = Security::InsecureResearch;
        spec.log_q = vec![20; 40];
        spec.log_scale = 10;
        let err = Params::new(&spec).unwrap_err().to_string();
        assert!(err.contains("not enough 20-bit primes"), "{err}");
    }
}
