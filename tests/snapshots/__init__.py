"""Snapshots tests (see docs/testing.md)."""
