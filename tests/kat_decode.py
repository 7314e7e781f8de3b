#!/usr/bin/env python3
"""Independent decoder/encoder for the libcrumb token format v1.

Written only from docs/FORMAT.md (sections 1-6), to check the specification
and tests/vectors/crumb_v1_kat.json against each other. It does not use any
libcrumb code.

Usage: python3 tests/kat_decode.py tests/vectors/crumb_v1_kat.json

For every vector: derive the subkey, decode/verify/decrypt the token, check
plaintext (against the file and against its plaintext_rule) and flags, and
re-seal with the recorded random bytes to reproduce the exact token. Then
run negative cases derived from each vector, all of which must be rejected.
Exit status 0 only if everything matches.
"""

import hmac
import hashlib
import json
import sys

try:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.exceptions import InvalidTag
except ImportError:
    sys.stderr.write("kat_decode.py: missing Python module 'cryptography' "
                     "(Debian package python3-cryptography)\n")
    sys.exit(2)
try:
    from nacl.bindings import (crypto_aead_xchacha20poly1305_ietf_encrypt,
                               crypto_aead_xchacha20poly1305_ietf_decrypt)
    from nacl.exceptions import CryptoError
except ImportError:
    sys.stderr.write("kat_decode.py: missing Python module 'nacl' "
                     "(Debian package python3-nacl)\n")
    sys.exit(2)

# --- constants from FORMAT.md ----------------------------------------------

VERSION = 1
NONCE_LEN = {1: 24, 2: 28, 3: 0}          # section 2
TAG_LEN = {1: 16, 2: 16, 3: 32}           # section 2
HEADER_LEN = 7
FLAG_RESERVED = 0xF8                      # bits 3-7
HKDF_SALT = b"libcrumb v1"                # section 3, 11 bytes
AESGCM_INFO = b"crumb-aesgcm-token"       # section 3 suite 2, 18 bytes
MAX_BINARY = 7 + 28 + 65536 + 32          # section 1
ALPHABET = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            "0123456789-_")
DECODE_MAP = {c: i for i, c in enumerate(ALPHABET)}

assert len(HKDF_SALT) == 11 and len(AESGCM_INFO) == 18


class Rejected(Exception):
    """Every decoding failure; .reason is the (loggable) cause."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# --- section 1: strict base64url without padding ---------------------------

def b64_len(nbytes):
    """Text length of nbytes encoded without padding."""
    return (nbytes // 3) * 4 + {0: 0, 1: 2, 2: 3}[nbytes % 3]


MAX_TEXT = b64_len(MAX_BINARY)


def b64url_encode(data):
    out = []
    for i in range(0, len(data), 3):
        chunk = data[i:i + 3]
        n = int.from_bytes(chunk + b"\0" * (3 - len(chunk)), "big")
        chars = [ALPHABET[(n >> s) & 63] for s in (18, 12, 6, 0)]
        out.extend(chars[:len(chunk) + 1])
    return "".join(out)


def b64url_decode_strict(text):
    L = len(text)
    if L > MAX_TEXT:
        raise Rejected("too large")
    if L % 4 == 1:
        raise Rejected("bad base64url length")
    vals = []
    for c in text:
        v = DECODE_MAP.get(c)
        if v is None:
            raise Rejected("bad base64url character %r" % c)
        vals.append(v)
    rem = L % 4
    if rem == 2 and vals[-1] & 0x0F:
        raise Rejected("non-canonical base64url (low 4 bits)")
    if rem == 3 and vals[-1] & 0x03:
        raise Rejected("non-canonical base64url (low 2 bits)")
    out = bytearray()
    for i in range(0, L, 4):
        grp = vals[i:i + 4]
        n = 0
        for v in grp:
            n = (n << 6) | v
        n <<= 6 * (4 - len(grp))
        b = n.to_bytes(3, "big")
        out += b[:len(grp) - 1]
    expect = (L // 4) * 3 + max(0, (L % 4) - 1)   # section 1 formula
    assert len(out) == expect
    return bytes(out)


# --- section 3: keys --------------------------------------------------------

def derive_subkey(master, suite, purpose):
    info = b"crumb-subkey" + b"\x00" + bytes([suite]) + purpose
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT,
                info=info).derive(master)


def aesgcm_token_key(subkey, salt):
    # HKDF-Expand with L = 32 is the single block HMAC(PRK, info || 0x01)
    return hmac.new(subkey, AESGCM_INFO + salt + b"\x01",
                    hashlib.sha256).digest()


def len8(s):
    if len(s) > 255:
        raise ValueError("string longer than 255 bytes")
    return bytes([len(s)]) + s


def make_aad(header, cookie_name, purpose, audience):
    return header + len8(cookie_name) + len8(purpose) + len8(audience)


class Ring:
    """key id -> (master key, state); subkeys derived per suite/purpose."""

    def __init__(self, entries):
        self.keys = dict(entries)

    def lookup(self, key_id):
        if key_id not in self.keys:
            raise Rejected("unknown key id")
        master, state = self.keys[key_id]
        if state == "revoked":
            raise Rejected("revoked key")
        return master, state


# --- section 4: decoding procedure -----------------------------------------

def open_token(text, ring, accepted, cookie_name, purpose, audience):
    """Returns (plaintext, flags, key_id, reseal)."""
    binary = b64url_decode_strict(text)                      # step 1
    if len(binary) < HEADER_LEN:                             # step 2
        raise Rejected("truncated")
    if binary[0] != VERSION:                                 # step 3
        raise Rejected("bad version")
    suite = binary[1]
    if suite not in accepted:                                # step 4
        raise Rejected("suite disabled")
    flags = binary[2]
    if flags & FLAG_RESERVED:                                # step 5
        raise Rejected("bad flags")
    n, t = NONCE_LEN[suite], TAG_LEN[suite]
    if len(binary) < HEADER_LEN + n + t:                     # step 6
        raise Rejected("truncated")
    key_id = int.from_bytes(binary[3:7], "big")
    master, state = ring.lookup(key_id)                      # step 7
    header = binary[:HEADER_LEN]
    nonce = binary[HEADER_LEN:HEADER_LEN + n]
    body = binary[HEADER_LEN + n:len(binary) - t]
    tag = binary[len(binary) - t:]
    aad = make_aad(header, cookie_name, purpose, audience)   # step 8
    subkey = derive_subkey(master, suite, purpose)
    if suite == 1:
        try:
            pt = crypto_aead_xchacha20poly1305_ietf_decrypt(
                body + tag, aad, nonce, subkey)
        except CryptoError:
            raise Rejected("bad tag")
    elif suite == 2:
        key = aesgcm_token_key(subkey, nonce[:16])
        try:
            pt = AESGCM(key).decrypt(nonce[16:], body + tag, aad)
        except InvalidTag:
            raise Rejected("bad tag")
    else:
        mac = hmac.new(subkey, aad + body, hashlib.sha256).digest()
        if not hmac.compare_digest(mac, tag):
            raise Rejected("bad tag")
        pt = body
    return pt, flags, key_id, state == "decrypt-only"        # step 9


def seal_token(plaintext, suite, flags, key_id, master, random,
               cookie_name, purpose, audience):
    if len(random) != NONCE_LEN[suite]:
        raise ValueError("random must be %d bytes" % NONCE_LEN[suite])
    header = bytes([VERSION, suite, flags]) + key_id.to_bytes(4, "big")
    aad = make_aad(header, cookie_name, purpose, audience)
    subkey = derive_subkey(master, suite, purpose)
    if suite == 1:
        sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
            plaintext, aad, random, subkey)
    elif suite == 2:
        key = aesgcm_token_key(subkey, random[:16])
        sealed = AESGCM(key).encrypt(random[16:], plaintext, aad)
    else:
        sealed = plaintext + hmac.new(subkey, aad + plaintext,
                                      hashlib.sha256).digest()
    return b64url_encode(header + random + sealed)


# --- driver -----------------------------------------------------------------

def rule_plaintext(n):
    if n == 5:
        return b"hello"
    return bytes((i * 7 + 3) % 256 for i in range(n))


class Counter:
    def __init__(self):
        self.failures = 0
        self.rejected = 0

    def fail(self, name, msg):
        self.failures += 1
        print("FAIL %s: %s" % (name, msg))


def check_reject(ctr, name, what, fn, expect_reason=None):
    try:
        fn()
    except Rejected as e:
        if expect_reason is not None and e.reason != expect_reason:
            ctr.fail(name, "%s: rejected as %r, expected %r"
                     % (what, e.reason, expect_reason))
            return
        ctr.rejected += 1
        return
    ctr.fail(name, "%s: accepted, must be rejected" % what)


def run_vector(v, ctr):
    name = v["name"]
    suite = v["suite"]
    key_id = v["key_id"]
    cookie = v["cookie_name"].encode()
    purpose = v["purpose"].encode()
    audience = v["audience"].encode()
    flags = v["flags"]
    master = bytes.fromhex(v["master_key"])
    random = bytes.fromhex(v["random"])
    plaintext = bytes.fromhex(v["plaintext"])
    token = v["token"]
    before = ctr.failures

    if len(master) != 32:
        ctr.fail(name, "master key is not 32 bytes")
        return False
    if len(random) != NONCE_LEN[suite]:
        ctr.fail(name, "random is %d bytes, suite %d needs %d"
                 % (len(random), suite, NONCE_LEN[suite]))
        return False
    if plaintext != rule_plaintext(len(plaintext)):
        ctr.fail(name, "plaintext does not follow plaintext_rule")

    # 1. subkey
    sk = derive_subkey(master, suite, purpose)
    if sk.hex() != v["subkey"]:
        ctr.fail(name, "subkey %s != %s" % (sk.hex(), v["subkey"]))

    ring = Ring({key_id: (master, "primary")})
    ok_args = (ring, {suite}, cookie, purpose, audience)

    # 2. decode
    try:
        pt, fl, kid, reseal = open_token(token, *ok_args)
        if pt != plaintext:
            ctr.fail(name, "decoded plaintext differs")
        if pt != rule_plaintext(len(pt)):
            ctr.fail(name, "decoded plaintext does not follow the rule")
        if fl != flags:
            ctr.fail(name, "flags %d != %d" % (fl, flags))
        if kid != key_id:
            ctr.fail(name, "key id %d != %d" % (kid, key_id))
        if reseal:
            ctr.fail(name, "primary key reported as decrypt-only")
    except Rejected as e:
        ctr.fail(name, "token rejected: %s" % e.reason)

    # decrypt-only key opens and asks for a re-seal; all suites accepted
    try:
        r2 = Ring({key_id: (master, "decrypt-only")})
        _, _, _, reseal = open_token(token, r2, {1, 2, 3},
                                     cookie, purpose, audience)
        if not reseal:
            ctr.fail(name, "decrypt-only key did not ask for re-seal")
    except Rejected as e:
        ctr.fail(name, "decrypt-only key rejected token: %s" % e.reason)

    # 3. re-seal
    try:
        t2 = seal_token(plaintext, suite, flags, key_id, master, random,
                        cookie, purpose, audience)
        if t2 != token:
            ctr.fail(name, "re-sealed token differs:\n  got  %s\n  want %s"
                     % (t2, token))
    except Exception as e:  # noqa: BLE001
        ctr.fail(name, "seal failed: %r" % e)

    # --- negative cases ---
    binary = b64url_decode_strict(token)
    dec = lambda t, **kw: open_token(t, *ok_args) if not kw else \
        open_token(t, kw.get("ring", ring), kw.get("accepted", {suite}),
                   kw.get("cookie", cookie), kw.get("purpose", purpose),
                   kw.get("audience", audience))

    # every bit of every byte of the binary token (canonical re-encoding)
    for i in range(len(binary)):
        for bit in range(8):
            mod = bytearray(binary)
            mod[i] ^= 1 << bit
            check_reject(ctr, name, "binary byte %d bit %d flipped" % (i, bit),
                         lambda m=bytes(mod): dec(b64url_encode(m)))
    # the same against a verifier accepting every suite
    for i in range(len(binary)):
        mod = bytearray(binary)
        mod[i] ^= 1 << (i % 8)
        check_reject(ctr, name, "byte %d flipped (all suites)" % i,
                     lambda m=bytes(mod): dec(b64url_encode(m),
                                              accepted={1, 2, 3}))
    # one bit of every character of the text
    for i, c in enumerate(token):
        for bit in range(7):
            nc = chr(ord(c) ^ (1 << bit))
            mod = token[:i] + nc + token[i + 1:]
            check_reject(ctr, name, "char %d bit %d flipped" % (i, bit),
                         lambda m=mod: dec(m))

    # context: cookie name, purpose, audience
    check_reject(ctr, name, "wrong cookie name",
                 lambda: dec(token, cookie=cookie + b"x"), "bad tag")
    other_cookie = b"__Host-" + cookie if not cookie.startswith(b"__") \
        else cookie[cookie.index(b"-") + 1:]
    check_reject(ctr, name, "cookie name with/without prefix",
                 lambda: dec(token, cookie=other_cookie), "bad tag")
    check_reject(ctr, name, "wrong purpose",
                 lambda: dec(token, purpose=purpose + b"x"), "bad tag")
    check_reject(ctr, name, "wrong audience",
                 lambda: dec(token, audience=audience + b"x"), "bad tag")
    if audience:
        check_reject(ctr, name, "empty audience",
                     lambda: dec(token, audience=b""), "bad tag")
    # strings swapped between the three length-prefixed fields
    if (cookie, purpose, audience) != (purpose, cookie, audience):
        check_reject(ctr, name, "cookie/purpose swapped",
                     lambda: dec(token, cookie=purpose, purpose=cookie))

    # text form
    rem = len(token) % 4
    if rem in (2, 3):
        last = DECODE_MAP[token[-1]]
        for low in range(1, 16 if rem == 2 else 4):
            nc = ALPHABET[last | low]
            check_reject(ctr, name, "non-canonical trailing bits %d" % low,
                         lambda m=token[:-1] + nc: dec(m))
    pad = "=" * ((4 - rem) % 4)
    check_reject(ctr, name, "'=' appended", lambda: dec(token + "="))
    if pad:
        check_reject(ctr, name, "padded to a multiple of 4",
                     lambda: dec(token + pad))
    check_reject(ctr, name, "standard base64 alphabet",
                 lambda: dec(token.replace("-", "+").replace("_", "/")
                             if ("-" in token or "_" in token)
                             else token + "+"))
    for junk in (" ", "\n", "\0", "."):
        check_reject(ctr, name, "junk %r appended" % junk,
                     lambda j=junk: dec(token + j))
        check_reject(ctr, name, "junk %r inside" % junk,
                     lambda j=junk: dec(token[:4] + j + token[4:]))
    # L mod 4 == 1
    extra = "A" if rem == 0 else ("AA" if rem == 3 else "AAA")
    check_reject(ctr, name, "length mod 4 == 1",
                 lambda: dec(token + extra))
    # every truncation
    for cut in range(len(binary)):
        check_reject(ctr, name, "truncated to %d bytes" % cut,
                     lambda c=cut: dec(b64url_encode(binary[:c])))
    check_reject(ctr, name, "extended by one byte",
                 lambda: dec(b64url_encode(binary + b"\0")))

    # header
    check_reject(ctr, name, "version 2",
                 lambda: dec(b64url_encode(b"\x02" + binary[1:])),
                 "bad version")
    for s in (0, 1, 2, 3, 4, 255):
        if s != suite:
            check_reject(ctr, name, "suite %d not accepted" % s,
                         lambda s=s: dec(b64url_encode(
                             binary[:1] + bytes([s]) + binary[2:])),
                         "suite disabled")
    check_reject(ctr, name, "suite not in configured set",
                 lambda: dec(token, accepted={1, 2, 3} - {suite}),
                 "suite disabled")
    for b in range(3, 8):
        check_reject(ctr, name, "reserved flag bit %d" % b,
                     lambda b=b: dec(b64url_encode(
                         binary[:2] + bytes([binary[2] | (1 << b)])
                         + binary[3:])), "bad flags")
    for b in range(3):   # defined flags are authenticated too
        check_reject(ctr, name, "flag bit %d toggled" % b,
                     lambda b=b: dec(b64url_encode(
                         binary[:2] + bytes([binary[2] ^ (1 << b)])
                         + binary[3:])), "bad tag")

    # keys
    other_id = key_id + 1 if key_id < 0xFFFFFFFF else 1
    check_reject(ctr, name, "unknown key id (ring lacks it)",
                 lambda: dec(token, ring=Ring({other_id: (master, "primary")})),
                 "unknown key id")
    check_reject(ctr, name, "unknown key id (empty ring)",
                 lambda: dec(token, ring=Ring({})), "unknown key id")
    check_reject(ctr, name, "header key id changed to an unknown id",
                 lambda: dec(b64url_encode(binary[:3] + other_id.to_bytes(
                     4, "big") + binary[7:])), "unknown key id")
    check_reject(ctr, name, "header key id changed to a known id",
                 lambda: dec(b64url_encode(binary[:3] + other_id.to_bytes(
                     4, "big") + binary[7:]),
                     ring=Ring({key_id: (master, "primary"),
                                other_id: (master, "primary")})), "bad tag")
    check_reject(ctr, name, "revoked key",
                 lambda: dec(token, ring=Ring({key_id: (master, "revoked")})),
                 "revoked key")
    wrong = bytes(x ^ 0x80 for x in master)
    check_reject(ctr, name, "wrong master key",
                 lambda: dec(token, ring=Ring({key_id: (wrong, "primary")})),
                 "bad tag")
    return ctr.failures == before


def global_checks(ctr):
    """Checks of section 1 independent of any vector."""
    name = "spec"
    if MAX_TEXT != 87471:
        ctr.fail(name, "max text length %d != 87,471" % MAX_TEXT)
    ring = Ring({})
    check_reject(ctr, name, "too large token",
                 lambda: open_token("A" * (MAX_TEXT + 1), ring, {1, 2, 3},
                                    b"sid", b"session", b""), "too large")
    check_reject(ctr, name, "too large (invalid chars, checked first)",
                 lambda: open_token("=" * (MAX_TEXT + 1), ring, {1, 2, 3},
                                    b"sid", b"session", b""), "too large")
    check_reject(ctr, name, "empty token",
                 lambda: open_token("", ring, {1, 2, 3},
                                    b"sid", b"session", b""), "truncated")
    # round trip of the strict codec on every length 0..64
    for n in range(65):
        data = bytes((i * 37 + n) % 256 for i in range(n))
        t = b64url_encode(data)
        if len(t) != (n * 4 + 2) // 3 or b64url_decode_strict(t) != data:
            ctr.fail(name, "base64url round trip failed for %d bytes" % n)


# ---- Session payload v1/v2 (docs/FORMAT.md section 7, "Payload v2") ----

class BadPayload(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code  # "payload" (malformed) or "version"


class Reader:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, n):
        if len(self.b) - self.o < n:
            raise BadPayload("payload")
        r = self.b[self.o:self.o + n]
        self.o += n
        return r

    def u(self, n):
        return int.from_bytes(self.take(n), "big")

    def i64(self):
        return int.from_bytes(self.take(8), "big", signed=True)


AUTH_FIELDS = {0: [], 1: ["factors", "remaining", "attempts", "time"],
               2: ["factors", "time"], 3: ["workflow", "time"], 4: []}


def mask(bits):
    m = 0
    for b in bits:
        if b >= 32 or m & (1 << b):
            raise BadPayload("payload")
        m |= 1 << b
    return m


def decode_ext(r, p):
    """The v2 extension block; fills p and checks every v2 rule."""
    count, prev = r.u(1), 0
    for _ in range(count):
        t, ln = r.u(1), r.u(2)
        v = Reader(r.take(ln))
        if t <= prev:
            raise BadPayload("payload")
        prev = t
        if t == 1 and ln == 32:
            p["fingerprint"] = v.take(32).hex()
        elif t == 2 and ln == 16:
            p["lifetime"], p["idle"] = v.i64(), v.i64()
            if p["lifetime"] < 0 or (p["lifetime"] == 0 and p["idle"] == 0):
                raise BadPayload("payload")
        elif t == 3:
            method = v.take(v.u(1))
            done = list(v.take(v.u(1)))
            left = list(v.take(v.u(1)))
            last = v.i64()
            if len(method) > 63 or b"\0" in method or len(done) > 8 or \
                    len(left) > 8 or v.o != ln or \
                    not (method or done or left or last):
                raise BadPayload("payload")
            p.update(method=method.decode("latin-1"), done=done, left=left,
                     last_attempt=last)
            mask(done + left)
            st = p["auth"]
            if st not in (1, 2) or mask(done) != p["factors"] or \
                    (st == 1 and mask(left) != p["remaining"]) or \
                    (st == 2 and left):
                raise BadPayload("payload")
        elif t == 4 and ln == 8:
            p["step"], p["steps"] = v.u(4), v.u(4)
            if p["auth"] != 3 or p["steps"] == 0 or p["step"] >= p["steps"]:
                raise BadPayload("payload")
        else:
            raise BadPayload("payload")  # unknown type or wrong length
    if count == 0 and p["auth"] != 4:
        raise BadPayload("payload")  # would have been v1


def decode_payload(b):
    """Decode a payload strictly; a dict of its fields."""
    if not b:
        raise BadPayload("payload")
    if b[0] > 2:
        raise BadPayload("version")
    if b[0] == 0:
        raise BadPayload("payload")
    r = Reader(b)
    p = {"version": r.u(1), "issued_at": r.i64(), "expires_at": r.i64(),
         "idle_at": r.i64(), "sid": r.take(16).hex(),
         "family": r.take(16).hex(), "generation": r.u(4),
         "app_schema": r.u(4)}
    for k in ("user", "tenant", "device"):
        p[k] = r.take(r.u(1)).decode("latin-1")
    p["auth"] = r.u(1)
    if p["auth"] not in AUTH_FIELDS or (p["auth"] == 4 and p["version"] < 2):
        raise BadPayload("payload")
    for f in AUTH_FIELDS[p["auth"]]:
        p[f] = r.i64() if f == "time" else r.u(4)
    if p["auth"] == 4 and not p["user"]:
        raise BadPayload("payload")
    if p["version"] == 2:
        decode_ext(r, p)
    count, entries, prev = r.u(2), [], None
    if count > 1024:
        raise BadPayload("payload")
    while r.o < len(b):
        k = r.take(r.u(1))
        if not k or b"\0" in k or (prev is not None and k <= prev):
            raise BadPayload("payload")
        entries.append((k, r.take(r.u(2))))
        prev = k
    if len(entries) != count or p["issued_at"] > p["expires_at"] or \
            p["idle_at"] > p["expires_at"]:
        raise BadPayload("payload")
    p["data"] = entries
    return p


def encode_payload(p):
    """Re-encode a decoded payload (canonical: must give the same bytes)."""
    i64 = lambda v: v.to_bytes(8, "big", signed=True)
    out = bytes([p["version"]]) + i64(p["issued_at"]) + i64(p["expires_at"])
    out += i64(p["idle_at"]) + bytes.fromhex(p["sid"] + p["family"])
    out += p["generation"].to_bytes(4, "big") + p["app_schema"].to_bytes(4, "big")
    for k in ("user", "tenant", "device"):
        out += bytes([len(p[k])]) + p[k].encode("latin-1")
    out += bytes([p["auth"]])
    for f in AUTH_FIELDS[p["auth"]]:
        out += i64(p[f]) if f == "time" else p[f].to_bytes(4, "big")
    if p["version"] == 2:
        fields = []
        if "fingerprint" in p:
            fields.append((1, bytes.fromhex(p["fingerprint"])))
        if "lifetime" in p:
            fields.append((2, i64(p["lifetime"]) + i64(p["idle"])))
        if "method" in p:
            m = p["method"].encode("latin-1")
            fields.append((3, bytes([len(m)]) + m + bytes([len(p["done"])]) +
                           bytes(p["done"]) + bytes([len(p["left"])]) +
                           bytes(p["left"]) + i64(p["last_attempt"])))
        if "steps" in p:
            fields.append((4, p["step"].to_bytes(4, "big") +
                           p["steps"].to_bytes(4, "big")))
        out += bytes([len(fields)])
        for t, v in fields:
            out += bytes([t]) + len(v).to_bytes(2, "big") + v
    out += len(p["data"]).to_bytes(2, "big")
    for k, v in p["data"]:
        out += bytes([len(k)]) + k + len(v).to_bytes(2, "big") + v
    return out


def run_payload_vectors(doc):
    """Decode every payload vector, re-encode it, and check that every
    truncation is refused and every one-bit change is refused or canonical."""
    failures, n = 0, 0
    for v in doc.get("tests", []):
        b = bytes.fromhex(v["payload"])
        try:
            p = decode_payload(b)
            ok = encode_payload(p) == b and \
                p["version"] == (1 if v["name"].startswith("v1") else 2)
        except BadPayload as e:
            print("FAIL %s: rejected (%s)" % (v["name"], e.code))
            failures += 1
            continue
        for cut in range(len(b)):
            try:
                decode_payload(b[:cut])
                ok = False
            except BadPayload:
                pass
        for i in range(len(b) * 8):
            m = bytearray(b)
            m[i // 8] ^= 1 << (i % 8)
            try:
                ok &= encode_payload(decode_payload(bytes(m))) == bytes(m)
            except BadPayload:
                pass
        print("%s %s (payload v%d, %d bytes)" % ("ok  " if ok else "FAIL",
                                                 v["name"], p["version"], len(b)))
        failures += not ok
        n += 1
    if n == 0:
        failures += 1
    print("%d payload vectors, %d failures" % (n, failures))
    return 1 if failures else 0


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s crumb_v1_kat.json\n" % argv[0])
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format", "").startswith("crumb session payload"):
        return run_payload_vectors(doc)
    ctr = Counter()
    global_checks(ctr)
    nok = 0
    tests = doc.get("tests", [])
    if not tests:
        ctr.fail("file", "no vectors")
    for v in tests:
        before = ctr.rejected
        good = run_vector(v, ctr)
        print("%s %s (suite %d, %d plaintext bytes, %d negative cases)"
              % ("ok  " if good else "FAIL", v["name"], v["suite"],
                 len(v["plaintext"]) // 2, ctr.rejected - before))
        nok += good
    print("%d vectors ok, %d negative cases rejected" % (nok, ctr.rejected))
    if ctr.failures or nok != len(tests):
        print("%d failures" % ctr.failures)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
