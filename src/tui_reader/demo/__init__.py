"""Bundled demo library: fictional feeds and articles for first-run and screenshots."""
