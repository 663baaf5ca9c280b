"""Property-based fuzz harnesses (hypothesis): see README.md in this directory."""
