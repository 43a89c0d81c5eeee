"""The auditor export: a signed, self-verifying ZIP of one case's full history
(format `casefile-export/1`, docs/export.md)."""
