"""An ML project whose pipeline runs locally end to end and is promoted through Git tags."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version(__name__.replace("_", "-"))
except PackageNotFoundError:  # a source tree that is not installed, e.g. inside a bento
    __version__ = "0.0.0"
