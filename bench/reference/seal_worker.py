"""SEAL (through TenSEAL's `sealapi` bindings) worker for the side-by-side
benchmark; see worker.py for the protocol."""

import os
import tempfile

import tenseal as ts
import tenseal.sealapi as seal

import worker
from worker import FEATURES, SLOTS, STRIDE


def main():
    name, (log_q, log_p, log_scale) = worker.preset()
    scale = 2.0**log_scale
    parms = seal.EncryptionParameters(seal.SCHEME_TYPE.CKKS)
    parms.set_poly_modulus_degree(2 * SLOTS)
    parms.set_coeff_modulus(seal.CoeffModulus.Create(2 * SLOTS, log_q + log_p))
    ctx = seal.SEALContext(parms, True, seal.SEC_LEVEL_TYPE.TC128)

    def keygen():
        kg = seal.KeyGenerator(ctx)
        pk, rk, gk = seal.PublicKey(), seal.RelinKeys(), seal.GaloisKeys()
        kg.create_public_key(pk)
        kg.create_relin_keys(rk)
        kg.create_galois_keys(gk)  # SEAL's default: every ±2^k
        return kg.secret_key(), pk, rk, gk

    sk, pk, rk, gk = keygen()
    encoder = seal.CKKSEncoder(ctx)
    encryptor = seal.Encryptor(ctx, pk)
    evaluator = seal.Evaluator(ctx)
    decryptor = seal.Decryptor(ctx, sk)

    x, y, w, b = worker.inputs()

    def encode(values, at=None, sc=scale):
        pt = seal.Plaintext()
        if at is None:
            encoder.encode(values, sc, pt)
        else:
            encoder.encode(values, at, sc, pt)
        return pt

    def encrypt(pt):
        ct = seal.Ciphertext()
        encryptor.encrypt(pt, ct)
        return ct

    def decrypt(ct):
        pt = seal.Plaintext()
        decryptor.decrypt(ct, pt)
        return encoder.decode_double(pt)

    pt_x, pt_y = encode(x), encode(y)
    ct_x, ct_y = encrypt(pt_x), encrypt(pt_y)
    pt_w = encode(worker.replicated(w))

    def mul_relin(a, c):
        out = seal.Ciphertext()
        evaluator.multiply(a, c, out)
        evaluator.relinearize_inplace(out, rk)
        return out

    ct_xy = mul_relin(ct_x, ct_y)

    def rotate(ct, step):
        out = seal.Ciphertext()
        evaluator.rotate_vector(ct, step, gk, out)
        return out

    def dot(ct, pt_weights):
        out = seal.Ciphertext()
        evaluator.multiply_plain(ct, pt_weights, out)
        evaluator.rescale_to_next_inplace(out)
        step = 1
        while step < STRIDE:
            evaluator.add_inplace(out, rotate(out, step))
            step *= 2
        return out

    def with_bias(ct):
        evaluator.add_plain_inplace(ct, encode([b] * SLOTS, ct.parms_id(), ct.scale))
        return ct

    one_patient = x[:FEATURES]
    patients = [x[p * STRIDE + i] if i < FEATURES else 0.0 for p in range(SLOTS // STRIDE) for i in range(STRIDE)]

    # The published study's loop, TenSEAL's high-level API.
    tctx = ts.context(ts.SCHEME_TYPE.CKKS, 2 * SLOTS, coeff_mod_bit_sizes=log_q + log_p)
    tctx.global_scale = scale
    tctx.generate_galois_keys()

    def study_patient():
        v = ts.ckks_vector(tctx, one_patient)
        return (v.dot(w) + b).decrypt()

    def size(obj):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "obj")
            obj.save(path)
            return os.path.getsize(path)

    def trial():
        cx, cy = encrypt(pt_x), encrypt(pt_y)
        rescaled = seal.Ciphertext()
        evaluator.rescale_to_next(mul_relin(cx, cy), rescaled)
        rot = decrypt(rotate(cx, 1))
        dotted = decrypt(dot(cx, pt_w))
        return {
            "fresh": worker.bits(worker.max_err(decrypt(cx), x)),
            "mul_relin_rescale": worker.bits(worker.max_err(decrypt(rescaled), [a * c for a, c in zip(x, y)])),
            "rotate": worker.bits(worker.max_err(rot, x[1:] + x[:1])),
            "dot30": worker.bits(worker.max_err(dotted[::STRIDE], worker.expected_dot(x, w))),
        }

    precision = worker.mean_precision(trial)
    sizes = {
        "ciphertext": size(ct_x),
        "relin_key": size(rk),
        "galois_keys": size(gk),
        "galois_key_count": gk.size(),
    }

    ops = {
        "keygen": keygen,
        "encode": lambda: encode(x),
        "encrypt": lambda: encrypt(pt_x),
        "decrypt_decode": lambda: decrypt(ct_x),
        "add": lambda: evaluator.add(ct_x, ct_y, seal.Ciphertext()),
        "mul_plain": lambda: evaluator.multiply_plain(ct_x, pt_y, seal.Ciphertext()),
        "mul_relin": lambda: mul_relin(ct_x, ct_y),
        "rescale": lambda: evaluator.rescale_to_next(ct_xy, seal.Ciphertext()),
        "rotate": lambda: rotate(ct_x, 1),
        "dot30": lambda: dot(ct_x, pt_w),
        "patient": lambda: decrypt(with_bias(dot(encrypt(encode(one_patient)), pt_w))),
        "batched": lambda: decrypt(with_bias(dot(encrypt(encode(patients)), pt_w))),
        "patient_study": study_patient,
    }
    worker.serve(
        "SEAL (TenSEAL sealapi)",
        f"TenSEAL {ts.__version__}",
        {"preset": name, "precision": precision, "sizes": sizes},
        ops,
    )


if __name__ == "__main__":
    worker.run(main)
