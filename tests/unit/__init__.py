"""Unit tests (see docs/testing.md)."""
