"""Two kinds of tables: the event store (append-only, the truth) and read models.

Read models are derived from events by casefiles.projections and may be rebuilt at any
time; they refuse writes from anywhere else (see ReadModel).
"""

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import models

from casefiles.domain import workflow


class Event(models.Model):
    """One immutable event. The database refuses UPDATE and DELETE (migration 0002)."""

    position = models.BigAutoField(primary_key=True)
    case_id = models.UUIDField()
    version = models.PositiveIntegerField()
    type = models.CharField(max_length=64)
    schema = models.PositiveSmallIntegerField()
    payload = models.JSONField()
    actor = models.JSONField()
    # Kept as the exact RFC 3339 string that was hashed, not re-rendered from a datetime.
    occurred_at = models.CharField(max_length=32)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            # The database, not the code, guarantees there is no fork in a chain.
            models.UniqueConstraint(fields=["case_id", "version"], name="event_case_version"),
        ]
        indexes = [models.Index(fields=["type"], name="event_type")]
        ordering = ["position"]

    def __str__(self):
        return f"{self.case_id} v{self.version} {self.type}"

    def as_record(self) -> dict:
        """The event exactly as hashed and exported: hashed fields plus `hash`."""
        return {
            "case_id": str(self.case_id),
            "version": self.version,
            "type": self.type,
            "schema": self.schema,
            "payload": self.payload,
            "actor": self.actor,
            "occurred_at": self.occurred_at,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


class IdempotencyRecord(models.Model):
    """Which events a command with a given idempotency key appended (event-store bookkeeping)."""

    key = models.CharField(max_length=200, primary_key=True)
    case_id = models.UUIDField()
    fingerprint = models.CharField(max_length=64)
    first_version = models.PositiveIntegerField()
    last_version = models.PositiveIntegerField()

    def __str__(self):
        return f"{self.key} → {self.case_id} v{self.first_version}-{self.last_version}"


_projecting = contextvars.ContextVar("casefiles_projecting", default=False)


class ReadModelWriteError(RuntimeError):
    pass


@contextmanager
def projecting():
    """Opened only by casefiles.projections while applying events."""
    token = _projecting.set(True)
    try:
        yield
    finally:
        _projecting.reset(token)


def check_writable(model):
    if not _projecting.get():
        raise ReadModelWriteError(
            f"{model.__name__} is a read model: change it through a command "
            "(casefiles.commands), which appends events and projects them"
        )


class ReadModelQuerySet(models.QuerySet):
    def update(self, **kwargs):
        check_writable(self.model)
        return super().update(**kwargs)

    def delete(self):
        check_writable(self.model)
        return super().delete()

    def bulk_create(self, objs, *args, **kwargs):
        check_writable(self.model)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, *args, **kwargs):
        check_writable(self.model)
        return super().bulk_update(objs, *args, **kwargs)

    def update_or_create(self, *args, **kwargs):
        check_writable(self.model)
        return super().update_or_create(*args, **kwargs)


class ReadModel(models.Model):
    objects = ReadModelQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        check_writable(type(self))
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        check_writable(type(self))
        return super().delete(*args, **kwargs)


class CaseFile(ReadModel):
    STATE_CHOICES = [(state, label) for state, label in workflow.STATE_LABELS.items()]
    OUTCOME_CHOICES = [(outcome, outcome.capitalize()) for outcome in workflow.OUTCOMES]
    CORROBORATION_CHOICES = [
        (workflow.UNCORROBORATED, "Uncorroborated"),
        (workflow.SINGLE_ORIGIN, "Single origin"),
        (workflow.CORROBORATED, "Corroborated"),
    ]

    id = models.UUIDField(primary_key=True)
    reference = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    categories = models.JSONField(default=list)
    places = models.JSONField(default=list)
    incident_from = models.DateField(null=True, blank=True)
    incident_to = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=STATE_CHOICES, db_index=True)
    # None mirrors the events: "no outcome recorded", distinct from any outcome.
    outcome = models.CharField(  # noqa: DJ001
        max_length=20, choices=OUTCOME_CHOICES, null=True, blank=True
    )
    legal_qualification = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    assignee_name = models.CharField(max_length=150, blank=True)
    opened_at = models.DateTimeField()
    opened_by = models.CharField(max_length=150)
    updated_at = models.DateTimeField(db_index=True)
    version = models.PositiveIntegerField()
    head_hash = models.CharField(max_length=64)
    source_count = models.PositiveIntegerField(default=0)
    independent_origins = models.PositiveIntegerField(default=0)
    corroboration = models.CharField(max_length=20, choices=CORROBORATION_CHOICES)
    waivers = models.JSONField(default=list)
    # Set when the case was opened by ingestion from an extracted allegation.
    extraction = models.JSONField(null=True, blank=True)
    extraction_category = models.CharField(max_length=64, blank=True, db_index=True)
    merged_into = models.UUIDField(null=True, blank=True)
    facts = models.JSONField(default=list)
    qualifications = models.JSONField(default=list)
    conflict = models.JSONField(null=True, blank=True)
    liabilities = models.JSONField(default=list)
    persons = models.JSONField(default=list)
    related = models.JSONField(default=list)
    # A restricted case is visible only to the members of this group (and to holders of
    # access_restricted); "" means not restricted (casefiles/compartments.py).
    restricted_to = models.CharField(max_length=150, blank=True, default="", db_index=True)
    restriction_pending = models.JSONField(null=True, blank=True)
    discarded = models.JSONField(null=True, blank=True)
    merge_pending = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = "case file"
        permissions = [
            ("reveal_identity", "Can see the real identity of protected persons"),
            ("access_restricted", "Can see every restricted case (an audit grant)"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}".strip()


class CaseSource(ReadModel):
    case = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="sources")
    source_id = models.UUIDField()
    title = models.CharField(max_length=500, blank=True)
    url = models.TextField(blank=True)
    origins = models.JSONField(default=list)
    excerpt = models.TextField(blank=True)
    content_sha256 = models.CharField(  # noqa: DJ001 - None: a source with no stored original
        max_length=64, null=True, blank=True, db_index=True
    )
    published_on = models.DateField(null=True, blank=True)
    attached_at = models.DateTimeField()
    attached_by = models.CharField(max_length=150)
    attached_version = models.PositiveIntegerField()
    grade = models.JSONField(null=True, blank=True)
    provenance = models.JSONField(default=list)
    verifications = models.JSONField(default=list)

    class Meta:
        ordering = ["case", "attached_version"]
        constraints = [
            models.UniqueConstraint(fields=["case", "source_id"], name="casesource_unique")
        ]

    def __str__(self):
        return self.title or str(self.source_id)


class CaseNote(ReadModel):
    note_id = models.UUIDField(primary_key=True)
    case = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    author = models.CharField(max_length=150)
    added_at = models.DateTimeField()
    added_version = models.PositiveIntegerField()

    class Meta:
        ordering = ["case", "added_version"]

    def __str__(self):
        return self.text[:60]


class TransitionRequest(ReadModel):
    """The approval queue and its history, one row per request."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    STATUS_CHOICES = [(s, s.capitalize()) for s in (PENDING, APPROVED, REJECTED, WITHDRAWN)]

    request_id = models.UUIDField(primary_key=True)
    case = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="requests")
    from_state = models.CharField(max_length=20)
    to_state = models.CharField(max_length=20)
    reason = models.TextField()
    requested_by_id = models.IntegerField(null=True)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(db_index=True)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, db_index=True)
    decided_by_id = models.IntegerField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at"]

    def __str__(self):
        return f"{self.case_id}: {self.from_state} → {self.to_state} ({self.status})"


class CaseLink(ReadModel):
    """A suggested (or dismissed, or merged) link from one case to another; one row per side."""

    SUGGESTED = "suggested"
    DISMISSED = "dismissed"
    MERGED = "merged"

    case = models.ForeignKey(CaseFile, on_delete=models.CASCADE, related_name="links")
    link_id = models.UUIDField()
    other_case_id = models.UUIDField()
    other_reference = models.CharField(max_length=32)
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=20, db_index=True)
    # same_incident | shared_origin | same_context, or "unspecified" (LinkSuggested/1)
    relation = models.CharField(max_length=20, default="unspecified", db_index=True)
    suggested_version = models.PositiveIntegerField()

    class Meta:
        ordering = ["case", "suggested_version"]
        constraints = [models.UniqueConstraint(fields=["case", "link_id"], name="caselink_unique")]

    def __str__(self):
        return f"{self.case_id} ~ {self.other_reference} ({self.status})"


class Source(ReadModel):
    """An ingested document: its custody record and extracted metadata. Text fields are
    unbounded: whatever a document states is kept as stated, never cut by the database."""

    id = models.UUIDField(primary_key=True)  # the source's custody stream
    content_sha256 = models.CharField(max_length=64, unique=True)
    normalized_sha256 = models.CharField(max_length=64, db_index=True)
    text_sha256 = models.CharField(max_length=64)
    bytes = models.PositiveBigIntegerField()
    filename = models.TextField()
    media_type = models.CharField(max_length=100)
    encoding = models.CharField(max_length=50)
    title = models.TextField()
    title_derived = models.BooleanField(default=False)
    outlet = models.TextField(blank=True)
    byline = models.TextField(blank=True)
    published_on = models.DateField(null=True, blank=True)
    published_reason = models.TextField(blank=True)
    url = models.TextField(blank=True)
    language = models.CharField(max_length=10, blank=True)
    origins = models.JSONField(default=list)
    # The stored text (the blob text_sha256), which full-text search indexes
    # (casefiles/search.py).
    text = models.TextField(blank=True, default="")
    extractor_version = models.CharField(max_length=100)
    ingested_at = models.DateTimeField()
    submitted_by = models.CharField(max_length=150)
    variants = models.JSONField(default=list)
    version = models.PositiveIntegerField()

    class Meta:
        ordering = ["-ingested_at"]

    def __str__(self):
        return self.title


class Ingestion(models.Model):
    """One submitted document and what became of it (an operational job log, not a read
    model: it records attempts, including failures that change no case)."""

    QUEUED = "queued"
    INGESTED = "ingested"
    DUPLICATE = "duplicate"
    NEAR_DUPLICATE = "near_duplicate"
    FAILED = "failed"
    STATUS_CHOICES = [
        (QUEUED, "Queued"),
        (INGESTED, "Ingested"),
        (DUPLICATE, "Duplicate"),
        (NEAR_DUPLICATE, "Near-duplicate"),
        (FAILED, "Failed"),
    ]
    FINISHED = (INGESTED, DUPLICATE, NEAR_DUPLICATE, FAILED)

    id = models.UUIDField(primary_key=True)
    filename = models.CharField(max_length=500)
    content_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    bytes = models.PositiveBigIntegerField()
    status = models.CharField(max_length=20, choices=STATUS_CHOICES, db_index=True)
    reason = models.TextField(blank=True)
    source_id = models.UUIDField(null=True, blank=True)
    case_references = models.JSONField(default=list)
    submitted_by = models.CharField(max_length=150)
    submitted_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self):
        return f"{self.filename} ({self.status})"


class ProtectedIdentity(models.Model):
    """The real identity of a protected person, kept out of the event chain.

    The PersonAdded event holds only sha256(salt + name) so the chain can prove which
    identity was recorded without disclosing it; reading a row here goes through
    commands.identity_reveal, which records an IdentityRevealed event. Written once by
    commands.person_add (like an original in the blob store, it is content, not a read
    model) and never changed."""

    person_id = models.UUIDField(primary_key=True)
    case_id = models.UUIDField(db_index=True)
    name = models.TextField()
    salt = models.CharField(max_length=64)

    def __str__(self):
        return f"protected identity {self.person_id}"


class Checkpoint(models.Model):
    """A case's chain head as seen by a verification run. Later runs check that the
    event at that version still has that hash and that no event after it was removed.
    (Operational record written by casefiles.integrity, not a read model.)"""

    case_id = models.UUIDField(db_index=True)
    version = models.PositiveIntegerField()
    head_hash = models.CharField(max_length=64)
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self):
        return f"{self.case_id} v{self.version} {self.head_hash[:12]}"


class LogLeaf(models.Model):
    """Leaf `index` of the transparency log: the event at `position`, whose hash is the
    leaf's data (docs/transparency-log.md). Append-only, like the events."""

    index = models.BigIntegerField(primary_key=True)
    position = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)  # the leaf hash, SHA-256(0x00 ‖ event hash)

    class Meta:
        ordering = ["index"]

    def __str__(self):
        return f"leaf {self.index} (event {self.position})"


class LogNode(models.Model):
    """A perfect subtree of the log above the leaves: level `level` (2^level leaves),
    `index` counted from the left at that level. Written once, when it completes, so
    proofs read O(log n) rows and the tree is never re-hashed."""

    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="lognode_level_index"),
        ]

    def __str__(self):
        return f"node {self.level}/{self.index}"


class TreeHead(models.Model):
    """A signed tree head (C2SP checkpoint) as published. The copy that counts is the
    file in CASEFILES_CHECKPOINT_DIR; this row is a cache for the API."""

    size = models.BigIntegerField(primary_key=True)
    root_hash = models.CharField(max_length=64)
    note = models.TextField()
    taken_at = models.DateTimeField()

    class Meta:
        ordering = ["-size"]

    def __str__(self):
        return f"tree head {self.size}"


class Cosignature(models.Model):
    """A witness's cosignature of a tree head, as the witness sent it (its note
    signature line), checked against the configured witness key before storing."""

    tree_size = models.BigIntegerField()
    witness = models.CharField(max_length=300)  # the witness's vkey
    line = models.TextField()
    timestamp = models.BigIntegerField()
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tree_size", "witness"], name="cosignature_size_witness"
            ),
        ]
        ordering = ["tree_size", "witness"]

    def __str__(self):
        return f"cosignature of {self.tree_size} by {self.witness.split('+', 1)[0]}"


class TreeHeadTimestamp(models.Model):
    """An RFC 3161 time-stamp of a signed tree head by the time-stamping authority the
    operator configured (CASEFILES_TSA_URL): a third party's signed statement that the
    tree head existed at `gen_time` (casefiles/timestamps.py). The copy that counts is
    the file next to the head, `tree-head-<size>.tsr`; this row is a cache, append-only
    like the heads."""

    size = models.BigIntegerField(primary_key=True)  # the tree head's
    # base64 of the TSA's DER TimeStampResp (status and signed token), as received
    token = models.TextField()
    gen_time = models.DateTimeField()  # the time the TSA signed, copied from the token
    tsa = models.CharField(max_length=500)  # the URL it was asked at

    class Meta:
        ordering = ["-size"]

    def __str__(self):
        return f"time-stamp of tree head {self.size}"


class IntegrityAlert(models.Model):
    """A broken chain found by a verification run: shown to staff, never auto-repaired."""

    detected_at = models.DateTimeField()
    case_id = models.UUIDField(null=True)
    reference = models.CharField(max_length=64)
    version = models.PositiveIntegerField(null=True)
    reason = models.TextField()

    class Meta:
        ordering = ["-detected_at"]

    def __str__(self):
        return f"{self.reference} v{self.version}: {self.reason}"


class ExportJob(models.Model):
    """A bundle requested through the API, built by a Celery task (operational record,
    not a read model: the export itself is the CaseExported event on the case)."""

    QUEUED, READY, FAILED = "queued", "ready", "failed"
    STATUS_CHOICES = [(QUEUED, "Queued"), (READY, "Ready"), (FAILED, "Failed")]
    KIND_CHOICES = [("redacted", "Redacted"), ("complete", "Complete")]

    id = models.UUIDField(primary_key=True)
    case_id = models.UUIDField(db_index=True)
    # PROTECT: who asked for a bundle stays known (accounts are deactivated, not deleted).
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=QUEUED)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"export {self.id} ({self.status})"


class SecurityLogEntry(models.Model):
    """One change of who may do what: clearance granted or revoked (with a reason, by
    casefiles.commands.clearance), a person joining or leaving a group (a role or a
    team), a permission given to or taken from a person or a group, an account created,
    made or unmade administrator, deactivated, reactivated or deleted (caught where
    Django makes the change, casefiles/security_log.py). Who did it, to whom, what, when.
    Append-only (the database refuses UPDATE, DELETE and TRUNCATE). Names are copied,
    not only referenced, so the entry reads the same after an account is renamed."""

    CLEARANCE_GRANTED = "clearance_granted"
    CLEARANCE_REVOKED = "clearance_revoked"
    GROUP_JOINED = "group_joined"
    GROUP_LEFT = "group_left"
    PERMISSION_GRANTED = "permission_granted"
    PERMISSION_REVOKED = "permission_revoked"
    ACCOUNT_CREATED = "account_created"
    ADMINISTRATOR_MADE = "administrator_made"
    ADMINISTRATOR_UNMADE = "administrator_unmade"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_REACTIVATED = "account_reactivated"
    ACCOUNT_DELETED = "account_deleted"
    GROUP_DELETED = "group_deleted"
    ACTION_CHOICES = [
        (CLEARANCE_GRANTED, "Clearance granted"),
        (CLEARANCE_REVOKED, "Clearance revoked"),
        (GROUP_JOINED, "Joined a group"),
        (GROUP_LEFT, "Left a group"),
        (PERMISSION_GRANTED, "Permission granted"),
        (PERMISSION_REVOKED, "Permission revoked"),
        (ACCOUNT_CREATED, "Account created"),
        (ADMINISTRATOR_MADE, "Made an administrator"),
        (ADMINISTRATOR_UNMADE, "No longer an administrator"),
        (ACCOUNT_DEACTIVATED, "Account deactivated"),
        (ACCOUNT_REACTIVATED, "Account reactivated"),
        (ACCOUNT_DELETED, "Account deleted"),
        (GROUP_DELETED, "Group deleted"),
    ]
    USER, GROUP = "user", "group"
    SUBJECT_KINDS = [(USER, "user"), (GROUP, "group")]

    occurred_at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=40, choices=ACTION_CHOICES)
    # What changed: "app_label.codename", "group NAME", or the account flag.
    permission = models.CharField("what", max_length=200)
    subject_kind = models.CharField(max_length=5, choices=SUBJECT_KINDS, default=USER)
    subject_id = models.IntegerField()
    subject = models.CharField(max_length=150)
    # None: an operator on the server (manage.py clearance), named in `by`.
    by_id = models.IntegerField(null=True, blank=True)
    by = models.CharField(max_length=200)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = "security log entry"
        verbose_name_plural = "security log"

    def __str__(self):
        return f"{self.action} {self.subject} by {self.by} at {self.occurred_at}"


class ApiToken(models.Model):
    """A token for scripts (`Authorization: Token <key>`). Only the SHA-256 of the key is
    stored; the key is shown once, when issued (casefiles.commands.tokens). It ends
    after API_TOKEN_IDLE_SECONDS unused or API_TOKEN_MAX_AGE_SECONDS after issue, when
    revoked by its owner or an administrator, and a read-only one cannot write."""

    READ, WRITE = "read", "write"
    SCOPE_CHOICES = [(READ, "Read only"), (WRITE, "Read and write")]

    id = models.UUIDField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)  # the key's start, to recognise it in a list
    name = models.CharField(max_length=100, blank=True)
    scope = models.CharField(max_length=5, choices=SCOPE_CHOICES)
    # How the owner proved who they were: password, password+otp, session, session+otp.
    issued_with = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField()  # the absolute limit; idle expiry from last_used_at
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.prefix}… ({self.scope}) of {self.user_id}"
