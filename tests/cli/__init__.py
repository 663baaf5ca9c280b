"""Cli tests (see docs/testing.md)."""
