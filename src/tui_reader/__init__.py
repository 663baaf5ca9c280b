"""tui-reader: a terminal feed reader (RSS, Atom, JSON Feed) over a local TinyDB library."""

__version__ = "0.1.0"
