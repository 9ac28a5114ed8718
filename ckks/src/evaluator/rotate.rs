//! Rotations, conjugation, and the sums built from them.

use std::sync::Arc;

use super::keyswitch::key_switch_permuted;
use super::Evaluator;
use crate::ciphertext::Ciphertext;
use crate::error::{Error, Result};
use crate::keys::{GaloisKeys, SwitchingKey};
use crate::math::automorphism::{
    galois_element_conjugate, galois_element_for_step, EvalPermutation,
};
use crate::meta::Scale;

/// Non-adjacent form of `x`: signed powers of two, fewest non-zero terms.
fn naf(mut x: i64) -> Vec<i64> {
    let mut out = Vec::new();
    let mut bit = 1i64;
    while x != 0 {
        if x & 1 == 1 {
            let d = 2 - x.rem_euclid(4);
            out.push(d * bit);
            x -= d;
        }
        x /= 2;
        bit <<= 1;
    }
    out
}

impl Evaluator {
    fn permutation(&self, g: u64) -> Arc<EvalPermutation> {
        if let Some(p) = self
            .perms
            .read()
            .expect("permutation cache poisoned")
            .get(&g)
        {
            return Arc::clone(p);
        }
        let p = Arc::new(EvalPermutation::new(self.params.n(), g));
        self.perms
            .write()
            .expect("permutation cache poisoned")
            .insert(g, Arc::clone(&p));
        p
    }

    /// `σ_g` of `a` under the same key: `c1` switched from `s` to
    /// `σ_g^{-1}(s)` with `key`, then `(σ_g(c0 + k0), σ_g(k1))`, the
    /// permutation written by ModDown's last step
    /// (`keyswitch::key_switch_permuted`).
    fn apply_galois(&self, a: &Ciphertext, g: u64, key: &SwitchingKey) -> Ciphertext {
        let rns = self.params.rns();
        let perm = self.permutation(g);
        let c1_coeff = a.c1.to_coeff(rns);
        let (c0, c1) = key_switch_permuted(&self.params, &c1_coeff, &a.c1, key, &a.c0, &perm);
        Ciphertext {
            c0,
            c1,
            scale: a.scale,
            params_id: a.params_id,
        }
    }

    /// The Galois elements that together rotate by `step`: its own key if
    /// present; else the shortest signed-power-of-two decomposition (of
    /// `step` or of `step − N/2`) whose keys are all present; else the
    /// shortest sum of available steps (breadth-first search over the `N/2`
    /// rotation amounts).
    fn rotation_plan(&self, step: i64, gk: &GaloisKeys) -> Result<Vec<u64>> {
        let n = self.params.n();
        let slots = self.params.slots() as i64;
        let k = step.rem_euclid(slots);
        if k == 0 {
            return Ok(Vec::new());
        }
        let g = galois_element_for_step(k, n);
        if gk.get(g).is_some() {
            return Ok(vec![g]);
        }
        [k, k - slots]
            .into_iter()
            .map(|x| {
                naf(x)
                    .into_iter()
                    .map(|s| galois_element_for_step(s, n))
                    .collect::<Vec<_>>()
            })
            .filter(|gs| gs.iter().all(|g| gk.get(*g).is_some()))
            .min_by_key(Vec::len)
            .or_else(|| self.shortest_composition(k, gk))
            .ok_or(Error::MissingGaloisKey {
                op: "rotate",
                step,
                galois: g,
            })
    }

    /// Breadth-first search for the fewest available rotations summing to `k`
    /// (mod `N/2`).
    fn shortest_composition(&self, k: i64, gk: &GaloisKeys) -> Option<Vec<u64>> {
        let n = self.params.n();
        let slots = self.params.slots();
        let two_n = 2 * n as u64;
        // Step of each available rotation key: discrete log of g base 5.
        let mut step_of = std::collections::HashMap::new();
        let mut g = 1u64;
        for j in 0..slots {
            step_of.insert(g, j);
            g = g * 5 % two_n;
        }
        let moves: Vec<(usize, u64)> = gk
            .elements()
            .filter_map(|g| step_of.get(&g).map(|&s| (s, g)))
            .collect();
        let mut prev: Vec<Option<(usize, u64)>> = vec![None; slots];
        let mut queue = std::collections::VecDeque::from([0usize]);
        let target = k as usize;
        while let Some(at) = queue.pop_front() {
            if at == target {
                let mut path = Vec::new();
                let mut cur = at;
                while cur != 0 {
                    let (from, g) = prev[cur].expect("visited");
                    path.push(g);
                    cur = from;
                }
                return Some(path);
            }
            for &(s, g) in &moves {
                let next = (at + s) % slots;
                if next != 0 && prev[next].is_none() {
                    prev[next] = Some((at, g));
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// Rotates the slots left by `step` (slot `i + step` moves to slot `i`;
    /// negative steps rotate right). A step without its own key is composed
    /// from power-of-two keys.
    ///
    /// # Errors
    /// [`Error::MissingGaloisKey`] naming the step if no key or composition
    /// serves it; [`Error::ParamsMismatch`].
    pub fn rotate(&self, a: &Ciphertext, step: i64, gk: &GaloisKeys) -> Result<Ciphertext> {
        self.check("rotate", a.params_id)?;
        self.check("rotate", gk.params_id)?;
        let plan = self.rotation_plan(step, gk)?;
        let mut c: Option<Ciphertext> = None;
        for g in plan {
            let key = gk.get(g).expect("plan uses present keys");
            c = Some(self.apply_galois(c.as_ref().unwrap_or(a), g, key));
        }
        Ok(c.unwrap_or_else(|| a.clone()))
    }

    /// Conjugates every slot.
    ///
    /// # Errors
    /// [`Error::MissingGaloisKey`] (step 0) without a conjugation key;
    /// [`Error::ParamsMismatch`].
    pub fn conjugate(&self, a: &Ciphertext, gk: &GaloisKeys) -> Result<Ciphertext> {
        self.check("conjugate", a.params_id)?;
        self.check("conjugate", gk.params_id)?;
        let g = galois_element_conjugate(self.params.n());
        let key = gk.get(g).ok_or(Error::MissingGaloisKey {
            op: "conjugate",
            step: 0,
            galois: g,
        })?;
        Ok(self.apply_galois(a, g, key))
    }

    /// Rotate-and-sum over blocks of `block` slots (a power of two): slot `i`
    /// of the result holds `Σ_{t < block} a[i + t]` (indices mod `N/2`), so
    /// slot `b·block` holds the sum of block `b`. Uses `log2(block)`
    /// rotations by `1, 2, 4, …`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `block` is not a power of two up to `N/2`;
    /// as [`Self::rotate`].
    pub fn sum_slots(&self, a: &Ciphertext, block: usize, gk: &GaloisKeys) -> Result<Ciphertext> {
        if !block.is_power_of_two() || block > self.params.slots() {
            return Err(Error::InvalidArgument {
                op: "sum_slots",
                reason: format!(
                    "block {block} is not a power of two up to {} slots",
                    self.params.slots()
                ),
            });
        }
        let mut acc = a.clone();
        let mut step = 1;
        while step < block {
            let r = self.rotate(&acc, step as i64, gk)?;
            self.add_assign(&mut acc, &r)?;
            step <<= 1;
        }
        Ok(acc)
    }

    /// Inner product with a plaintext vector `w` of length `k`: with
    /// `stride = k.next_power_of_two()`, `w` (zero-padded to `stride`) is
    /// replicated over every block of `stride` slots, multiplied in at the
    /// scale of the last prime, rescaled and summed, so slot `b·stride` of the
    /// result holds `Σ_i a[b·stride + i]·w[i]` at the input's scale, one
    /// level lower.
    ///
    /// # Errors
    /// [`Error::TooManyValues`] if `k > N/2`; [`Error::LevelExhausted`] at
    /// level 0; as [`Self::sum_slots`].
    pub fn inner_product(&self, a: &Ciphertext, w: &[f64], gk: &GaloisKeys) -> Result<Ciphertext> {
        self.check("inner_product", a.params_id)?;
        let slots = self.params.slots();
        if w.is_empty() || w.len() > slots {
            return Err(Error::TooManyValues {
                op: "inner_product",
                given: w.len(),
                slots,
            });
        }
        let level = a.level();
        if level == 0 {
            return Err(Error::LevelExhausted {
                op: "inner_product",
            });
        }
        let stride = w.len().next_power_of_two();
        let mut padded = w.to_vec();
        padded.resize(stride, 0.0);
        let q_last = self.params.q_primes()[level] as f64;
        let pt = self
            .encoder
            .encode_replicated(&padded, level, Scale::new(q_last))?;
        let prod = self.rescale(&self.mul_plain(a, &pt)?)?;
        self.sum_slots(&prod, stride, gk)
    }
}

#[cfg(test)]
mod tests {
    use super::naf;

    #[test]
    fn naf_sums_to_input_with_powers_of_two() {
        for x in -300i64..300 {
            let d = naf(x);
            assert_eq!(d.iter().sum::<i64>(), x);
            assert!(d.iter().all(|v| v.unsigned_abs().is_power_of_two()));
        }
        assert_eq!(naf(7).len(), 2); // 8 − 1
    }
}
