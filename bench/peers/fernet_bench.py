"""fernet_bench.py - Fernet (python3-cryptography) encrypt/decrypt of the
same 205-byte payload bench_codec seals. Prints CPU-time ops/s
(time.process_time), one line each: "fernet-seal N LEN", "fernet-open N LEN".
Run by bench/peers.sh."""
import time

from cryptography.fernet import Fernet


def rate(secs, fn):
    n = 0
    t0 = time.process_time()
    while True:
        for _ in range(256):
            fn()
        n += 256
        t = time.process_time() - t0
        if t >= secs:
            return n / t


f = Fernet(Fernet.generate_key())
pt = bytes((i * 31 + 7) & 0xFF for i in range(205))
tok = f.encrypt(pt)
print("fernet-seal %.0f %d" % (rate(1.0, lambda: f.encrypt(pt)), len(tok)))
print("fernet-open %.0f %d" % (rate(1.0, lambda: f.decrypt(tok)), len(tok)))
