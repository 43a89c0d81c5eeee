"""One declaration per event type, grouped by concept (casefiles/domain/eventtype.py)."""
