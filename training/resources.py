"""Files Gravewatch ships inside its packages, and where it keeps what it makes.

The taxonomy and the annotated corpus (``labels/`` at the top of the repository, reached from
the ``training`` package through the link ``training/labels``), the review page
(``service/web``) and the review store's migrations are package data: they are found with
``importlib.resources``, so an installed wheel reads them from site-packages as a checkout
reads them from the repository.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def packaged(package: str, *parts: str) -> Path:
    """A file or folder shipped in ``package`` (``parts`` below it), as a path on disk."""
    resource = files(package).joinpath(*parts)
    if not isinstance(resource, Path):
        raise RuntimeError(
            f"{package} is not installed as files on disk ({resource}): install Gravewatch "
            "with pip (a wheel or a checkout), not as a zip"
        )
    return resource.resolve()


def default_home() -> Path:
    """Where ``models/``, ``data/`` and ``reports/`` go unless a setting names them: the
    checkout, when Gravewatch runs from one (a source tree or an editable install), else the
    current working directory (an installed wheel)."""
    root = packaged("training").parent
    return root if (root / "pyproject.toml").is_file() else Path.cwd()
