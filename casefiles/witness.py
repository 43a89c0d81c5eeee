"""A witness for a casefiles transparency log (docs/witness.md), run by someone other
than the log's operator, on another machine:

    python -m casefiles.witness keygen --name NAME --key FILE
    python -m casefiles.witness vkey --name NAME --key FILE
    python -m casefiles.witness run --log-url URL --log-key LOG_VKEY --key FILE \\
        --name NAME --state FILE [--once | --interval SECONDS]

Each round fetches the log's latest signed tree head (GET /api/log/checkpoint), checks
the log's signature with the pinned key, checks that it extends the tree head this
witness cosigned last (a consistency proof from GET /api/log/proof), records it, and
only then cosigns it (c2sp.org/tlog-cosignature, Ed25519) and sends the cosignature
back (POST /api/log/cosignatures). A tree head that contradicts the one cosigned last
(a smaller tree, another root for the same size, a proof that does not check) is never
cosigned: the witness prints ALERT, keeps both signed tree heads as evidence, records
the alarm in its state and refuses every later round until a person clears it.

Standard library plus `cryptography` and casefiles.tlog only (no Django), so that it
can run anywhere. Exit codes: 0 cosigned, 1 the log could not be reached (or answered
with a server error), 2 usage or local files, 3 the log's answer does not verify (not
signed by the pinned key, malformed, or the cosignature refused), 4 ALERT.
"""

import argparse
import http.client
import json
import os
import stat
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from casefiles import files, tlog

COSIGNED, UNREACHABLE, USAGE, REFUSED, ALERT = 0, 1, 2, 3, 4
STATE_FORMAT = "casefiles-witness-state/1"
USER_AGENT = "casefiles-witness/1"
MAX_RESPONSE = tlog.MAX_NOTE_BYTES


class Stop(Exception):
    """Ends a round with an exit code; the message is printed to stderr."""

    code = USAGE
    label = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Unreachable(Stop):
    code, label = UNREACHABLE, "ERROR"


class Refused(Stop):
    code, label = REFUSED, "REFUSED"


class Alarm(Stop):
    code, label = ALERT, "ALERT"


# --- Keys -----------------------------------------------------------------------------


def keygen(name: str, path: Path) -> tlog.Verifier:
    """A new Ed25519 witness key in `path` (PEM, mode 0600, never overwritten)."""
    tlog.check_name(name, "witness name")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Stop(f"{path} already exists; a witness key is never overwritten") from None
    with os.fdopen(handle, "wb") as stream:
        stream.write(pem)
        stream.flush()
        os.fsync(stream.fileno())
    return tlog.verifier_for(private, name, tlog.COSIGNATURE_V1)


def load_key(path: Path) -> Ed25519PrivateKey:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise Stop(f"cannot read the witness key {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise Stop(
            f"the witness key {path} can be read by other users "
            f"({stat.filemode(mode)}); run: chmod 600 {path}"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise Stop(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise Stop(f"{path} is not an Ed25519 key")
    return key


# --- State ----------------------------------------------------------------------------


@dataclass
class State:
    """What the witness last cosigned, and any alarm raised since."""

    log_key: str
    origin: str
    size: int
    root: str  # base64, as in the checkpoint
    checkpoint: str  # the signed tree head as the log served it
    cosigned_at: int
    alarm: dict | None = None
    format: str = STATE_FORMAT


def load_state(path: Path) -> State | None:
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Stop(f"cannot read the state {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw)
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, not {STATE_FORMAT!r}")
        state = State(**data)
        if not isinstance(state.size, int) or state.size < 0:
            raise ValueError("size is not a non-negative integer")
        if not isinstance(state.checkpoint, str) or not isinstance(state.alarm, dict | None):
            raise ValueError("checkpoint or alarm is of the wrong type")
        tlog.unb64(state.root, "root")
    except (ValueError, TypeError, AttributeError, tlog.LogError) as exc:
        raise Stop(
            f"the state {path} is damaged ({exc}); restore it from a backup. Do not "
            "delete it: without it the witness would trust the log anew"
        ) from None
    return state


def _fsync_dir(directory: Path) -> None:
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def save_state(path: Path, state: State) -> None:
    """Written to a temporary file, synced and renamed over the old state: a crash
    leaves either the old state or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(asdict(state), indent=2, ensure_ascii=False) + "\n"
    files.replace(path, data.encode("utf-8"), mode=0o600)
    _fsync_dir(path.parent)


def save_evidence(state_path: Path, text: str) -> Path:
    """A new file next to the state; an existing one is never overwritten."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for n in range(1000):
        suffix = f"-{n}" if n else ""
        path = state_path.with_name(f"{state_path.name}.alarm-{stamp}{suffix}.txt")
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        _fsync_dir(path.parent)
        return path
    raise Stop(f"cannot create an evidence file next to {state_path}")


# --- HTTP -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes

    def detail(self) -> str:
        """The problem document's detail (and field errors), or the start of the body."""
        try:
            problem = json.loads(self.body)
            text = str(problem.get("detail", ""))
            if problem.get("errors"):
                text += " " + json.dumps(problem["errors"], ensure_ascii=False)
            return text.strip() or f"HTTP {self.status}"
        except (ValueError, AttributeError):
            return self.body[:200].decode("utf-8", "replace").strip() or f"HTTP {self.status}"


class Log:
    """The log's HTTP endpoints under `base` (e.g. https://casefiles.example.org)."""

    def __init__(self, base: str, timeout: float):
        parts = urllib.parse.urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Stop(f"--log-url {base!r} is not an http(s) URL")
        self.base = base.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict | None = None) -> Answer:
        url = self.base + path
        data = json.dumps(body).encode("utf-8") if body is not None else None
        # The scheme is http or https (checked above), never file: or another opener's.
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
        request.add_header("User-Agent", USER_AGENT)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            try:
                response = urllib.request.urlopen(request, timeout=self.timeout)  # noqa: S310
            except urllib.error.HTTPError as error:
                response = error
            with response:
                status = response.status if hasattr(response, "status") else response.code
                payload = response.read(MAX_RESPONSE + 1)
        except urllib.error.URLError as exc:
            raise Unreachable(f"cannot reach {url}: {exc.reason}") from None
        except (OSError, http.client.HTTPException) as exc:
            raise Unreachable(f"cannot reach {url}: {exc.__class__.__name__}: {exc}") from None
        if len(payload) > MAX_RESPONSE:
            raise Refused(f"{url} answered more than {MAX_RESPONSE} bytes")
        answer = Answer(status, payload)
        if status >= 500 or status == 429:
            raise Unreachable(f"{method} {url}: HTTP {status}: {answer.detail()}")
        return answer

    def checkpoint(self) -> bytes:
        answer = self.request("GET", "/api/log/checkpoint")
        if answer.status == 404:
            raise Unreachable(f"the log has no tree head to witness yet: {answer.detail()}")
        if answer.status != 200:
            raise Refused(f"GET /api/log/checkpoint: HTTP {answer.status}: {answer.detail()}")
        return answer.body

    def proof(self, origin: str, old: int, new: int) -> tuple[list[bytes], dict]:
        query = urllib.parse.urlencode({"from": old, "to": new})
        answer = self.request("GET", f"/api/log/proof?{query}")
        if answer.status != 200:
            raise Refused(
                f"the log gave no consistency proof from {old} to {new}: HTTP "
                f"{answer.status}: {answer.detail()}"
            )
        try:
            body = json.loads(answer.body)
            if (
                not isinstance(body, dict)
                or body.get("origin") != origin
                or body.get("from") != old
                or body.get("to") != new
            ):
                raise tlog.LogError("it is not the proof asked for (origin, from, to)")
            return tlog.hashes_from_b64(body.get("proof"), "the proof"), body
        except (ValueError, tlog.LogError) as exc:
            raise Refused(
                f"the consistency proof from {old} to {new} is malformed: {exc}"
            ) from None

    def deliver(self, size: int, line: str) -> Answer:
        answer = self.request(
            "POST", "/api/log/cosignatures", {"size": size, "cosignature": line.rstrip("\n")}
        )
        if answer.status not in (200, 201):
            hint = (
                " (is this witness's vkey in the log's CASEFILES_WITNESSES?)"
                if answer.status == 403
                else ""
            )
            raise Refused(
                f"the log refused the cosignature of size {size}: HTTP "
                f"{answer.status}: {answer.detail()}{hint}"
            )
        return answer


# --- One round ------------------------------------------------------------------------


@dataclass(frozen=True)
class Witness:
    log: Log
    log_key: tlog.Verifier
    key: Ed25519PrivateKey
    name: str
    state_path: Path

    @property
    def verifier(self) -> tlog.Verifier:
        return tlog.verifier_for(self.key, self.name, tlog.COSIGNATURE_V1)

    def round(self) -> str:
        """Witness the log's latest tree head once; returns the line to print."""
        state = load_state(self.state_path)
        if state is not None:
            self._check_pins(state)
        data = self.log.checkpoint()
        try:
            checkpoint, note = tlog.open_checkpoint(data, self.log_key)
        except tlog.LogError as exc:
            raise Refused(
                f"the tree head served by {self.log.base} is not one the pinned "
                f"key {self.log_key.vkey} signed: {exc}"
            ) from None
        served = data.decode("utf-8")
        summary = self._check(state, checkpoint, served)
        # Recorded before a signature exists: this witness must never cosign a tree head
        # inconsistent with one it cosigned, even if it crashes between the two.
        timestamp = int(time.time())
        save_state(
            self.state_path,
            State(
                log_key=self.log_key.vkey,
                origin=checkpoint.origin,
                size=checkpoint.size,
                root=tlog.b64(checkpoint.root),
                checkpoint=served,
                cosigned_at=timestamp,
            ),
        )
        signature = tlog.cosign(note.text, self.key, self.name, timestamp)
        answer = self.log.deliver(checkpoint.size, signature.line())
        stored = "stored" if answer.status == 201 else "already stored"
        return (
            f"COSIGNED {checkpoint.origin} size {checkpoint.size} root "
            f"{tlog.b64(checkpoint.root)} ({summary}; {stored})"
        )

    def _check_pins(self, state: State) -> None:
        if state.alarm:
            raise Alarm(
                f"{state.alarm.get('reason')} (recorded {state.alarm.get('at')}; "
                f"evidence in {state.alarm.get('evidence')}). This witness refuses "
                "to cosign until a person has investigated and cleared the alarm "
                f"in {self.state_path}"
            )
        if state.log_key != self.log_key.vkey:
            raise Stop(
                f"the state {self.state_path} is for the log key {state.log_key}, "
                f"not {self.log_key.vkey}: a key change is a person's decision "
                "(docs/witness.md)"
            )

    def _check(self, state: State | None, checkpoint: tlog.Checkpoint, served: str) -> str:
        """Why the served tree head may be cosigned, or an Alarm."""
        if state is None:
            print(
                f"NOTE: no state in {self.state_path}: first contact with "
                f"{checkpoint.origin}; trusting size {checkpoint.size} root "
                f"{tlog.b64(checkpoint.root)} on first use. This witness's key: "
                f"{self.verifier.vkey}",
                file=sys.stderr,
            )
            return "first contact: trusted on first use"
        old_root = tlog.unb64(state.root, "the state's root")
        if checkpoint.size < state.size:
            self._alarm(
                state,
                served,
                f"rollback: the log now serves a tree of size "
                f"{checkpoint.size}, smaller than the size {state.size} this "
                "witness cosigned",
            )
        if checkpoint.size == state.size:
            if checkpoint.root != old_root:
                self._alarm(
                    state,
                    served,
                    f"split view: the log signed two different "
                    f"roots for the same size {state.size} (history was rewritten)",
                )
            return "unchanged"
        proof_text = ""
        try:
            proof: list[bytes] = []
            if state.size:
                proof, body = self.log.proof(checkpoint.origin, state.size, checkpoint.size)
                proof_text = json.dumps(body, indent=2)
            tlog.verify_consistency(state.size, checkpoint.size, old_root, checkpoint.root, proof)
        except tlog.LogError as exc:
            self._alarm(
                state,
                served,
                f"inconsistent: the tree of size {checkpoint.size} "
                f"does not extend the tree of size {state.size} this witness "
                f"cosigned ({exc})",
                proof_text,
            )
        return (
            f"+{checkpoint.size - state.size} leaves, consistency proof of {len(proof)} "
            f"hash(es) checked"
        )

    def _alarm(self, state: State, served: str, reason: str, proof: str = "") -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        evidence = "\n".join(
            [
                "casefiles witness: ALERT",
                f"time: {at}",
                f"log: {self.log.base}",
                f"log key: {self.log_key.vkey}",
                f"witness: {self.verifier.vkey}",
                f"reason: {reason}",
                "",
                f"--- the tree head this witness cosigned (size {state.size}) ---",
                state.checkpoint.rstrip("\n"),
                "",
                "--- the tree head the log serves now ---",
                served.rstrip("\n"),
                "",
                *(["--- the consistency proof the log gave ---", proof, ""] if proof else []),
                "Both tree heads carry the log's signature; check them with the log key above.",
                "",
            ]
        )
        path = save_evidence(self.state_path, evidence)
        state.alarm = {"reason": reason, "at": at, "evidence": str(path)}
        save_state(self.state_path, state)
        raise Alarm(f"{reason}. Refused to cosign. Evidence (both signed tree heads) in {path}")


# --- Command line ---------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m casefiles.witness",
        description="Witness a casefiles transparency log: check that every tree head "
        "extends the last one cosigned, cosign it, alert on any inconsistency.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keygen_cmd = commands.add_parser("keygen", help="create a witness key; prints its vkey")
    vkey_cmd = commands.add_parser("vkey", help="print the vkey of an existing witness key")
    for sub in (keygen_cmd, vkey_cmd):
        sub.add_argument(
            "--name",
            required=True,
            help="the witness's name, a schema-less URL (e.g. witness.example.org/casefiles)",
        )
        sub.add_argument("--key", required=True, type=Path, help="the private key file")
    run = commands.add_parser("run", help="witness the log")
    run.add_argument(
        "--log-url", required=True, help="the casefiles server, e.g. https://casefiles.example.org"
    )
    run.add_argument(
        "--log-key", required=True, help="the log's vkey, obtained from its operator out of band"
    )
    run.add_argument("--key", required=True, type=Path, help="the witness's private key")
    run.add_argument("--name", required=True, help="the witness's name, as at keygen")
    run.add_argument(
        "--state",
        required=True,
        type=Path,
        help="JSON file: the tree head last cosigned and any alarm",
    )
    run.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    when = run.add_mutually_exclusive_group()
    when.add_argument("--once", action="store_true", help="one round (the default)")
    when.add_argument(
        "--interval", type=float, metavar="SECONDS", help="a round every SECONDS, until an ALERT"
    )
    return parser


def _report(stop: Stop) -> int:
    print(f"{stop.label}: {stop.message}", file=sys.stderr, flush=True)
    return stop.code


def _run(args) -> int:
    try:
        log_key = tlog.parse_vkey(args.log_key)
        if log_key.kind != tlog.ED25519:
            raise tlog.LogError("--log-key is not a log key (type 0x01)")
        tlog.check_name(args.name, "witness name")
    except tlog.LogError as exc:
        return _report(Stop(str(exc)))
    if args.interval is not None and args.interval <= 0:
        return _report(Stop("--interval must be a positive number of seconds"))
    try:
        witness = Witness(
            Log(args.log_url, args.timeout), log_key, load_key(args.key), args.name, args.state
        )
    except Stop as stop:
        return _report(stop)
    while True:
        try:
            print(witness.round(), flush=True)
            code = COSIGNED
        except Stop as stop:
            code = _report(stop)
        if args.interval is None or code in (USAGE, ALERT):
            return code
        time.sleep(args.interval)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("keygen", "vkey"):
        try:
            if args.command == "keygen":
                verifier = keygen(args.name, args.key)
            else:
                tlog.check_name(args.name, "witness name")
                verifier = tlog.verifier_for(load_key(args.key), args.name, tlog.COSIGNATURE_V1)
        except tlog.LogError as exc:
            return _report(Stop(str(exc)))
        except Stop as stop:
            return _report(stop)
        print(verifier.vkey)
        return 0
    try:
        return _run(args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
