"""The text a picture carries, read without decoding a single pixel: PNG chunks, TIFF tags.

``render --from poster.png`` and ``--from poster.tif`` need only the spec (and the colouring)
that attndyn stored in the picture, not its pixels; a poster may be far larger than memory, or
than PIL's decompression-bomb limit. So the file is walked by its structure:

PNG
    Chunk by chunk (length, type, data, CRC), seeking over the image data; the text chunks
    ``tEXt``, ``zTXt`` and ``iTXt`` are read (and their CRCs checked), wherever they are.

TIFF and BigTIFF
    The first IFD's ImageDescription (tag 270), in either byte order. attndyn wrote there
    either a JSON object of its text keys (``{"attndyn-spec": ..., "attndyn-coloring": ...}``)
    or, from the OME-TIFF export on, OME-XML whose ``MapAnnotation`` holds the same keys.

:func:`stored_text` returns the text keys of either kind of file as a dict.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

from attndyn.model.errors import UserError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TIFF_SIGNATURES = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
IMAGE_DESCRIPTION = 270
MAX_TEXT_BYTES = 64 << 20  # no attndyn text comes near; a bound against hostile files
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")


class PictureMetadataError(ValueError):
    """The file is not a PNG or TIFF, or its structure is damaged (the message says how)."""


def stored_text(path: str | Path) -> dict[str, str]:
    """The text keys of the PNG or TIFF at ``path`` (key -> text); pixels are never read.

    Raises OSError if the file cannot be read, :class:`PictureMetadataError` if it is neither
    a PNG nor a TIFF or is damaged where its text is looked for.
    """
    with open(path, "rb") as file:
        head = file.read(8)
        file.seek(0)
        if head == PNG_SIGNATURE:
            return png_text(file)
        if head[:4] in TIFF_SIGNATURES:
            description = tiff_description(file)
            return description_text(description) if description is not None else {}
    raise PictureMetadataError("not a PNG or TIFF file")


# -- PNG --------------------------------------------------------------------------------------
def png_text(file: BinaryIO) -> dict[str, str]:
    """The text chunks of the PNG open in ``file`` (positioned at its start)."""
    if file.read(8) != PNG_SIGNATURE:
        raise PictureMetadataError("not a PNG file")
    text: dict[str, str] = {}
    while True:
        header = file.read(8)
        if len(header) < 8:
            raise PictureMetadataError("the PNG ends before its IEND chunk")
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IEND":
            return text
        if kind not in _TEXT_CHUNKS:
            file.seek(length + 4, 1)  # the data and the CRC, unread
            continue
        if length > MAX_TEXT_BYTES:
            raise PictureMetadataError(f"a {kind.decode()} chunk of {length} bytes")
        data = file.read(length)
        crc = file.read(4)
        if len(data) < length or len(crc) < 4:
            raise PictureMetadataError("the PNG ends inside a text chunk")
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + data) & 0xFFFFFFFF:
            raise PictureMetadataError(f"a {kind.decode()} chunk fails its CRC")
        key, value = _text_chunk(kind, data)
        text.setdefault(key, value)


def _text_chunk(kind: bytes, data: bytes) -> tuple[str, str]:
    """(keyword, text) of a tEXt, zTXt or iTXt chunk's data (PNG specification, 11.3.4)."""
    key, sep, rest = data.partition(b"\0")
    if not sep or not 1 <= len(key) <= 79:
        raise PictureMetadataError(f"a {kind.decode()} chunk without a keyword")
    if kind == b"tEXt":
        return key.decode("latin-1"), rest.decode("latin-1")
    if kind == b"zTXt":
        return key.decode("latin-1"), _inflate(rest[1:], kind).decode("latin-1")
    if len(rest) < 2:
        raise PictureMetadataError("an iTXt chunk cut short")
    compressed = rest[0]
    _language, _, rest = rest[2:].partition(b"\0")
    _translated, _, value = rest.partition(b"\0")
    if compressed:
        value = _inflate(value, kind)
    try:
        return key.decode("latin-1"), value.decode("utf-8")
    except UnicodeDecodeError:
        raise PictureMetadataError("an iTXt chunk that is not UTF-8") from None


def _inflate(data: bytes, kind: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_TEXT_BYTES)
    except zlib.error:
        raise PictureMetadataError(f"a {kind.decode()} chunk that does not inflate") from None
    if inflater.unconsumed_tail:
        raise PictureMetadataError(f"a {kind.decode()} chunk of over {MAX_TEXT_BYTES} bytes")
    return out


# -- TIFF -------------------------------------------------------------------------------------
def tiff_description(file: BinaryIO) -> str | None:
    """The ImageDescription of the first IFD of the TIFF or BigTIFF open in ``file``."""
    head = file.read(16)
    order = {b"II": "<", b"MM": ">"}.get(head[:2])
    if order is None or len(head) < 8:
        raise PictureMetadataError("not a TIFF file")
    (version,) = struct.unpack(order + "H", head[2:4])
    if version == 42:  # classic: 2-byte counts, 12-byte entries, 4-byte offsets
        (offset,) = struct.unpack(order + "I", head[4:8])
        count_format, entry_format, inline = "H", "HHI4s", 4
    elif version == 43:  # BigTIFF: 8-byte counts, 20-byte entries, 8-byte offsets
        if len(head) < 16:
            raise PictureMetadataError("a BigTIFF header cut short")
        (offset,) = struct.unpack(order + "Q", head[8:16])
        count_format, entry_format, inline = "Q", "HHQ8s", 8
    else:
        raise PictureMetadataError(f"TIFF version {version}")
    file.seek(offset)
    count_bytes = struct.calcsize(count_format)
    raw = file.read(count_bytes)
    if len(raw) < count_bytes:
        raise PictureMetadataError("the TIFF ends before its first IFD")
    (entries,) = struct.unpack(order + count_format, raw)
    entry_bytes = struct.calcsize(order + entry_format)
    table = file.read(entries * entry_bytes)
    if len(table) < entries * entry_bytes:
        raise PictureMetadataError("the TIFF ends inside its first IFD")
    for index in range(entries):
        tag, kind, count, value = struct.unpack_from(
            order + entry_format, table, index * entry_bytes
        )
        if tag != IMAGE_DESCRIPTION:
            continue
        if kind != 2:  # ASCII
            raise PictureMetadataError(f"an ImageDescription of TIFF type {kind}")
        if count > MAX_TEXT_BYTES:
            raise PictureMetadataError(f"an ImageDescription of {count} bytes")
        if count <= inline:
            data = value[:count]
        else:
            (where,) = struct.unpack(order + ("I" if inline == 4 else "Q"), value)
            file.seek(where)
            data = file.read(count)
            if len(data) < count:
                raise PictureMetadataError("the TIFF ends inside its ImageDescription")
        return data.split(b"\0", 1)[0].decode("utf-8", errors="replace")
    return None


OME_NAMESPACE = "{http://www.openmicroscopy.org/Schemas/OME/2016-06}"


def description_text(description: str) -> dict[str, str]:
    """The text keys of an ImageDescription: a JSON object of strings, or OME-XML whose
    MapAnnotations hold them (``<M K="key">text</M>``); {} for any other description."""
    stripped = description.strip()
    if stripped.startswith("{"):
        try:
            values = json.loads(stripped)
        except ValueError:
            return {}
        if not isinstance(values, dict):
            return {}
        return {k: v for k, v in values.items() if isinstance(k, str) and isinstance(v, str)}
    if stripped.startswith("<") and "OME" in stripped[:512]:
        from xml.etree import ElementTree  # only for OME-TIFFs: keeps the CLI's start light

        try:
            root = ElementTree.fromstring(stripped)
        except ElementTree.ParseError:
            return {}
        text: dict[str, str] = {}
        for item in root.iter(f"{OME_NAMESPACE}M"):
            key = item.get("K")
            if key is not None:
                text.setdefault(key, item.text or "")
        return text
    return {}


def read_picture_text(path: str | Path, key: str, *, required: bool = True) -> str | None:
    """The text ``attndyn-<key>`` ("spec" or "coloring") of a PNG or TIFF written by attndyn.

    Only the file's metadata is read (:func:`stored_text`), never its pixels, so
    a poster of any size works. None if the picture has no such text and ``required`` is
    false; a one-line :class:`~attndyn.model.errors.UserError` otherwise.
    """
    name = f"attndyn-{key}"
    try:
        text = stored_text(path)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UserError(f"cannot read picture {str(path)!r}: {reason}") from None
    if name not in text:
        if not required:
            return None
        raise UserError(
            f"picture {str(path)!r} carries no {name!r} text (a PNG chunk or, in a TIFF, "
            "the ImageDescription); it was not made by attndyn"
        )
    return text[name]
