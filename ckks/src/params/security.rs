//! The Homomorphic Encryption Standard (v1.1, 2018) bounds on `log2(QP)` for
//! a uniform ternary secret and error `σ ≈ 3.2`, classical attacks. The same
//! values ship in SEAL (`hestdparms.h`) and OpenFHE (`stdlatticeparms.cpp`).

use serde::{Deserialize, Serialize};

/// The security a parameter set must meet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Security {
    /// 128-bit classical security.
    Classical128,
    /// 192-bit classical security.
    Classical192,
    /// 256-bit classical security.
    Classical256,
    /// No check: for research on parameters outside the standard. Every report
    /// of parameters built this way says they are insecure.
    InsecureResearch,
}

impl std::fmt::Display for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Security::Classical128 => "128-bit classical",
            Security::Classical192 => "192-bit classical",
            Security::Classical256 => "256-bit classical",
            Security::InsecureResearch => "INSECURE research",
        })
    }
}

/// `(log2 N, [128, 192, 256]-bit bounds)`. The row for `N = 2^16` is not in
/// the standard (which stops at `2^15`); it is OpenFHE's extension of the
/// same estimates (`stdlatticeparms.cpp`, ternary rows).
const HE_STANDARD_TERNARY: [(u32, [u32; 3]); 7] = [
    (10, [27, 19, 14]),
    (11, [54, 37, 29]),
    (12, [109, 75, 58]),
    (13, [218, 152, 118]),
    (14, [438, 305, 237]),
    (15, [881, 611, 476]),
    (16, [1747, 1199, 929]),
];

/// The largest `log2(QP)` the standard allows for `N = 2^log_n` at `security`,
/// or `None` when the table has no entry or no check applies.
#[must_use]
pub fn max_log_qp(log_n: u32, security: Security) -> Option<u32> {
    let col = match security {
        Security::Classical128 => 0,
        Security::Classical192 => 1,
        Security::Classical256 => 2,
        Security::InsecureResearch => return None,
    };
    HE_STANDARD_TERNARY
        .iter()
        .find(|(l, _)| *l == log_n)
        .map(|(_, b)| b[col])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_the_standard() {
        assert_eq!(max_log_qp(13, Security::Classical128), Some(218));
        assert_eq!(max_log_qp(14, Security::Classical128), Some(438));
        assert_eq!(max_log_qp(15, Security::Classical256), Some(476));
        assert_eq!(max_log_qp(16, Security::Classical128), Some(1747));
        assert_eq!(max_log_qp(13, Security::InsecureResearch), None);
    }
}
