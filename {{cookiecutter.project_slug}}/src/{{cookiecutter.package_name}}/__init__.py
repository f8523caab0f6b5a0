"""An ML project whose pipeline runs locally end to end and is promoted through Git tags."""

from importlib.metadata import PackageNotFoundError, packages_distributions, version


def distribution() -> str:
    """The installed distribution that holds this package: the project's name, which need not
    be the package's; the package's, dashed, where none is installed (inside a bento)."""
    found = packages_distributions().get(__name__, [])
    return found[0] if found else __name__.replace("_", "-")


def __getattr__(name: str) -> str:
    """`__version__`, read when asked: finding the distribution scans every installed one."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return version(distribution())
    except PackageNotFoundError:  # a source tree that is not installed, e.g. inside a bento
        return "0.0.0"
