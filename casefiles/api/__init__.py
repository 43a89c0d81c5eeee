"""The REST API: the second face of the command layer."""
