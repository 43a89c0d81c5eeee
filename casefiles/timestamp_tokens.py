"""RFC 3161 time-stamps of signed tree heads: the request and the checks, shared by the
server (casefiles/timestamps.py) and the standalone verifier (casefiles/verify_export.py).

A time-stamp is a time-stamping authority's (TSA's) signed statement that a hash existed
at a time (`genTime`): here the SHA-256 of a tree head's signed note exactly as the log
published it, so a TSA the operator does not control vouches that the log had that tree
head no later than then (docs/transparency-log.md, "Time-stamps (RFC 3161)").

What is kept is the TSA's whole answer, its DER `TimeStampResp` (the status and the
signed `TimeStampToken`), as `openssl ts -reply` writes a .tsr file: that is what both
rfc3161-client and `openssl ts -verify -in` read.

No Django. The maintained `rfc3161-client` (ASN.1 and CMS in Rust, from Trail of Bits)
does the parsing and the signature checks; it is imported only when needed, so the
verifier runs with the standard library and `cryptography` alone and then says that it
did not check the token (`Unavailable`).
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
# A TSA's answer is a few kilobytes (one certificate chain, one signature).
MAX_RESPONSE_BYTES = 1 << 16
SHA256 = x509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")
INSTALL = "pip install rfc3161-client"


class TokenError(ValueError):
    """The TSA's answer is not a valid time-stamp of the tree head it should be of."""


class Unavailable(ImportError):
    """rfc3161-client is not installed: tokens can be neither made nor checked."""


@dataclass(frozen=True)
class Stamp:
    gen_time: datetime  # UTC, as the TSA signed it
    tsa: str  # the TSA's name: the token's tsa field, else its signing certificate's subject
    chain_checked: bool  # its signature verified up to a CA the caller gave

    def __str__(self) -> str:
        return f"time-stamped {self.gen_time:%Y-%m-%dT%H:%M:%SZ} by {self.tsa}"


def library():
    try:
        import rfc3161_client
    except ImportError:
        raise Unavailable(f"rfc3161-client is not installed ({INSTALL})") from None
    return rfc3161_client


def digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def request(data: bytes):
    """A TimeStampReq over SHA-256(data), with a fresh 64-bit nonce and asking for the
    TSA's certificate (so that the token carries it). `.as_bytes()` is what is POSTed,
    `.nonce` what the answer must echo."""
    rfc3161 = library()
    return (
        rfc3161.TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(rfc3161.HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )


def certificates(pem: bytes) -> list[x509.Certificate]:
    """The TSA's root (or chain) from a PEM file: every certificate in it is trusted."""
    try:
        found = x509.load_pem_x509_certificates(pem)
    except ValueError:
        found = []
    if not found:
        raise TokenError("the TSA's CA file holds no PEM certificate")
    return found


def check(
    response: bytes, data: bytes, *, ca: bytes | None = None, nonce: int | None = None
) -> Stamp:
    """Check that `response` (a DER TimeStampResp) grants a time-stamp over
    SHA-256(`data`), with `nonce` echoed when given, and, when `ca` (PEM) is given, that
    its signature verifies through a certificate chain ending at one of those
    certificates, with the critical timeStamping key usage RFC 3161 requires. Without
    `ca` the signature is not checked: the token then says when, but nothing vouches for
    who. Raises TokenError, or Unavailable without rfc3161-client."""
    rfc3161 = library()
    if len(response) > MAX_RESPONSE_BYTES:
        raise TokenError(
            f"the time-stamp is {len(response):,} bytes; at most {MAX_RESPONSE_BYTES:,} are read"
        )
    try:
        parsed = rfc3161.decode_timestamp_response(response)
        if parsed.status != rfc3161.PKIStatus.GRANTED:
            reason = "; ".join(parsed.status_string) or "no reason given"
            raise TokenError(
                f"the TSA did not grant the time-stamp (status {parsed.status}: {reason})"
            )
        info = parsed.tst_info
        imprint = info.message_imprint
    except ValueError as exc:
        if isinstance(exc, TokenError):
            raise
        raise TokenError(f"not an RFC 3161 time-stamp response ({exc})") from None
    if imprint.hash_algorithm != SHA256:
        raise TokenError(
            f"the time-stamp is over a {imprint.hash_algorithm.dotted_string} hash, not SHA-256"
        )
    if imprint.message != digest(data):
        raise TokenError(
            f"the time-stamp is over SHA-256 {imprint.message.hex()}, not over "
            f"this tree head ({digest(data).hex()}): it time-stamps something "
            "else"
        )
    if nonce is not None and info.nonce != nonce:
        raise TokenError(
            "the TSA did not echo the request's nonce: the answer is not to "
            "this request (a replay?)"
        )
    if ca is not None:
        builder = rfc3161.VerifierBuilder()
        for certificate in certificates(ca):
            builder = builder.add_root_certificate(certificate)
        try:
            builder.build().verify_message(parsed, data)
        except (rfc3161.VerificationError, ValueError) as exc:
            raise TokenError(
                f"the time-stamp's signature does not verify against the TSA CA given: {exc}"
            ) from None
    return Stamp(info.gen_time, _tsa_name(parsed), ca is not None)


def _tsa_name(parsed) -> str:
    # Only for the words: a name the parser cannot read is no reason to fail a token
    # whose checks passed (a hostile one raised KeyError and ValueError here).
    try:
        name = parsed.tst_info.name
        if isinstance(name, x509.DirectoryName):
            return name.value.rfc4514_string()
        if name is not None:
            return str(name.value)
        signers = parsed.signed_data.signer_infos
        for der in parsed.signed_data.certificates:
            certificate = x509.load_der_x509_certificate(der)
            if any(
                certificate.issuer == signer.issuer
                and certificate.serial_number == signer.serial_number
                for signer in signers
            ):
                return certificate.subject.rfc4514_string()
    except (KeyError, ValueError):
        return "a TSA whose name cannot be read"
    return "an unnamed TSA"
