//! This library's side of the comparison: the same operations on the same
//! inputs, timed the same way as the Python workers.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use ckks::{
    Ciphertext, Decryptor, Encoder, Encryptor, Evaluator, GaloisKeys, KeyGenerator, Params,
    ParamsSpec, Plaintext, PublicKey, RelinKey, SecretKey, Wire,
};

use crate::{Inputs, Precision, Sizes, FEATURES, PRECISION_TRIALS, STRIDE};

/// Keys, encoded and encrypted inputs under one preset.
pub struct Ours {
    params: Arc<Params>,
    sk: SecretKey,
    pk: PublicKey,
    rk: RelinKey,
    gk: GaloisKeys,
    encoder: Encoder,
    eval: Evaluator,
    x: Vec<f64>,
    w: Vec<f64>,
    bias: f64,
    pt_x: Plaintext,
    pt_y: Plaintext,
    pt_w: Plaintext,
    ct_x: Ciphertext,
    ct_y: Ciphertext,
    ct_xy: Ciphertext,
    one_patient: Vec<f64>,
    patients: Vec<f64>,
    /// Precision in bits, measured at set-up.
    pub precision: Precision,
    /// Serialized sizes.
    pub sizes: Sizes,
}

type Res<T> = Result<T, String>;

fn e(err: impl std::fmt::Display) -> String {
    err.to_string()
}

fn bits(err: f64) -> f64 {
    if err > 0.0 {
        -err.log2()
    } else {
        64.0
    }
}

fn max_err(got: &[f64], want: &[f64]) -> f64 {
    got.iter()
        .zip(want)
        .map(|(g, w)| (g - w).abs())
        .fold(0.0, f64::max)
}

fn keygen(params: &Arc<Params>) -> Res<(SecretKey, PublicKey, RelinKey, GaloisKeys)> {
    let kg = KeyGenerator::new(params);
    let sk = kg.secret_key();
    let pk = kg.public_key(&sk).map_err(e)?;
    let rk = kg.relin_key(&sk).map_err(e)?;
    // Every ±2^k and conjugation, as SEAL's default set.
    let gk = kg.galois_keys(&sk, &kg.default_steps(), true).map_err(e)?;
    Ok((sk, pk, rk, gk))
}

impl Ours {
    /// Sets up under `spec`; precision and sizes are measured here.
    pub fn new(spec: &ParamsSpec, inputs: &Inputs) -> Res<Self> {
        let params = Params::new(spec).map_err(e)?;
        let slots = params.slots();
        let (sk, pk, rk, gk) = keygen(&params)?;
        let (x, y, w, bias) = (
            inputs.x.clone(),
            inputs.y.clone(),
            inputs.w.clone(),
            inputs.bias,
        );
        let encoder = Encoder::new(&params);
        let eval = Evaluator::new(&params);
        let top = params.max_level();
        let scale = params.default_scale();
        let pt_x = encoder.encode(&x, top, scale).map_err(e)?;
        let pt_y = encoder.encode(&y, top, scale).map_err(e)?;
        let enc = Encryptor::with_public_key(&params, &pk).map_err(e)?;
        let ct_x = enc.encrypt(&pt_x).map_err(e)?;
        let ct_y = enc.encrypt(&pt_y).map_err(e)?;
        let ct_xy = eval.mul_relin(&ct_x, &ct_y, &rk).map_err(e)?;
        let mut padded = w.clone();
        padded.resize(STRIDE, 0.0);
        // Weights at the scale of the prime the product is rescaled by.
        let w_scale = ckks::Scale::new(params.q_primes()[top] as f64);
        let pt_w = encoder
            .encode_replicated(&padded, top, w_scale)
            .map_err(e)?;
        let one_patient = x[..FEATURES].to_vec();
        let patients: Vec<f64> = (0..slots)
            .map(|i| if i % STRIDE < FEATURES { x[i] } else { 0.0 })
            .collect();
        let mut me = Self {
            precision: Precision::default(),
            sizes: Sizes::default(),
            params,
            sk,
            pk,
            rk,
            gk,
            encoder,
            eval,
            x,
            w,
            bias,
            pt_x,
            pt_y,
            pt_w,
            ct_x,
            ct_y,
            ct_xy,
            one_patient,
            patients,
        };
        let dec = |ct: &Ciphertext| me.decrypt(ct);
        let mut shifted = me.x[1..].to_vec();
        shifted.push(me.x[0]);
        let product: Vec<f64> = me.x.iter().zip(&y).map(|(a, b)| a * b).collect();
        let want_dot: Vec<f64> = (0..slots / STRIDE)
            .map(|b| (0..FEATURES).map(|i| me.x[b * STRIDE + i] * me.w[i]).sum())
            .collect();
        // Each figure is the mean over fresh encryptions, as in worker.py.
        let enc = Encryptor::with_public_key(&me.params, &me.pk).map_err(e)?;
        let mut sum = Precision::default();
        for _ in 0..PRECISION_TRIALS {
            let cx = enc.encrypt(&me.pt_x).map_err(e)?;
            let cy = enc.encrypt(&me.pt_y).map_err(e)?;
            let cxy = me.eval.mul_relin(&cx, &cy, &me.rk).map_err(e)?;
            let rot = dec(&me.eval.rotate(&cx, 1, &me.gk).map_err(e)?)?;
            let dotted = dec(&me.dot(&cx)?)?;
            let got_dot: Vec<f64> = dotted.iter().step_by(STRIDE).copied().collect();
            sum.fresh += bits(max_err(&dec(&cx)?, &me.x));
            sum.mul_relin_rescale +=
                bits(max_err(&dec(&me.eval.rescale(&cxy).map_err(e)?)?, &product));
            sum.rotate += bits(max_err(&rot, &shifted));
            sum.dot30 += bits(max_err(&got_dot, &want_dot));
        }
        let t = PRECISION_TRIALS as f64;
        me.precision = Precision {
            fresh: sum.fresh / t,
            mul_relin_rescale: sum.mul_relin_rescale / t,
            rotate: sum.rotate / t,
            dot30: sum.dot30 / t,
        };
        let p = &me.params;
        me.sizes = Sizes {
            ciphertext: me.ct_x.to_bytes(p).len(),
            relin_key: me.rk.to_bytes(p).len(),
            galois_keys: me.gk.to_bytes(p).len(),
            galois_key_count: me.gk.len(),
        };
        Ok(me)
    }

    fn decrypt(&self, ct: &Ciphertext) -> Res<Vec<f64>> {
        let d = Decryptor::new(&self.params, &self.sk).map_err(e)?;
        self.encoder
            .decode_real(&d.decrypt(ct).map_err(e)?)
            .map_err(e)
    }

    fn dot(&self, ct: &Ciphertext) -> Res<Ciphertext> {
        let prod = self
            .eval
            .rescale(&self.eval.mul_plain(ct, &self.pt_w).map_err(e)?)
            .map_err(e)?;
        self.eval.sum_slots(&prod, STRIDE, &self.gk).map_err(e)
    }

    fn pipeline(&self, values: &[f64]) -> Res<Vec<f64>> {
        let p = &self.params;
        let pt = self
            .encoder
            .encode(values, p.max_level(), p.default_scale())
            .map_err(e)?;
        let ct = Encryptor::with_public_key(p, &self.pk)
            .map_err(e)?
            .encrypt(&pt)
            .map_err(e)?;
        let out = self.eval.add_const(&self.dot(&ct)?, self.bias).map_err(e)?;
        self.decrypt(&out)
    }

    /// Runs `op` once; `false` for an operation this side does not have.
    fn run(&self, op: &str) -> Res<bool> {
        let p = &self.params;
        match op {
            "keygen" => {
                black_box(keygen(p)?);
            }
            "encode" => {
                black_box(
                    self.encoder
                        .encode(&self.x, p.max_level(), p.default_scale())
                        .map_err(e)?,
                );
            }
            "encrypt" => {
                let enc = Encryptor::with_public_key(p, &self.pk).map_err(e)?;
                black_box(enc.encrypt(&self.pt_x).map_err(e)?);
            }
            "decrypt_decode" => {
                black_box(self.decrypt(&self.ct_x)?);
            }
            "add" => {
                black_box(self.eval.add(&self.ct_x, &self.ct_y).map_err(e)?);
            }
            "mul_plain" => {
                black_box(self.eval.mul_plain(&self.ct_x, &self.pt_y).map_err(e)?);
            }
            "mul_relin" => {
                black_box(
                    self.eval
                        .mul_relin(&self.ct_x, &self.ct_y, &self.rk)
                        .map_err(e)?,
                );
            }
            "rescale" => {
                black_box(self.eval.rescale(&self.ct_xy).map_err(e)?);
            }
            "rotate" => {
                black_box(self.eval.rotate(&self.ct_x, 1, &self.gk).map_err(e)?);
            }
            "dot30" => {
                black_box(self.dot(&self.ct_x)?);
            }
            "patient" => {
                black_box(self.pipeline(&self.one_patient)?);
            }
            "batched" => {
                black_box(self.pipeline(&self.patients)?);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// One round: each operation `n` times, in nanoseconds.
    pub fn round(&self, reps: &[(&str, usize)]) -> Res<BTreeMap<String, Vec<f64>>> {
        let mut out = BTreeMap::new();
        for &(op, n) in reps {
            let mut samples = Vec::with_capacity(n);
            for _ in 0..n {
                let t = Instant::now();
                if !self.run(op)? {
                    break;
                }
                samples.push(t.elapsed().as_nanos() as f64);
            }
            if !samples.is_empty() {
                out.insert(op.to_owned(), samples);
            }
        }
        Ok(out)
    }
}
