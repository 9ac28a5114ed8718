"""OpenFHE (its `openfhe` Python wheel) worker for the side-by-side
benchmark; see worker.py for the protocol.

OpenFHE refuses N = 8192 at 128-bit security with hybrid key switching (its
special primes take log2(QP) past 218 bits), so it runs with
`HEStd_NotSet`; the report marks it. FIXEDMANUAL scaling, so rescaling is
explicit, as in the other libraries. Run with OMP_NUM_THREADS=1 by the
driver.
"""

import os
import tempfile

import openfhe as fhe

import worker
from worker import FEATURES, SLOTS, STRIDE


def main():
    name, (log_q, log_p, log_scale) = worker.preset()
    p = fhe.CCParamsCKKSRNS()
    p.SetMultiplicativeDepth(len(log_q) - 1)
    p.SetScalingModSize(log_scale)
    p.SetFirstModSize(log_q[0])
    p.SetRingDim(2 * SLOTS)
    p.SetBatchSize(SLOTS)
    p.SetSecurityLevel(fhe.SecurityLevel.HEStd_NotSet)
    p.SetScalingTechnique(fhe.ScalingTechnique.FIXEDMANUAL)
    p.SetKeySwitchTechnique(fhe.KeySwitchTechnique.HYBRID)
    cc = fhe.GenCryptoContext(p)
    for f in (fhe.PKESchemeFeature.PKE, fhe.PKESchemeFeature.KEYSWITCH, fhe.PKESchemeFeature.LEVELEDSHE):
        cc.Enable(f)
    steps = []
    k = 1
    while k < SLOTS:
        steps += [k, -k]
        k *= 2

    def keygen():
        keys = cc.KeyGen()
        cc.EvalMultKeyGen(keys.secretKey)
        cc.EvalRotateKeyGen(keys.secretKey, steps)
        return keys

    keys = keygen()
    x, y, w, b = worker.inputs()

    def decrypt(ct, n=SLOTS):
        pt = cc.Decrypt(ct, keys.secretKey)
        pt.SetLength(n)
        return pt.GetRealPackedValue()

    pt_x = cc.MakeCKKSPackedPlaintext(x)
    pt_y = cc.MakeCKKSPackedPlaintext(y)
    ct_x = cc.Encrypt(keys.publicKey, pt_x)
    ct_y = cc.Encrypt(keys.publicKey, pt_y)
    pt_w = cc.MakeCKKSPackedPlaintext(worker.replicated(w))
    ct_xy = cc.EvalMult(ct_x, ct_y)

    def dot(ct):
        out = cc.Rescale(cc.EvalMult(ct, pt_w))
        step = 1
        while step < STRIDE:
            out = cc.EvalAdd(out, cc.EvalRotate(out, step))
            step *= 2
        return out

    one_patient = x[:FEATURES]
    patients = [x[q * STRIDE + i] if i < FEATURES else 0.0 for q in range(SLOTS // STRIDE) for i in range(STRIDE)]

    def pipeline(values, n):
        ct = cc.Encrypt(keys.publicKey, cc.MakeCKKSPackedPlaintext(values))
        return decrypt(cc.EvalAdd(dot(ct), b), n)

    def size(write):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "obj")
            if not write(path):
                raise RuntimeError("serialization failed")
            return os.path.getsize(path)

    def trial():
        cx = cc.Encrypt(keys.publicKey, pt_x)
        cy = cc.Encrypt(keys.publicKey, pt_y)
        dotted = decrypt(dot(cx))
        return {
            "fresh": worker.bits(worker.max_err(decrypt(cx), x)),
            "mul_relin_rescale": worker.bits(
                worker.max_err(decrypt(cc.Rescale(cc.EvalMult(cx, cy))), [a * c for a, c in zip(x, y)])
            ),
            "rotate": worker.bits(worker.max_err(decrypt(cc.EvalRotate(cx, 1)), x[1:] + x[:1])),
            "dot30": worker.bits(worker.max_err(dotted[::STRIDE], worker.expected_dot(x, w))),
        }

    precision = worker.mean_precision(trial)
    sizes = {
        "ciphertext": size(lambda path: fhe.SerializeToFile(path, ct_x, fhe.BINARY)),
        "relin_key": size(lambda path: cc.SerializeEvalMultKey(path, fhe.BINARY)),
        "galois_keys": size(lambda path: cc.SerializeEvalAutomorphismKey(path, fhe.BINARY)),
        "galois_key_count": len(set(s % SLOTS for s in steps)),
    }

    ops = {
        "keygen": keygen,
        "encode": lambda: cc.MakeCKKSPackedPlaintext(x),
        "encrypt": lambda: cc.Encrypt(keys.publicKey, pt_x),
        "decrypt_decode": lambda: decrypt(ct_x),
        "add": lambda: cc.EvalAdd(ct_x, ct_y),
        "mul_plain": lambda: cc.EvalMult(ct_x, pt_y),
        "mul_relin": lambda: cc.EvalMult(ct_x, ct_y),
        "rescale": lambda: cc.Rescale(ct_xy),
        "rotate": lambda: cc.EvalRotate(ct_x, 1),
        "dot30": lambda: dot(ct_x),
        "patient": lambda: pipeline(one_patient, 1),
        "batched": lambda: pipeline(patients, SLOTS),
    }
    worker.serve(
        "OpenFHE",
        f"openfhe {getattr(fhe, '__version__', '?')}",
        {"preset": name, "precision": precision, "sizes": sizes, "security": "HEStd_NotSet"},
        ops,
    )


if __name__ == "__main__":
    worker.run(main)
