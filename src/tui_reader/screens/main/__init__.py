"""The main screen (`screen.MainScreen`) and its feature controllers, one file each."""

from .screen import MainScreen

__all__ = ["MainScreen"]
