"""Persons linked to a case: their roles, and what everyone sees of a protected one."""

from collections.abc import Iterable, Mapping
from typing import Any

PERSON_ROLES = ("victim", "witness", "alleged_perpetrator", "unit")


def default_pseudonym(role: str, persons: Iterable[Mapping[str, Any]]) -> str:
    """E.g. "Witness 2": the role and how many persons of that role the case has then."""
    count = len([p for p in persons if p["role"] == role]) + 1
    return f"{role.replace('_', ' ').capitalize()} {count}"


def person_label(person: Mapping[str, Any]) -> str:
    """What everyone sees: the pseudonym of a protected person, the name otherwise."""
    label: str = person["pseudonym"] if person["protected"] else person["name"]
    return label
