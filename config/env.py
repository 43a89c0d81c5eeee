"""Typed reads of the environment for config/settings.py.

Every helper fails at start-up with ImproperlyConfigured naming the
variable and the value it could not use, instead of a bare int() traceback later or, worse,
a silently different setting. An unset or empty variable means its default.

Secrets (read_secret) may instead come from a file: X_FILE names a file whose content is
the value of X, which keeps the value out of the process environment (docker secrets,
systemd credentials, Kubernetes secret volumes). Setting both X and X_FILE is refused:
which one wins would be a guess. Errors about a secret never repeat its value.
"""

import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# A duration: a number, then optionally one unit. Bare numbers are in the variable's own
# unit (its name says which: ..._SECONDS, ..._HOURS).
_DURATION = re.compile(r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>s|m|h|d)?")
_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    return None if value is None or value.strip() == "" else value


def read_str(name: str, default: T) -> str | T:
    value = _raw(name)
    return default if value is None else value


def read_secret(name: str, default: T) -> str | T:
    """NAME, or the content of the file NAME_FILE names (one trailing newline dropped, as
    `echo value > file` writes it); both set is an error."""
    value, file_name = _raw(name), _raw(name + "_FILE")
    if value is not None and file_name is not None:
        raise ImproperlyConfigured(
            f"both {name} and {name}_FILE are set; set one (the value, or the file holding it)"
        )
    if file_name is None:
        return default if value is None else value
    try:
        content = Path(file_name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read ({reason})") from None
    content = content.removesuffix("\n").removesuffix("\r")
    if not content.strip():
        raise ImproperlyConfigured(f"{name}_FILE={file_name!r} is empty")
    if "\n" in content or "\r" in content:
        raise ImproperlyConfigured(f"{name}_FILE={file_name!r} holds more than one line")
    return content


def read_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)"
    )


def read_int(name: str, default: int, *, minimum: int | None = 0) -> int:
    """A whole number in decimal digits ("1_000", "1e3", "0x10" are refused: int() would
    take some of them and mean something else by others)."""
    value = _raw(name)
    if value is None:
        return default
    text = value.strip()
    digits = text[1:] if text.startswith("-") else text
    if not (digits.isascii() and digits.isdigit()):
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number")
    number = int(text)
    if minimum is not None and number < minimum:
        raise _below(name, value, str(minimum))
    return number


def read_duration(
    name: str,
    default: timedelta,
    *,
    unit: timedelta = _UNITS["s"],
    minimum: timedelta = timedelta(0),
) -> timedelta:
    """A number in `unit` ("90"), or a number with its own unit: "90s", "15m", "8h", "30d"."""
    value = _raw(name)
    if value is None:
        return default
    match = _DURATION.fullmatch(value.strip().lower())
    if match is None:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a duration (a number of {_unit_name(unit)}, or a number "
            "followed by s, m, h or d: 90s, 15m, 8h, 30d)"
        )
    duration = float(match["number"]) * (_UNITS[match["unit"]] if match["unit"] else unit)
    if duration < minimum:
        raise _below(name, value, _seconds(minimum))
    return duration


def read_list(name: str, default: list[str]) -> list[str]:
    """Comma-separated, blanks around items dropped."""
    value = _raw(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def read_path(name: str, default: T) -> Path | T:
    """An absolute path (a leading ~ is expanded). A relative one is refused: it would
    resolve against each process's working directory, so web and worker could use two
    different folders."""
    value = _raw(name)
    if value is None:
        return default
    path = Path(value.strip()).expanduser()
    if not path.is_absolute():
        raise ImproperlyConfigured(f"{name}={value!r} is not an absolute path")
    return path


def read_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _raw(name)
    if value is None:
        return default
    if value not in choices:
        raise ImproperlyConfigured(
            f"{name}={value!r} is none of {', '.join(map(repr, choices))} (exactly, as written)"
        )
    return value


def parse_secret(name: str, value: str, parse: Callable[[str], T], what: str) -> T:
    """parse(value), or an error that names the variable but not the value (it may hold a
    password)."""
    try:
        return parse(value)
    except (ValueError, KeyError, TypeError) as exc:
        # The parser's own message may quote the value: only its type is kept.
        raise ImproperlyConfigured(
            f"{name} is not {what} ({type(exc).__name__}; the value is not shown: it may "
            "hold a password)"
        ) from None


def _below(name: str, value: str, minimum: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{name}={value!r} is below its minimum, {minimum}")


def _seconds(duration: timedelta) -> str:
    return f"{duration.total_seconds():g} seconds"


def _unit_name(unit: timedelta) -> str:
    names = {
        _UNITS["s"]: "seconds",
        _UNITS["m"]: "minutes",
        _UNITS["h"]: "hours",
        _UNITS["d"]: "days",
    }
    return names.get(unit, _seconds(unit))
