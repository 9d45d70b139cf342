#!/usr/bin/env python3
"""Independent reading of an otpauth:// URI, as an RFC 6238 authenticator app would do it.

Usage: otpauth_check.py URI TIME [TIME...]
       otpauth_check.py -      (lines "URI TIME [TIME...]" on stdin, one JSON object per line on stdout)
Prints one JSON object: the label's issuer and account, the query's issuer, digits, period and algorithm, the
secret's bytes (hex), and the TOTP code at each TIME (unix seconds). Python standard library only (urllib.parse,
base64, hmac, hashlib, struct), written without reference to the TypeScript implementation it checks.
"""
import base64
import hashlib
import hmac
import json
import struct
import sys
from urllib.parse import parse_qs, unquote, urlsplit


def read_uri(uri):
    parts = urlsplit(uri)
    if parts.scheme != "otpauth" or parts.netloc != "totp":
        raise SystemExit("not an otpauth://totp/ URI: " + uri)
    label = parts.path[1:]  # strip the leading '/'
    raw_issuer, sep, raw_account = label.partition(":")
    if not sep:
        raise SystemExit("label without 'issuer:account': " + label)
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    one = {k: v[0] for k, v in query.items() if len(v) == 1}
    if len(one) != len(query):
        raise SystemExit("a query parameter appears twice")
    return unquote(raw_issuer, errors="strict"), unquote(raw_account, errors="strict"), one


def totp(key, unix_seconds, digits, period, algorithm):
    digest = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[algorithm]
    counter = unix_seconds // period
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % (10 ** digits)).zfill(digits)


def reading(argv):
    issuer, account, query = read_uri(argv[0])
    secret = query["secret"]
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digits = int(query.get("digits", "6"))
    period = int(query.get("period", "30"))
    algorithm = query.get("algorithm", "SHA1").upper()
    times = [int(t) for t in argv[1:]]
    return json.dumps({
        "label_issuer": issuer,
        "account": account,
        "issuer": query.get("issuer"),
        "digits": digits,
        "period": period,
        "algorithm": algorithm,
        "secret_hex": key.hex().upper(),
        "codes": [totp(key, t, digits, period, algorithm) for t in times],
    }, ensure_ascii=False)


def main(argv):
    if argv == ["-"]:
        for line in sys.stdin:
            if line.strip():
                print(reading(line.split()))
    elif len(argv) >= 2:
        print(reading(argv))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
