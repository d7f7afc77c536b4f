"""SEMH Desktop: the domain (records, rules, measures, storage, exports). Never imports Qt."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("semh-desktop")
except PackageNotFoundError:  # running from a source tree or a frozen bundle without metadata
    __version__ = "0.1.0"
