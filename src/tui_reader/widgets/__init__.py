"""Widgets: they render state handed to them and post messages; they never touch the store."""
