"""Writing a file so that nobody ever reads half of it: written under a temporary name
in the same directory, synced, then renamed (or linked) into place. A crash leaves the
old file or the new one, never a mix. Standard library only: the witness uses it too."""

import os
from pathlib import Path


class AlreadyWritten(Exception):
    """The file exists with other content; a write-once file is never overwritten."""


def _temporary(path: Path, data: bytes, mode: int) -> Path:
    temporary = path.with_name(f".{path.name}.{os.urandom(8).hex()}.partial")
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def replace(path: Path, data: bytes, *, mode: int = 0o644) -> Path:
    """Put `data` at `path`, replacing what was there in one step."""
    temporary = _temporary(path, data, mode)
    try:
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def write_once(path: Path, data: bytes, *, mode: int = 0o444) -> bool:
    """Create `path` with `data`, never overwriting: True if written, False if the same
    bytes were already there, AlreadyWritten if other bytes were. Two writers at once
    end up with the first one's file, whole."""
    temporary = _temporary(path, data, mode)
    try:
        os.link(temporary, path)
        return True
    except FileExistsError:
        if path.read_bytes() == data:
            return False
        raise AlreadyWritten(
            f"{path} already exists with other content; it is never overwritten"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)
