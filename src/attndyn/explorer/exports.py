"""Save PNG: a picture of the view rendered in the background, with its progress.

An export renders the view's job (:meth:`attndyn.explorer.views.View.export_job`) band by
band, each band a task of the compute pool at a lower priority than tiles, so the map stays
responsive while it runs. The result is the PNG ``attndyn render`` would write: it carries
the spec and the colour options (``attndyn render --from`` reproduces it).

Limits. At most ``max_running`` exports run at once (one more is refused with
:class:`~attndyn.explorer.pool.PoolFull` naming that limit, so the server's 503 says which
limit it is). Asking again for an export that is queued, running or done (the same job and
colours) gives that export, never a second computation. A finished export is kept
``keep_seconds`` (a failed one ``failed_seconds``, long enough for the page to read its
error) and within ``max_bytes`` of PNGs, newest first; then it is removed.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from attndyn.engines import Engine
from attndyn.explorer.pool import ComputePool, PoolFull
from attndyn.model.errors import UserError
from attndyn.model.fields import Fields
from attndyn.model.job import Job
from attndyn.model.tiles import Tiling
from attndyn.pictures.coloring import ColorOptions, picture
from attndyn.pictures.images import png_bytes
from attndyn.rendering.estimate import estimate_cost, refuse_if_huge
from attndyn.rendering.render import compute_tile

EXPORT_PRIORITY = 1
BAND_PIXELS = 65_536


@dataclass
class Export:
    """One export: ``state`` is queued, running, done or failed; ``done``/``total`` pixels."""

    id: str
    job: Job
    colors: ColorOptions
    total: int
    done: int = 0
    state: str = "queued"
    error: str | None = None
    png: bytes | None = None
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    finished: float | None = None

    def to_dict(self) -> dict[str, object]:
        spec = self.job.spec
        return {
            "id": self.id,
            "state": self.state,
            "progress": self.done / self.total if self.total else 1.0,
            "done": self.done,
            "total": self.total,
            "width": spec.width,
            "height": spec.height,
            "precision": spec.dtype,
            "error": self.error,
            "seconds": self.seconds,
            "bytes": len(self.png) if self.png is not None else None,
        }


class Exports:
    """The export jobs of one server."""

    def __init__(
        self,
        engine: Engine,
        pool: ComputePool,
        *,
        max_running: int = 2,
        max_bytes: int = 256 * 1024**2,
        keep_seconds: float = 3600.0,
        failed_seconds: float = 120.0,
        clock=time.monotonic,
    ) -> None:
        self.engine = engine
        self.pool = pool
        self.max_running = max_running
        self.max_bytes = max_bytes
        self.keep_seconds = keep_seconds
        self.failed_seconds = failed_seconds
        self._clock = clock
        self._jobs: OrderedDict[str, Export] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def start(self, job: Job, colors: ColorOptions) -> Export:
        """Start rendering ``job``, or give the export of the same job and colours that is
        queued, running or done; raises UserError for a job ``render`` would refuse, and
        :class:`PoolFull` when ``max_running`` exports are running."""
        return self.request(job, colors)[0]

    def request(self, job: Job, colors: ColorOptions) -> tuple[Export, bool]:
        """:meth:`start`, and whether the export is new (False: an earlier one's)."""
        refuse_if_huge(estimate_cost(job.spec, self.engine), force=False)
        rows, cols = job.spec.shape
        with self._lock:
            self._expire()
            for export in self._jobs.values():
                if export.state != "failed" and _same(export, job, colors):
                    return export, False
            running = sum(1 for e in self._jobs.values() if e.state in ("queued", "running"))
            if running >= self.max_running:
                raise PoolFull(
                    f"{running} exports are running, the most the explorer runs at once "
                    f"(max_running {self.max_running}); retry when one is done",
                    retry_after=5,
                )
            export = Export(f"e{next(self._ids)}", job, colors, rows * cols)
            self._jobs[export.id] = export
        threading.Thread(target=self._run, args=(export,), daemon=True).start()
        return export, True

    def __len__(self) -> int:
        """Exports kept now (queued, running and finished)."""
        with self._lock:
            self._expire()
            return len(self._jobs)

    @property
    def running(self) -> int:
        with self._lock:
            return sum(1 for e in self._jobs.values() if e.state in ("queued", "running"))

    def get(self, export_id: str) -> Export:
        with self._lock:
            self._expire()
            export = self._jobs.get(export_id)
        if export is None:
            raise UserError(f"export {export_id!r} is unknown (finished exports are kept a while)")
        return export

    def _run(self, export: Export) -> None:
        job, spec = export.job, export.job.spec
        try:
            export.state = "running"
            fields = Fields.empty(*spec.shape, probability=spec.samples > 1)
            tiling = Tiling.for_pixels(spec.shape, max(1, BAND_PIXELS // spec.samples))
            for tile in tiling:
                key = ("export", export.id, tile)
                ticket = self._submit(key, lambda tile=tile: compute_tile(job, self.engine, tile))
                fields.put(slice(tile.row0, tile.row1), slice(tile.col0, tile.col1), ticket)
                export.done += tile.size
            image = picture(fields, spec, export.colors)
            export.png = png_bytes(image, spec.to_json(), coloring_json=export.colors.to_json())
            export.state = "done"
        except UserError as error:
            export.state, export.error = "failed", str(error)
        except Exception as error:  # reported on the page, never a traceback
            export.state, export.error = "failed", f"{type(error).__name__}: {error}"
        export.seconds = time.monotonic() - export.started
        export.finished = self._clock()
        self._trim()

    def _submit(self, key, run) -> Fields:
        """Run one band in the pool, waiting for room in the queue when it is full."""
        while True:
            try:
                return self.pool.submit(key, run, EXPORT_PRIORITY).future.result()
            except PoolFull:
                time.sleep(0.2)

    def _expire(self) -> None:
        """Forget finished exports past their time (the lock is held)."""
        now = self._clock()
        for export in list(self._jobs.values()):
            if export.finished is None:
                continue
            keep = self.failed_seconds if export.state == "failed" else self.keep_seconds
            if now - export.finished > keep:
                del self._jobs[export.id]

    def _trim(self) -> None:
        """Forget expired exports, and the oldest finished ones beyond ``max_bytes``."""
        with self._lock:
            self._expire()
            finished = [e for e in self._jobs.values() if e.png is not None]
            total = sum(len(e.png or b"") for e in finished)
            for export in finished:
                if total <= self.max_bytes:
                    break
                total -= len(export.png or b"")
                del self._jobs[export.id]


def _same(export: Export, job: Job, colors: ColorOptions) -> bool:
    """Whether ``export`` renders the same picture as ``job`` in ``colors``."""
    return (
        export.job.spec == job.spec
        and export.job.sample == job.sample
        and export.colors.to_json() == colors.to_json()
    )
