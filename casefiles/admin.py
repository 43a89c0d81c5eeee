"""A first, read-only admin: every change goes through commands (issue 4 adds the
working pages). Nothing here can add, change or delete a row."""

from django.contrib import admin

from casefiles.models import CaseFile, CaseNote, CaseSource, Event, TransitionRequest


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SourceInline(admin.TabularInline):
    model = CaseSource
    fields = ["title", "origins", "excerpt", "published_on", "attached_by", "attached_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(CaseFile)
class CaseFileAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "state", "source_count", "corroboration",
                    "assignee_name", "updated_at"]
    list_filter = ["state", "corroboration"]
    search_fields = ["reference", "title", "summary"]
    inlines = [SourceInline]


@admin.register(TransitionRequest)
class TransitionRequestAdmin(ReadOnlyAdmin):
    list_display = ["case", "from_state", "to_state", "requested_by", "requested_at", "status"]
    list_filter = ["status", "to_state"]
    list_select_related = ["case"]


@admin.register(CaseNote)
class CaseNoteAdmin(ReadOnlyAdmin):
    list_display = ["case", "author", "added_at", "text"]
    list_select_related = ["case"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["position", "case_id", "version", "type", "occurred_at", "hash"]
    list_filter = ["type"]
    search_fields = ["case_id", "hash"]
