//! Versioned, validating byte formats.
//!
//! Every object is written as an envelope `(magic "CKKS", format version,
//! kind, parameter id, body)` with bincode. Residues are bit-packed at the
//! width of their prime (a 40-bit prime costs 5 bytes a coefficient, not 8).
//! Keys and secret-key ciphertexts are stored seeded: their uniform halves
//! are replaced by the 32-byte seed they are expanded from.
//!
//! Loading checks, before the object is usable: the magic, version and kind;
//! the parameter id; the basis (level, special primes) and every length;
//! every residue below its prime; a finite positive scale; Galois elements
//! odd, below `2N` and distinct; secret coefficients in `{−1, 0, 1}`.
//! Deserialization is capped at the input's length, so a short header
//! cannot request a large allocation.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use crate::ciphertext::{Ciphertext, SeededCiphertext};
use crate::error::{Error, Result};
use crate::keys::switching::expand_uniform;
use crate::keys::{GaloisKeys, PublicKey, RelinKey, SecretKey, SwitchingKey};
use crate::math::aligned::AlignedVec;
use crate::math::poly::{Coeff, Eval, RnsPoly};
use crate::math::rns::Basis;
use crate::meta::Scale;
use crate::params::Params;
use crate::plaintext::Plaintext;

/// Version of the byte format written by this crate. Version 2: the Galois
/// key of `σ_g` switches from `s` to `σ_g^{-1}(s)` (a rotation applies
/// `σ_g` after its key switch); in version 1 it switched from `σ_g(s)` to
/// `s`, so such keys are refused rather than read with the wrong meaning.
pub const FORMAT_VERSION: u16 = 2;
const MAGIC: [u8; 4] = *b"CKKS";

/// What an envelope holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[repr(u8)]
pub enum Kind {
    /// [`Ciphertext`].
    Ciphertext = 1,
    /// [`SeededCiphertext`].
    SeededCiphertext = 2,
    /// [`Plaintext`].
    Plaintext = 3,
    /// [`PublicKey`].
    PublicKey = 4,
    /// [`RelinKey`].
    RelinKey = 5,
    /// [`GaloisKeys`].
    GaloisKeys = 6,
    /// [`SecretKey`].
    SecretKey = 7,
}

#[derive(Serialize, Deserialize)]
struct Envelope<T> {
    magic: [u8; 4],
    version: u16,
    kind: Kind,
    params_id: u64,
    body: T,
}

/// Header-only view, read first to give precise errors.
#[derive(Deserialize)]
struct Header {
    magic: [u8; 4],
    version: u16,
    kind: Kind,
    params_id: u64,
}

/// A polynomial on the wire: its basis and one bit-packed byte string per limb.
#[derive(Serialize, Deserialize)]
struct PolyWire {
    q: u32,
    p: bool,
    limbs: Vec<Vec<u8>>,
}

#[derive(Serialize, Deserialize)]
struct CiphertextWire {
    c0: PolyWire,
    c1: PolyWire,
    scale: f64,
}

#[derive(Serialize, Deserialize)]
struct SeededWire {
    c0: PolyWire,
    seed: [u8; 32],
    scale: f64,
}

#[derive(Serialize, Deserialize)]
struct PlaintextWire {
    poly: PolyWire,
    scale: f64,
}

#[derive(Serialize, Deserialize)]
struct PublicKeyWire {
    b: PolyWire,
    seed: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct SwitchingKeyWire {
    b: Vec<PolyWire>,
    seed: [u8; 32],
}

#[derive(Serialize, Deserialize)]
struct GaloisWire {
    keys: Vec<(u64, SwitchingKeyWire)>,
}

#[derive(Serialize, Deserialize)]
struct SecretKeyWire {
    coeffs: Vec<i8>,
}

fn err(what: &'static str, reason: impl Into<String>) -> Error {
    Error::Deserialize {
        what,
        reason: reason.into(),
    }
}

fn bincode_opts(limit: usize) -> impl bincode::Options {
    use bincode::Options;
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .with_limit(limit as u64)
        .reject_trailing_bytes()
}

fn write<T: Serialize>(kind: Kind, params_id: u64, body: T) -> Vec<u8> {
    use bincode::Options;
    let env = Envelope {
        magic: MAGIC,
        version: FORMAT_VERSION,
        kind,
        params_id,
        body,
    };
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .serialize(&env)
        .expect("in-memory serialization of plain data cannot fail")
}

/// The kind and parameter id an envelope claims, read from its header
/// only (the body is not checked). Lets a reader dispatch on the kind or
/// refuse one, a secret key say, before parsing the whole object.
///
/// # Errors
/// [`Error::Deserialize`] for bytes too short for a header, a wrong magic,
/// an unsupported version or an unknown kind.
pub fn peek(bytes: &[u8]) -> Result<(Kind, u64)> {
    use bincode::Options;
    const WHAT: &str = "envelope";
    let header: Header = bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .with_limit(bytes.len() as u64)
        .allow_trailing_bytes()
        .deserialize(bytes)
        .map_err(|e| err(WHAT, format!("header: {e}")))?;
    if header.magic != MAGIC {
        return Err(err(
            WHAT,
            format!("bad magic {:02x?}, expected \"CKKS\"", header.magic),
        ));
    }
    if header.version != FORMAT_VERSION {
        return Err(err(
            WHAT,
            format!(
                "format version {} is not supported (this build reads {FORMAT_VERSION})",
                header.version
            ),
        ));
    }
    Ok((header.kind, header.params_id))
}

fn read<T: for<'de> Deserialize<'de>>(
    params: &Params,
    bytes: &[u8],
    kind: Kind,
    what: &'static str,
) -> Result<T> {
    use bincode::Options;
    let (found, params_id) = peek(bytes).map_err(|e| match e {
        Error::Deserialize { reason, .. } => err(what, reason),
        other => other,
    })?;
    if found != kind {
        return Err(err(what, format!("holds a {found:?}, not a {kind:?}")));
    }
    params.check_id("deserialize", params_id)?;
    let env: Envelope<T> = bincode_opts(bytes.len())
        .deserialize(bytes)
        .map_err(|e| err(what, e.to_string()))?;
    Ok(env.body)
}

/// Packs values below `2^bits` little-endian, `bits` bits each.
fn pack(values: &[u64], bits: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((values.len() * bits as usize).div_ceil(8));
    let mut acc: u128 = 0;
    let mut have = 0u32;
    for &v in values {
        acc |= u128::from(v) << have;
        have += bits;
        while have >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            have -= 8;
        }
    }
    if have > 0 {
        out.push(acc as u8);
    }
    out
}

/// Inverse of [`pack`]; `bytes` must have exactly the packed length.
fn unpack(bytes: &[u8], bits: u32, out: &mut [u64]) {
    let mask = (1u128 << bits) - 1;
    let mut acc: u128 = 0;
    let mut have = 0u32;
    let mut it = bytes.iter();
    for o in out.iter_mut() {
        while have < bits {
            acc |= u128::from(*it.next().expect("length checked")) << have;
            have += 8;
        }
        *o = (acc & mask) as u64;
        acc >>= bits;
        have -= bits;
    }
}

fn poly_to_wire<D>(params: &Params, p: &RnsPoly<D>) -> PolyWire {
    let rns = params.rns();
    let basis = p.basis();
    PolyWire {
        q: basis.q as u32,
        p: basis.p,
        limbs: (0..p.num_limbs())
            .map(|i| pack(p.limb(i), rns.modulus(basis, i).bits()))
            .collect(),
    }
}

/// Rebuilds a polynomial, checking its basis against `want` (when given)
/// and every residue against its prime.
fn poly_from_wire<D>(
    params: &Params,
    w: &PolyWire,
    want: Option<Basis>,
    what: &'static str,
) -> Result<RnsPoly<D>> {
    let rns = params.rns();
    let q = w.q as usize;
    if q == 0 || q > params.max_level() + 1 {
        return Err(err(
            what,
            format!(
                "{q} ciphertext primes, expected 1..={}",
                params.max_level() + 1
            ),
        ));
    }
    let basis = Basis { q, p: w.p };
    if let Some(want) = want {
        if want != basis {
            return Err(err(what, format!("basis {basis:?}, expected {want:?}")));
        }
    }
    let limbs = rns.limbs(basis);
    if w.limbs.len() != limbs {
        return Err(err(
            what,
            format!("{} limbs, expected {limbs}", w.limbs.len()),
        ));
    }
    let n = rns.n();
    let mut data = AlignedVec::zeroed(limbs * n);
    for (i, (bytes, out)) in w.limbs.iter().zip(data.chunks_exact_mut(n)).enumerate() {
        let m = rns.modulus(basis, i);
        let len = (n * m.bits() as usize).div_ceil(8);
        if bytes.len() != len {
            return Err(err(
                what,
                format!("limb {i} has {} bytes, expected {len}", bytes.len()),
            ));
        }
        unpack(bytes, m.bits(), out);
        if let Some(k) = out.iter().position(|&x| x >= m.value()) {
            return Err(err(
                what,
                format!(
                    "limb {i} coefficient {k} = {} is not below its prime {}",
                    out[k],
                    m.value()
                ),
            ));
        }
    }
    Ok(RnsPoly::from_raw(rns, basis, data))
}

fn scale_from_wire(s: f64, what: &'static str) -> Result<Scale> {
    if s.is_finite() && s >= 1.0 {
        Ok(Scale::new(s))
    } else {
        Err(err(what, format!("scale {s} is not a finite value ≥ 1")))
    }
}

/// Objects with a byte format.
pub trait Wire: Sized {
    /// The envelope's kind tag.
    const KIND: Kind;

    /// Serializes into a self-describing, versioned byte string.
    fn to_bytes(&self, params: &Params) -> Vec<u8>;

    /// Loads and validates bytes written by [`Wire::to_bytes`].
    ///
    /// # Errors
    /// [`Error::Deserialize`] for malformed, truncated or tampered bytes, or
    /// bytes of another kind; [`Error::ParamsMismatch`] for bytes made under
    /// other parameters.
    fn from_bytes(params: &Arc<Params>, bytes: &[u8]) -> Result<Self>;
}

impl Wire for Ciphertext {
    const KIND: Kind = Kind::Ciphertext;

    fn to_bytes(&self, params: &Params) -> Vec<u8> {
        let body = CiphertextWire {
            c0: poly_to_wire(params, &self.c0),
            c1: poly_to_wire(params, &self.c1),
            scale: self.scale.value(),
        };
        write(Self::KIND, self.params_id, body)
    }

    fn from_bytes(params: &Arc<Params>, bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "ciphertext";
        let w: CiphertextWire = read(params, bytes, Self::KIND, WHAT)?;
        let c0: RnsPoly<Eval> = poly_from_wire(params, &w.c0, None, WHAT)?;
        if c0.basis().p {
            return Err(err(WHAT, "a ciphertext has no special-prime limbs"));
        }
        let c1 = poly_from_wire(params, &w.c1, Some(c0.basis()), WHAT)?;
        Ok(Self {
            c0,
            c1,
            scale: scale_from_wire(w.scale, WHAT)?,
            params_id: params.id(),
        })
    }
}

impl Wire for SeededCiphertext {
    const KIND: Kind = Kind::SeededCiphertext;

    fn to_bytes(&self, params: &Params) -> Vec<u8> {
        let body = SeededWire {
            c0: poly_to_wire(params, &self.c0),
            seed: self.seed,
            scale: self.scale.value(),
        };
        write(Self::KIND, self.params_id, body)
    }

    fn from_bytes(params: &Arc<Params>, bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "seeded ciphertext";
        let w: SeededWire = read(params, bytes, Self::KIND, WHAT)?;
        let c0: RnsPoly<Eval> = poly_from_wire(params, &w.c0, None, WHAT)?;
        if c0.basis().p {
            return Err(err(WHAT, "a ciphertext has no special-prime limbs"));
        }
        Ok(Self {
            c0,
            seed: w.seed,
            scale: scale_from_wire(w.scale, WHAT)?,
            params_id: params.id(),
        })
    }
}

impl Wire for Plaintext {
    const KIND: Kind = Kind::Plaintext;

    fn to_bytes(&self, params: &Params) -> Vec<u8> {
        let body = PlaintextWire {
            poly: poly_to_wire(params, &self.poly),
            scale: self.scale.value(),
        };
        write(Self::KIND, self.params_id, body)
    }

    fn from_bytes(params: &Arc<Params>, bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "plaintext";
        let w: PlaintextWire = read(params, bytes, Self::KIND, WHAT)?;
        let poly: RnsPoly<Eval> = poly_from_wire(params, &w.poly, None, WHAT)?;
        if poly.basis().p {
            return Err(err(WHAT, "a plaintext has no special-prime limbs"));
        }
        Ok(Self {
            poly,
            scale: scale_from_wire(w.scale, WHAT)?,
            params_id: params.id(),
        })
    }
}

fn top_basis(params: &Params) -> Basis {
    Basis::level_with_p(params.max_level())
}

impl Wire for PublicKey {
    const KIND: Kind = Kind::PublicKey;

    fn to_bytes(&self, params: &Params) -> Vec<u8> {
        write(
            Self::KIND,
            self.params_id,
            PublicKeyWire {
                b: poly_to_wire(params, &self.b),
                seed: self.seed,
            },
        )
    }

    fn from_bytes(params: &Arc<Params>, bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "public key";
        let w: PublicKeyWire = read(params, bytes, Self::KIND, WHAT)?;
        let top = top_basis(params);
        let b = poly_from_wire(params, &w.b, Some(top), WHAT)?;
        let a = expand_uniform(params, w.seed, top, 1)
            .pop()
            .expect("one polynomial");
        Ok(Self {
            b,
            a,
            seed: w.seed,
            params_id: params.id(),
        })
    }
}

fn switching_to_wire(params: &Params, k: &SwitchingKey) -> SwitchingKeyWire {
    SwitchingKeyWire {
        b: k.b.iter().map(|p| poly_to_wire(params, p)).collect(),
        seed: k.seed,
    }
}

fn switching_from_wire(
    params: &Params,
    w: &SwitchingKeyWire,
    what: &'static str,
) -> Result<SwitchingKey> {
    if w.b.len() != params.dnum() {
        return Err(err(
            what,
            format!("{} digits, expected {}", w.b.len(), params.dnum()),
        ));
    }
    let top = top_basis(params);
    let b =
        w.b.iter()
            .map(|p| poly_from_wire(params, p, Some(top), what))
            .collect::<Result<Vec<_>>>()?;
    let a = expand_uniform(params, w.seed, top, b.len());
    Ok(SwitchingKey::from_parts(params, b, a, w.seed))
}

impl Wire for RelinKey {
    const KIND: Kind = Kind::RelinKey;

    fn to_bytes(&self, params: &Params) -> Vec<u8> {
        write(
            Self::KIND,
            self.0.params_id,
            switching_to_wire(params, &self.0),
        )
    }

    fn from_bytes(params: &Arc<Params>, bytes: &[u8]) -> Result<Self> {
        let w: SwitchingKeyWire = read(params, bytes, Self::KIND, "relinearization key")?;
        Ok(Self(switching_from_wire(
            params,
            &w,
            "relinearization key",
        )?))
    }
}

impl Wire for GaloisKeys {
    const KIND: Kind = Kind::GaloisKeys;

    fn to_bytes(&self, params: &Params) -> Vec<u8> {
        let keys = self
            .keys
            .iter()
            .map(|(&g, k)| (g, switching_to_wire(params, k)))
            .collect();
        write(Self::KIND, self.params_id, GaloisWire { keys })
    }

    fn from_bytes(params: &Arc<Params>, bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "Galois keys";
        let w: GaloisWire = read(params, bytes, Self::KIND, WHAT)?;
        let two_n = 2 * params.n() as u64;
        let mut keys = std::collections::BTreeMap::new();
        for (g, k) in &w.keys {
            if g % 2 == 0 || *g >= two_n || *g == 1 {
                return Err(err(
                    WHAT,
                    format!("Galois element {g} is not an odd number in 3..{two_n}"),
                ));
            }
            if keys
                .insert(*g, switching_from_wire(params, k, WHAT)?)
                .is_some()
            {
                return Err(err(WHAT, format!("Galois element {g} appears twice")));
            }
        }
        Ok(Self {
            keys,
            n: params.n(),
            params_id: params.id(),
        })
    }
}

impl Wire for SecretKey {
    const KIND: Kind = Kind::SecretKey;

    fn to_bytes(&self, _params: &Params) -> Vec<u8> {
        let mut body = SecretKeyWire {
            coeffs: self.coeffs.iter().map(|&c| c as i8).collect(),
        };
        let out = write(Self::KIND, self.params_id, &body);
        body.coeffs.zeroize();
        out
    }

    fn from_bytes(params: &Arc<Params>, bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "secret key";
        let mut w: SecretKeyWire = read(params, bytes, Self::KIND, WHAT)?;
        let n = params.n();
        let bad = w.coeffs.iter().any(|c| !(-1..=1).contains(c));
        if w.coeffs.len() != n || bad {
            let len = w.coeffs.len();
            w.coeffs.zeroize();
            return Err(err(
                WHAT,
                format!(
                    "expected {n} coefficients in {{-1, 0, 1}}, got {len}{}",
                    if bad { " with other values" } else { "" }
                ),
            ));
        }
        let coeffs: Vec<i64> = w.coeffs.iter().map(|&c| i64::from(c)).collect();
        w.coeffs.zeroize();
        let rns = params.rns();
        let eval = RnsPoly::<Coeff>::from_signed(rns, top_basis(params), &coeffs).into_eval(rns);
        Ok(Self {
            coeffs,
            eval,
            params_id: params.id(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips_every_width() {
        for bits in [1u32, 7, 8, 25, 40, 49, 60, 61, 64] {
            let vals: Vec<u64> = (0..100u64)
                .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15)) & (u64::MAX >> (64 - bits)))
                .collect();
            let bytes = pack(&vals, bits);
            assert_eq!(bytes.len(), (100 * bits as usize).div_ceil(8));
            let mut out = vec![0; 100];
            unpack(&bytes, bits, &mut out);
            assert_eq!(out, vals, "{bits} bits");
        }
    }

    #[test]
    fn peek_reads_the_header_and_refuses_garbage() {
        let bytes = write(
            Kind::SecretKey,
            0xfeed,
            SecretKeyWire { coeffs: vec![0; 4] },
        );
        assert_eq!(peek(&bytes).unwrap(), (Kind::SecretKey, 0xfeed));
        assert!(peek(&bytes[..10]).is_err());
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(peek(&bad).is_err());
        for version in [FORMAT_VERSION - 1, FORMAT_VERSION + 1] {
            let mut other = bytes.clone();
            other[4..6].copy_from_slice(&version.to_le_bytes());
            assert!(peek(&other).is_err(), "version {version}");
        }
    }
}
