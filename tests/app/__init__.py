"""App tests (see docs/testing.md)."""
