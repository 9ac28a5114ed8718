//! Our ChaCha20 generator produces the word stream of `rand_chacha`'s
//! `ChaCha20Rng` for the same seed, with every block function the CPU
//! supports, through every way of reading it; its first block is the
//! RFC 8439 keystream for the all-zero key. A block function the CPU
//! supports that this test did not run is a failure, not a skip.

use ckks::rng::{ChaCha20, ChaChaBackend, BLOCKS};
use ckks::testing::test_rng;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

const BACKENDS: [ChaChaBackend; 3] = [
    ChaChaBackend::Scalar,
    ChaChaBackend::Avx2,
    ChaChaBackend::Avx512,
];

/// Reads both generators the same way, in a mixed random order of calls
/// (single words, pairs, byte strings of odd lengths, runs of u64) that
/// crosses many refills; returns the number of words compared.
fn compare(ours: &mut ChaCha20, theirs: &mut ChaCha20Rng, steps: usize, script: &mut impl Rng) {
    let what = format!("{:?}", ours.backend());
    for step in 0..steps {
        match script.gen_range(0..4) {
            0 => assert_eq!(
                ours.next_u32(),
                theirs.next_u32(),
                "{what} next_u32, step {step}"
            ),
            1 => assert_eq!(
                ours.next_u64(),
                theirs.next_u64(),
                "{what} next_u64, step {step}"
            ),
            2 => {
                let len = script.gen_range(0..3 * 64 * BLOCKS);
                let (mut a, mut b) = (vec![0u8; len], vec![0u8; len]);
                ours.fill_bytes(&mut a);
                theirs.fill_bytes(&mut b);
                assert_eq!(a, b, "{what} fill_bytes({len}), step {step}");
            }
            _ => {
                let len = script.gen_range(0..3 * 8 * BLOCKS);
                let mut a = vec![0u64; len];
                ours.fill_u64(&mut a);
                let b: Vec<u64> = (0..len).map(|_| theirs.next_u64()).collect();
                assert_eq!(a, b, "{what} fill_u64({len}), step {step}");
            }
        }
        assert_eq!(
            ours.word_pos(),
            theirs.get_word_pos(),
            "{what} word_pos, step {step}"
        );
    }
}

#[test]
fn every_block_function_matches_rand_chacha() {
    let mut script = test_rng();
    let mut ran = [0usize; 3];
    for (b, &backend) in BACKENDS.iter().enumerate() {
        for _ in 0..4 {
            let seed: [u8; 32] = script.gen();
            let Some(mut ours) = ChaCha20::with_backend(seed, backend) else {
                break;
            };
            let mut theirs = ChaCha20Rng::from_seed(seed);
            compare(&mut ours, &mut theirs, 200, &mut script);

            // Across the carry of the block counter into its high word.
            let pos = ((1u128 << 32) - 3) * 16 + 5;
            ours.set_word_pos(pos);
            theirs.set_word_pos(pos);
            compare(&mut ours, &mut theirs, 50, &mut script);
            ran[b] += 1;
        }
    }
    for (backend, ran) in BACKENDS.iter().zip(ran) {
        if backend.cpu_supports() {
            assert!(ran > 0, "{backend:?}: supported by this CPU but not run");
        } else {
            assert_eq!(ran, 0, "{backend:?}: ran on a CPU without it");
        }
    }
}

#[test]
fn seeding_from_u64_matches_rand_chacha() {
    for x in [0u64, 1, 42, u64::MAX] {
        let mut ours = ChaCha20::seed_from_u64(x);
        let mut theirs = ChaCha20Rng::seed_from_u64(x);
        for i in 0..1000 {
            assert_eq!(
                ours.next_u64(),
                theirs.next_u64(),
                "seed_from_u64({x}), draw {i}"
            );
        }
    }
}

/// RFC 8439, appendix A.1, test vectors 1 and 2: all-zero key and nonce,
/// blocks 0 and 1.
#[test]
fn zero_key_keystream_is_the_rfc_one() {
    let block0 = "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7\
                  da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586";
    let block1 = "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed\
                  29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f";
    for backend in BACKENDS {
        let Some(mut rng) = ChaCha20::with_backend([0; 32], backend) else {
            continue;
        };
        let mut out = [0u8; 128];
        rng.fill_bytes(&mut out);
        let hex: String = out.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, format!("{block0}{block1}"), "{backend:?}");
    }
}

#[test]
fn debug_output_shows_no_key_material() {
    let rng = ChaCha20::from_seed([0xAB; 32]);
    let shown = format!("{rng:?}");
    assert!(!shown.to_lowercase().contains("ab"), "{shown}");
    assert!(!shown.contains(&0xABAB_ABABu32.to_string()), "{shown}");
}
