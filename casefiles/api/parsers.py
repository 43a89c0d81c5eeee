"""JSON bodies within limits a person's input never reaches: nesting depth, finite
numbers, integers of sane size. Anything beyond is refused (400) with the reason, before
a view or a command sees it."""

import codecs
import json
import math

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64
# Larger than any count, version or page the API takes, and than a 64-bit column holds.
MAX_INTEGER = 2**63 - 1


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ParseError(f"the number {text[:40]} is out of range (not a finite number)")
    return value


def _int(text: str) -> int:
    # Python refuses to parse integers of more than 4,300 digits; this is far below that.
    if len(text.lstrip("-")) > 19 or abs(int(text)) > MAX_INTEGER:
        raise ParseError(
            f"the integer {text[:40]}{'…' if len(text) > 40 else ''} is out "
            f"of range (at most {MAX_INTEGER} in magnitude)"
        )
    return int(text)


def _constant(name: str):
    raise ParseError(f"{name} is not a JSON number")


def check_depth(value, limit: int = MAX_DEPTH) -> None:
    """Iteratively: the check itself must not recurse as deep as the input."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                raise ParseError(f"the JSON body is nested more than {limit} levels deep")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            value = json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant)
        except RecursionError:
            # The decoder gives up at Python's recursion limit: far deeper than allowed.
            raise ParseError(f"the JSON body is nested more than {MAX_DEPTH} levels deep") from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        check_depth(value)
        return value
