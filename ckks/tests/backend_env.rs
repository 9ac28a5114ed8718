//! A `CKKS_NTT_BACKEND` that names no backend: `backend_from_env` reports
//! it, and the plans and kernels, which cannot fail, force nothing and use
//! the best backend. Its own test binary, one test: it sets the variable
//! before anything reads it.

use ckks::math::kernels::backend_for;
use ckks::math::ntt::{backend_from_env, forced_backend, Backend, NttPlan, BACKEND_ENV};
use ckks::math::primes::ntt_primes_below;
use ckks::Error;

#[test]
fn a_misspelt_backend_is_an_error_and_forces_nothing() {
    std::env::set_var(BACKEND_ENV, "avx-512");
    match backend_from_env() {
        Err(Error::InvalidEnvVar { var, value, .. }) => {
            assert_eq!((var, value.as_str()), (BACKEND_ENV, "avx-512"));
        }
        other => panic!("expected InvalidEnvVar, got {other:?}"),
    }
    assert_eq!(forced_backend(), None);
    let n = 1024;
    for bits in [40u32, 60] {
        let q = ntt_primes_below(bits, n, 1, &[])[0];
        assert_eq!(NttPlan::new(n, q).backend(), Backend::best_for(bits));
        assert_eq!(
            backend_for(bits),
            Backend::best_for(bits),
            "{bits}-bit kernels"
        );
    }

    std::env::set_var(BACKEND_ENV, "Scalar");
    assert_eq!(backend_from_env(), Ok(Some(Backend::Scalar)));
    std::env::remove_var(BACKEND_ENV);
    assert_eq!(backend_from_env(), Ok(None));
}
