"""What makes a store the store of a spec: the spec's values and the fields format, not the
version of attndyn that wrote it.

A store resumes when the fields it would hold are the fields this attndyn computes for the
spec asked for. Those depend on the spec's values (the spec JSON *without* its
``attndyn_version``; a key added by a later version counts at its default) and on how the
engines compute fields, which :data:`FIELDS_FORMAT` numbers. So an upgraded attndyn resumes an
unfinished store of an older one whenever both numbers match, and refuses it with the precise
reason otherwise (:func:`identity_mismatch`).

:data:`FIELDS_FORMAT` changes only when an engine change alters the fields that some spec gives
(a different value in any field, for any pixel). Stores written before the number existed hold
format-1 fields (:data:`UNNUMBERED_FIELDS_FORMAT`).
"""

from __future__ import annotations

import json
from typing import Any

from attndyn.model.errors import UserError
from attndyn.model.spec import LandscapeSpec

__all__ = ["FIELDS_FORMAT", "identity_mismatch", "spec_identity", "written_by"]

FIELDS_FORMAT = 1
UNNUMBERED_FIELDS_FORMAT = 1
_VERSION_KEY = "attndyn_version"
_MAX_LISTED = 4


def spec_identity(spec: LandscapeSpec) -> dict[str, Any]:
    """The spec's values that determine its fields: its dict without the package version."""
    data = spec.to_dict()
    data.pop(_VERSION_KEY, None)
    return data


def identity_mismatch(info: dict[str, Any], spec: LandscapeSpec) -> str | None:
    """Why a store with attributes ``info`` (its ``spec`` JSON and ``fields_format``) does not
    hold the fields of ``spec`` as this attndyn computes them; None when it does."""
    stored_format = info.get("fields_format", UNNUMBERED_FIELDS_FORMAT)
    try:
        stored = LandscapeSpec.from_json(info["spec"])
        made_by = written_by(info["spec"])
    except (UserError, KeyError, TypeError) as error:
        return f"its spec cannot be read by this attndyn: {error}"
    if stored_format != FIELDS_FORMAT:
        return (
            f"its fields are in fields format {stored_format!r} (written by attndyn {made_by}), "
            f"and this attndyn computes format {FIELDS_FORMAT}: an engine change altered the "
            "fields, so the chunks done would not match the chunks still to compute"
        )
    ours, theirs = spec_identity(spec), spec_identity(stored)
    differing = sorted(
        key for key in ours.keys() | theirs.keys() if ours.get(key) != theirs.get(key)
    )
    if not differing:
        return None
    listed = ", ".join(
        f"{key} {theirs.get(key)!r} in the store, {ours.get(key)!r} here"
        for key in differing[:_MAX_LISTED]
    )
    more = f" and {len(differing) - _MAX_LISTED} more" if len(differing) > _MAX_LISTED else ""
    return f"{listed}{more}"


def written_by(spec_json: str) -> str:
    """The attndyn version recorded in a spec JSON ('unknown' if none)."""
    try:
        return str(json.loads(spec_json).get(_VERSION_KEY, "unknown"))
    except (ValueError, AttributeError):
        return "unknown"
