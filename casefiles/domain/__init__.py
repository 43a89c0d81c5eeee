"""Pure domain code: no database access, no Django models."""
