"""Frame sequences to files: a looping GIF (Pillow) and an H.264 MP4 (imageio-ffmpeg's ffmpeg).

Both take RGB uint8 arrays of one size and write through a temporary file that is renamed at
the end, so a failed or interrupted encode leaves no half-written video. MP4 frames are
streamed to the encoder one at a time; a GIF holds its (palettised) frames in memory.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path

import numpy as np
from PIL import Image

from attndyn.model.errors import UserError
from attndyn.model.outputs import atomic_file

MP4_CRF = 18


def write_gif(
    frames: Iterable[np.ndarray], path: str | Path, *, fps: float, colors: int = 256
) -> Path:
    """A GIF that loops forever, with an adaptive palette of ``colors`` per frame.

    Pillow stores identical consecutive frames once with their durations added.
    """
    images = [
        Image.fromarray(np.asarray(frame)).convert(
            "P", palette=Image.Palette.ADAPTIVE, colors=colors
        )
        for frame in frames
    ]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(1, round(1000.0 / fps)),
        loop=0,
        optimize=False,
    )
    try:
        with atomic_file(path) as stream:
            stream.write(buffer.getvalue())
    except OSError as error:
        raise UserError(f"cannot write {str(path)!r}: {error.strerror or error}") from None
    return Path(path)


def _padded_to_even(frame: np.ndarray) -> np.ndarray:
    rows, cols = frame.shape[0] % 2, frame.shape[1] % 2
    return np.pad(frame, ((0, rows), (0, cols), (0, 0)), mode="edge") if rows or cols else frame


def write_mp4(
    frames: Iterable[np.ndarray], path: str | Path, *, fps: float, pad_odd: bool = False
) -> Path:
    """H.264 MP4 (libx264, yuv420p, CRF 18), the frames' pixels exactly as given.

    yuv420p needs an even width and height: odd sizes are refused, or with ``pad_odd``
    padded by repeating the last row or column.
    """
    import imageio_ffmpeg

    path = Path(path)
    stream: Iterator[np.ndarray] = iter(frames)
    first = np.asarray(next(stream))
    height, width = first.shape[:2]
    if (width % 2 or height % 2) and not pad_odd:
        raise UserError(
            f"mp4 needs an even frame width and height; the frames are {width}x{height}"
        )
    width, height = width + width % 2, height + height % 2
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        writer = imageio_ffmpeg.write_frames(
            temporary,
            (width, height),
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=1,
            output_params=["-crf", str(MP4_CRF), "-movflags", "+faststart", "-f", "mp4"],
            ffmpeg_log_level="error",
        )
        writer.send(None)
        for frame in chain([first], stream):
            writer.send(np.ascontiguousarray(_padded_to_even(np.asarray(frame))))
        writer.close()
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if isinstance(error, OSError | RuntimeError):
            raise UserError(f"cannot write {str(path)!r}: {error}") from None
        raise
    return path
