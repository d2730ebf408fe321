"""Where a Zarr store lives: a directory on this machine, or an fsspec URL (``s3://``, ...).

``render --store`` and ``export`` take either. A plain path and a ``file://`` URL name a local
directory (:attr:`StoreLocation.path`); any other URL is opened through fsspec, whose package
for the protocol must be installed (s3fs for ``s3://``, gcsfs for ``gs://``, ...; credentials
and endpoints come from the usual places, e.g. ``AWS_ENDPOINT_URL``). Messages name the
location as the user gave it (:attr:`StoreLocation.given`).

On an object store the done manifest is one object per chunk
(:class:`attndyn.rendering.store.object_manifest.ObjectManifest`) and the lock an object created
only if absent (:mod:`attndyn.rendering.store.object_lock`), since objects cannot be appended to or
locked.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attndyn.model.errors import UserError

__all__ = ["StoreLocation", "is_url"]


def is_url(location: str | Path) -> bool:
    """Whether ``location`` is written as a URL (``protocol://...``)."""
    return "://" in str(location)


@dataclass(frozen=True)
class StoreLocation:
    """A store's place: ``given`` as the user wrote it; ``path`` for a local directory, else
    ``url`` for fsspec (with :meth:`filesystem`)."""

    given: str
    path: Path | None
    url: str | None

    @classmethod
    def parse(cls, location: str | Path) -> StoreLocation:
        """The location ``location`` names, refused in one line if it names none (empty, an
        unknown protocol, a protocol whose package is missing). Nothing is read or written."""
        given = str(location)
        if not given.strip():
            raise UserError(
                "store path '' is empty; give a directory such as OUT.zarr, or a URL such as "
                "s3://bucket/OUT.zarr"
            )
        if not is_url(given):
            return cls(given, Path(location), None)
        protocol, _, rest = given.partition("://")
        if not rest.strip("/"):
            raise UserError(
                f"store URL {given!r} names no store; e.g. {protocol}://bucket/OUT.zarr"
            )
        if protocol == "file":
            return cls(given, Path(rest), None)
        import fsspec

        try:
            fsspec.get_filesystem_class(protocol)
        except ImportError as error:
            raise UserError(
                f"store URL {given!r}: the {protocol!r} protocol needs a package that is not "
                f"installed: {error}"
            ) from None
        except ValueError:
            raise UserError(
                f"store URL {given!r}: {protocol!r} is not a protocol fsspec knows; give a path "
                "(OUT.zarr) or a URL such as file://, s3://, gs://, memory://"
            ) from None
        return cls(given, None, given.rstrip("/"))

    @property
    def is_local(self) -> bool:
        return self.path is not None

    def filesystem(self) -> tuple[Any, str]:
        """(fsspec file system, the store's root path in it) of a URL location."""
        import fsspec

        assert self.url is not None
        return fsspec.core.url_to_fs(self.url)

    def child(self, name: str) -> str:
        """The path (in :meth:`filesystem`) of ``name`` inside a URL store."""
        return f"{self.filesystem()[1]}/{name}"

    def sibling(self, suffix: str) -> str:
        """The path (in :meth:`filesystem`) of the object beside the store: root + suffix."""
        return self.filesystem()[1] + suffix

    def exists(self) -> bool:
        """Whether anything is at the location (a directory, or objects under the URL)."""
        if self.path is not None:
            return self.path.exists()
        fs, root = self.filesystem()
        return self._remote(lambda: fs.exists(root) or fs.exists(f"{root}/zarr.json"))

    def read_json(self, name: str) -> Any:
        """The JSON document ``name`` inside the store; None if absent or not JSON."""
        try:
            if self.path is not None:
                text = (self.path / name).read_bytes()
            else:
                fs = self.filesystem()[0]
                text = self._remote(lambda: fs.cat_file(self.child(name)), missing=True)
            return json.loads(text)
        except (OSError, ValueError):
            return None

    def remove(self) -> None:
        """Delete the store and everything in it."""
        if self.path is not None:
            import shutil

            shutil.rmtree(self.path)
            return
        fs, root = self.filesystem()
        self._remote(lambda: fs.rm(root, recursive=True))

    def check_writable(self) -> None:
        """Refuse in one line a location where a store cannot be made or written."""
        if self.path is None:
            fs, root = self.filesystem()
            split = getattr(fs, "split_path", None)  # object stores: bucket, key, version
            if split is not None:
                bucket = split(root)[0]
                if not self._remote(lambda: fs.exists(bucket)):
                    raise UserError(
                        f"store URL {self.given!r}: bucket {bucket!r} does not exist (or "
                        "cannot be seen with these credentials); create it first"
                    )
            return
        path = self.path
        if path.exists() and not path.is_dir():
            raise UserError(f"store path {self.given!r} is a file; give a directory (OUT.zarr)")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            given = f" (store {self.given!r})" if is_url(self.given) else ""
            raise UserError(f"store directory {str(parent)!r} does not exist{given}")
        target = path if path.exists() else parent
        if not os.access(target, os.W_OK | os.X_OK):
            raise UserError(f"store path {str(target)!r} is not writable")

    def zarr_target(self) -> str:
        """What ``zarr.open_group(store=...)`` takes for this location."""
        return str(self.path) if self.path is not None else str(self.url)

    def _remote(self, call, *, missing: bool = False):
        """Run ``call`` on the remote file system; failures to reach it become one line
        (FileNotFoundError passes through when ``missing``)."""
        try:
            return call()
        except FileNotFoundError:
            if missing:
                raise
            raise UserError(f"store URL {self.given!r}: not found") from None
        except Exception as error:  # botocore, aiohttp, ...: whatever the protocol raises
            raise UserError(
                f"store URL {self.given!r}: {type(error).__name__}: {error}".rstrip(": ")
            ) from None
