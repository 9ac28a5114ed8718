//! `force_backend` overrides the choice of NTT plans built afterwards and of
//! the element-wise kernels, where the CPU and the prime allow it. Its own
//! test binary: the override is process-wide.

use ckks::math::kernels::backend_for;
use ckks::math::ntt::{force_backend, forced_backend, Backend, NttPlan};
use ckks::math::primes::ntt_primes_below;

#[test]
fn forcing_a_backend_reaches_plans_and_kernels() {
    let n = 1024;
    let q40 = ntt_primes_below(40, n, 1, &[])[0];
    let q60 = ntt_primes_below(60, n, 1, &[])[0];
    for backend in Backend::ALL {
        force_backend(Some(backend));
        assert_eq!(forced_backend(), Some(backend));
        for (q, bits) in [(q40, 40), (q60, 60)] {
            let usable = backend.cpu_supports() && backend.accepts_bits(bits);
            let plan = NttPlan::new(n, q);
            if usable {
                assert_eq!(
                    plan.backend(),
                    backend,
                    "{backend:?} forced, {bits}-bit NTT"
                );
                assert_eq!(
                    backend_for(bits),
                    backend,
                    "{backend:?} forced, {bits}-bit kernels"
                );
            } else {
                // Not available: the best supported one instead.
                assert_eq!(plan.backend(), Backend::best_for(bits));
            }
        }
    }
    force_backend(None);
    assert_eq!(forced_backend(), None);
    assert_eq!(NttPlan::new(n, q60).backend(), Backend::best_for(60));
}
