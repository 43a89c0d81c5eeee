"""Pure, offline extraction of text, metadata and candidate allegations from documents."""
