"""The version of classbox, from the installed package metadata."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("classbox")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
