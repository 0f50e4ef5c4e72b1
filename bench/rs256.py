#!/usr/bin/python3
"""bench/rs256.py: the bench stack's RS256 issuer (python3-cryptography and
python3-jwt).

  rs256.py keys DIR
      writes DIR/key.pem (a new RSA-2048 private key, mode 0600) and
      DIR/jwks.json (its public half as a JWKS of one key with a kid, the
      issuer's jwks_file); prints the kid
  rs256.py token DIR ISS AUD SUB TID ROLE TTL [COUNT [SIZE]]
      prints an RS256 token signed with DIR/key.pem, with the kid in its
      header and iss, aud, sub, tid, roles [ROLE], iat and exp = now + TTL
      in its claims: the claims rosterctl token writes for the HS256 issuer;
      with COUNT, that many tokens, one a line, the i-th (from 0) with
      exp = now + TTL + i (all different, all the same shape); with SIZE,
      a scope claim of words pads each token to SIZE bytes, as an IdP's
      scopes, groups and extra claims make its tokens longer
"""

import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def kid_of(pub):
    """The key's RFC 7638 thumbprint, as IdPs name their keys."""
    jwk = json.loads(RSAAlgorithm.to_jwk(pub))
    canon = json.dumps({k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":"),
                       sort_keys=True)
    h = hashes.Hash(hashes.SHA256())
    h.update(canon.encode())
    return jwt.utils.base64url_encode(h.finalize()).decode()


def keys(d):
    os.makedirs(d, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(os.path.join(d, "key.pem"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    pub = key.public_key()
    kid = kid_of(pub)
    jwk = json.loads(RSAAlgorithm.to_jwk(pub))
    jwk.pop("key_ops", None)
    jwk.update({"kid": kid, "use": "sig", "alg": "RS256"})
    with open(os.path.join(d, "jwks.json"), "w") as f:
        json.dump({"keys": [jwk]}, f)
        f.write("\n")
    print(kid)


def token(d, iss, aud, sub, tid, role, ttl, count="1", size="0"):
    with open(os.path.join(d, "key.pem"), "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    kid = kid_of(key.public_key())
    now = int(time.time())
    for i in range(int(count)):
        claims = {"sub": sub, "tid": tid, "roles": [role], "iss": iss, "aud": aud,
                  "iat": now, "exp": now + int(ttl) + i}
        tok = jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})
        if len(tok) < int(size):
            # 4 base64 characters for each 3 bytes of claims
            n = (int(size) - len(tok) - len(',"scope":""') * 4 // 3) * 3 // 4
            claims["scope"] = " ".join(f"api.read{j}" for j in range(n // 10 + 1))[:max(n, 0)]
            tok = jwt.encode(claims, key, algorithm="RS256",
                             headers={"kid": kid, "typ": "JWT"})
        print(tok)


def main(argv):
    if len(argv) == 3 and argv[1] == "keys":
        keys(argv[2])
    elif len(argv) in (9, 10, 11) and argv[1] == "token":
        token(*argv[2:])
    else:
        sys.exit(__doc__)


main(sys.argv)
