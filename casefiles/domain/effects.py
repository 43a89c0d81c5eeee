"""How an event's effect on a CaseState is written: a mapping field -> change.

A change is either the field's new value, or one of the operations below when the new
value depends on the current one (`Append`, `Amend`, `Remove`, `Update`). The same
mapping is applied to a CaseState in memory (`apply`, used by `evolve`) and to the read
models (casefiles/projections.py), which is why it is data rather than code: a
projection can turn `Append` into an INSERT, `Remove` into a DELETE and a
constant into an UPDATE without reading the state first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

Effect = Mapping[str, Any]


class Change:
    """An operation on a field's current value (as opposed to a plain new value)."""

    def apply(self, current: Any) -> Any:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Append(Change):
    """Add one item at the end of a tuple field."""

    item: Any

    def apply(self, current: tuple[Any, ...]) -> tuple[Any, ...]:
        return (*current, self.item)


@dataclass(frozen=True, slots=True)
class Amend(Change):
    """Change fields of the items (frozen dataclasses) whose `key` attribute is `value`;
    each field's change is again a value or a Change."""

    key: str
    value: Any
    changes: Mapping[str, Any]

    def apply(self, current: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            amended(item, self.changes) if getattr(item, self.key) == self.value else item
            for item in current
        )


@dataclass(frozen=True, slots=True)
class Remove(Change):
    """Take out of a tuple field the items whose `key` (attribute of a dataclass, or key
    of a plain dict) is `value`. The events that added them stay in the history; only
    what the case holds now changes (a projection deletes the item's row)."""

    key: str
    value: Any

    def apply(self, current: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(item for item in current if _field(item, self.key) != self.value)


def _field(item: Any, key: str) -> Any:
    return item[key] if isinstance(item, Mapping) else getattr(item, key)


@dataclass(frozen=True, slots=True)
class Update(Change):
    """Any other computation from the current value (lists of plain dicts)."""

    function: Callable[[Any], Any]

    def apply(self, current: Any) -> Any:
        return self.function(current)


def resolve(current: Any, change: Any) -> Any:
    return change.apply(current) if isinstance(change, Change) else change


def amended(item: Any, changes: Mapping[str, Any]) -> Any:
    return replace(
        item, **{name: resolve(getattr(item, name), change) for name, change in changes.items()}
    )
