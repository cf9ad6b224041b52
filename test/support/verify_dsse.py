#!/usr/bin/python3
"""Independent verifier of Quarantine's verdict attestations (tests only; docs/attestations.md).

Debian 12's python3-securesystemslib (0.26) has no DSSE Envelope class (securesystemslib.dsse came
in a later release), so PAE is written here from the DSSE v1.0 spec and the ECDSA P-256 signature is
checked by securesystemslib's SSlibKey (scheme ecdsa-sha2-nistp256, which calls python3-cryptography).
Nothing here is shared with the TypeScript implementation.

usage: verify_dsse.py ENVELOPE_JSON_FILE PUBLIC_KEY_PEM_FILE sha256:DIGEST [NOW_RFC3339]
prints {"ok": true, "verdict": ...} or {"ok": false, "reason": ...}; exit 0 / 1.
"""
import base64
import json
import sys
from datetime import datetime, timezone

from securesystemslib import keys as sslib_keys
from securesystemslib.exceptions import UnverifiedSignatureError, VerificationError
from securesystemslib.signer import Signature, SSlibKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://quarantine.dev/attestation/verdict/v1"


def pae(payload_type: str, body: bytes) -> bytes:
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def parse_time(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def verify(envelope: dict, pem: str, digest: str, now: datetime) -> dict:
    if envelope.get("payloadType") != PAYLOAD_TYPE:
        return {"ok": False, "reason": "payloadType"}
    body = base64.b64decode(envelope["payload"], validate=True)
    key = SSlibKey.from_securesystemslib_key(sslib_keys.import_ecdsakey_from_public_pem(pem, "ecdsa-sha2-nistp256"))
    good = False
    for s in envelope.get("signatures", []):
        sig = Signature(keyid=key.keyid, sig=base64.b64decode(s["sig"]).hex())
        try:
            key.verify_signature(sig, pae(envelope["payloadType"], body))
            good = True
            break
        except (UnverifiedSignatureError, VerificationError):
            continue
    if not good:
        return {"ok": False, "reason": "signature"}
    statement = json.loads(body)
    if statement.get("_type") != STATEMENT_TYPE or statement.get("predicateType") != PREDICATE_TYPE:
        return {"ok": False, "reason": "type"}
    hexdigest = digest.split(":", 1)[1]
    if not any(s.get("digest", {}).get("sha256") == hexdigest for s in statement.get("subject", [])):
        return {"ok": False, "reason": "subject"}
    predicate = statement["predicate"]
    if parse_time(predicate["expiresAt"]) <= now:
        return {"ok": False, "reason": "expired"}
    return {"ok": True, "verdict": predicate["verdict"], "subject": statement["subject"][0]["name"], "analysis": predicate["analysis"]["id"]}


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        envelope = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        pem = f.read()
    now = parse_time(sys.argv[4]) if len(sys.argv) > 4 else datetime.now(timezone.utc)
    out = verify(envelope, pem, sys.argv[3], now)
    print(json.dumps(out))
    return 0 if out["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
