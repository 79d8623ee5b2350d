"""The server half of Telegram's SRP 2FA check, so the real ``client.sign_in(password=...)`` runs.

telethon computes ``InputCheckPasswordSRP`` from ``account.Password`` exactly as for Telegram
(:func:`telethon.password.compute_check`); this module issues that challenge and verifies the
answer with the server's secret ``b`` and the verifier ``v = g^x`` (tdesktop's
core_cloud_password.cpp, the same algorithm telethon follows).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from telethon import password as pw
from telethon.tl import types

_G = 3
_PRIME = bytes.fromhex(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F"
    "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37"
    "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4"
    "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754"
    "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F"
    "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B"
)
"""Telegram's 2048-bit safe prime (the one telethon accepts without a primality test)."""


@dataclass
class Challenge:
    password: types.account.Password
    secret_b: int
    verifier: int


def challenge(password: str) -> Challenge:
    algo = types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
        salt1=os.urandom(16), salt2=os.urandom(16), g=_G, p=_PRIME
    )
    p = int.from_bytes(_PRIME, "big")
    x = int.from_bytes(pw.compute_hash(algo, password), "big")
    verifier = pow(_G, x, p)
    k = int.from_bytes(pw.sha256(pw.num_bytes_for_hash(_PRIME), pw.big_num_for_hash(_G)), "big")
    secret_b = secrets.randbits(2048) % p
    big_b = (k * verifier + pow(_G, secret_b, p)) % p
    answer = types.account.Password(
        new_algo=types.PasswordKdfAlgoUnknown(),
        new_secure_algo=types.SecurePasswordKdfAlgoUnknown(),
        secure_random=os.urandom(32),
        has_password=True,
        current_algo=algo,
        srp_B=pw.big_num_for_hash(big_b),
        srp_id=secrets.randbits(63),
    )
    return Challenge(answer, secret_b, verifier)


def verify(issued: Challenge, check: types.InputCheckPasswordSRP) -> bool:
    algo = issued.password.current_algo
    p = int.from_bytes(_PRIME, "big")
    big_a = int.from_bytes(check.A, "big")
    if check.srp_id != issued.password.srp_id or not 0 < big_a < p:
        return False
    a_for_hash = pw.big_num_for_hash(big_a)
    b_for_hash = pw.num_bytes_for_hash(issued.password.srp_B)
    u = int.from_bytes(pw.sha256(a_for_hash, b_for_hash), "big")
    shared = pow(big_a * pow(issued.verifier, u, p) % p, issued.secret_b, p)
    key = pw.sha256(pw.big_num_for_hash(shared))
    expected = pw.sha256(
        pw.xor(pw.sha256(pw.num_bytes_for_hash(_PRIME)), pw.sha256(pw.big_num_for_hash(_G))),
        pw.sha256(algo.salt1),
        pw.sha256(algo.salt2),
        a_for_hash,
        b_for_hash,
        key,
    )
    return secrets.compare_digest(expected, bytes(check.M1))


__all__ = ["Challenge", "challenge", "verify"]
