"""One error hierarchy for the domain; every message is meant to be shown to a person."""


class CaseFileError(Exception):
    """Base class: a command refused, with a clear reason. Nothing was written."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidCommand(CaseFileError):
    """The input itself is wrong (missing field, unknown category, float in a payload...)."""


class NotFound(CaseFileError):
    pass


class PermissionDenied(CaseFileError):
    """The actor's role does not allow this command (or four-eyes forbids it)."""


class ConcurrencyError(CaseFileError):
    """Base for "someone else got there first"; nothing was written."""


class StaleVersion(ConcurrencyError):
    """The case moved on since the caller read it (expected version is stale)."""

    def __init__(self, message: str, *, expected: int | None = None, actual: int | None = None):
        super().__init__(message)
        self.expected = expected
        self.actual = actual

    @classmethod
    def of(cls, what: str, *, expected: int, actual: int) -> "StaleVersion":
        """`what` (a case's reference, or "the case") is at `actual`, not `expected`."""
        return cls(
            f"{what} changed since you read it (you had version {expected}, it is now at "
            f"version {actual}); reload and try again",
            expected=expected,
            actual=actual,
        )


class DecisionConflict(ConcurrencyError):
    """The request was already decided (e.g. two supervisors approving at once)."""


class IdempotencyKeyReused(CaseFileError):
    """The same idempotency key was sent with a different command."""


class CriteriaNotMet(CaseFileError):
    """Entry criteria of the target state do not hold; `unmet` lists each in plain words."""

    def __init__(self, target: str, unmet: list[str]):
        self.target = target
        self.unmet = list(unmet)
        super().__init__(f"cannot move to {target}: " + "; ".join(self.unmet))


class QuoteNotFound(InvalidCommand):
    """A cited span is not in the source's stored text where it is said to be;
    `nearest` is the stored passage most like it ({start, end, text}) or None."""

    def __init__(self, message: str, nearest: dict | None):
        super().__init__(message)
        self.nearest = nearest
