"""``attndyn flow``: simulate one particle flow on the sphere; trajectories, energy, a movie.

The flows, the steps and what is recorded are defined in :mod:`attndyn.particles.simulate`.
Options are read as text and validated by the library (:class:`FlowSetup`), whose errors name
the options; every output path is checked before the simulation starts, and every file is
written atomically.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from attndyn.cli.common import add_quiet_argument
from attndyn.model.errors import FieldError, UserError
from attndyn.model.outputs import check_writable, save_npz
from attndyn.model.parsing import parse_float, parse_int
from attndyn.rendering.estimate import format_seconds

DEFAULT_OUTPUT = "flow.npz"
DEFAULT_ENERGY_CSV = "flow-energy.csv"
DEFAULT_PLOT = "flow-energy.png"
MAX_RECORDED = 500


def register(subparsers: argparse._SubParsersAction) -> None:
    # Choices are checked by FlowSetup (importing the particle toolkit here would slow every
    # command's start-up).
    flow = subparsers.add_parser(
        "flow",
        help="simulate a particle flow (USA or SA) on the sphere in any dimension",
        description=(
            "Simulate n particles on the sphere S^{d-1} under the USA flow (interaction matrix "
            "D and value matrix V, default D: the Transformer Dynamics paper) or the SA flow "
            "(softmax attention with Q, K, V, Geshkovski et al.), with Euler or RK4 steps and "
            "optional noise. Writes the trajectories (npz), the energy at every step (CSV) and "
            "its plot with the cluster count, the records (CSV) and an animation on the circle "
            "(d = 2) or the sphere (d = 3). With no output named: "
            f"{DEFAULT_OUTPUT}, {DEFAULT_ENERGY_CSV} and {DEFAULT_PLOT}. Any d >= 2 whose run "
            "fits in half the machine's memory. Matrices: diag(a,b,...), I, -I, or d*d "
            "numbers row-major."
        ),
    )
    model = flow.add_argument_group("the flow")
    model.add_argument("--flow", default="usa", metavar="usa|sa", help="usa (default) or sa")
    model.add_argument(
        "--dimension",
        "-d",
        metavar="d",
        help="dimension d >= 2 of the ambient space (default: the matrices' size, else 3)",
    )
    model.add_argument(
        "--points",
        "-n",
        metavar="n",
        default="100",
        help="number of particles (default 100, as the paper's Figure 6; render's 20 are the "
        "seed's landscape's)",
    )
    model.add_argument("--beta", default="1", help="inverse temperature (default 1)")
    for name, what in (
        ("D", "interaction matrix of the USA flow"),
        ("Q", "query matrix of the SA flow"),
        ("K", "key matrix of the SA flow"),
        ("V", "value matrix of the SA flow (default I) or the USA flow (default D)"),
    ):
        default = "" if name == "V" else " (default I)"
        model.add_argument(f"--{name}", metavar="MATRIX", help=f"{what}{default}")
    model.add_argument(
        "--direction",
        default="ascent",
        metavar="ascent|descent",
        help="USA only: ascent of the energy (default; the attention dynamics) or descent",
    )
    steps = flow.add_argument_group("time stepping")
    steps.add_argument(
        "--method", default="euler", metavar="euler|rk4", help="time stepping (default euler)"
    )
    steps.add_argument("--dt", default="0.1", help="step size (default 0.1)")
    steps.add_argument(
        "--steps",
        "-T",
        metavar="T",
        default="500",
        help="number of steps, at least 1 (default 500 of --dt 0.1, as the paper's Figure 6; "
        "render's 100 are the seed's map's iterations)",
    )
    steps.add_argument(
        "--noise",
        metavar="SIGMA",
        default="0",
        help="noise level sigma: sigma sqrt(dt) N(0, I) per step (default 0)",
    )
    steps.add_argument(
        "--noise-decay",
        metavar="GAMMA",
        default="1",
        help="sigma is multiplied by this after each step, in [0, 1] (default 1)",
    )
    steps.add_argument(
        "--seed",
        default="0",
        help="seed of numpy's generator for the initial points and the noise (default 0, as "
        "'attndyn experiment'; not render's generator, so not render's default)",
    )
    out = flow.add_argument_group("outputs")
    out.add_argument(
        "-o",
        "--output",
        metavar="OUT.npz",
        help="trajectories: points (frames, n, d), steps, times, energy, clusters, the energy "
        f"at every step (step_energy) and the setup (default {DEFAULT_OUTPUT} when no other "
        "output is given)",
    )
    out.add_argument("--csv", metavar="OUT.csv", help="step,time,energy,clusters per record")
    out.add_argument(
        "--energy-csv",
        metavar="OUT.csv",
        help=f"step,time,energy at every step (default {DEFAULT_ENERGY_CSV} when no other "
        "output is given)",
    )
    out.add_argument(
        "--plot",
        metavar="OUT.png",
        help="the energy over time (every step) and the cluster count over time (records) "
        f"(default {DEFAULT_PLOT} when no other output is given)",
    )
    out.add_argument("--animation", metavar="OUT.gif|OUT.mp4", help="movie of the particles")
    out.add_argument(
        "--record-every",
        metavar="K",
        help=f"record every K steps (default: about {MAX_RECORDED} records in all)",
    )
    out.add_argument(
        "--cluster-distance",
        metavar="R",
        default="0.01",
        help="particles closer than this are in one cluster (default 0.01)",
    )
    out.add_argument(
        "--frames", metavar="N", default="120", help="at most this many movie frames (default 120)"
    )
    out.add_argument(
        "--fps",
        metavar="F",
        default="12",
        help="movie frames per second (default 12: the default 120 frames last 10 s)",
    )
    add_quiet_argument(out)
    flow.set_defaults(run=run)


def _setup(args: argparse.Namespace):
    """The validated :class:`FlowSetup` of the options."""
    from attndyn.particles.simulate import FlowSetup, parse_matrix

    dimension = parse_int("dimension", args.dimension) if args.dimension is not None else None
    matrices = {}
    for name in ("D", "Q", "K", "V"):
        text = getattr(args, name)
        if text is not None:
            matrices[name] = parse_matrix(name, text, dimension)
            if dimension is None:
                dimension = matrices[name].shape[0]
    steps = parse_int("steps", args.steps)
    if steps < 1:  # FlowSetup allows 0 (the initial state alone); a command run wants a flow
        raise FieldError(
            lambda n: (
                f"{n('steps')} {steps} is too few; give an integer >= 1 (with no step nothing "
                "flows)"
            )
        )
    record_every = (
        parse_int("record_every", args.record_every)
        if args.record_every is not None
        else max(1, steps // MAX_RECORDED)
    )
    return FlowSetup(
        flow=args.flow,
        dimension=3 if dimension is None else dimension,
        points=parse_int("points", args.points),
        beta=parse_float("beta", args.beta),
        direction=args.direction,
        method=args.method,
        dt=parse_float("dt", args.dt),
        steps=steps,
        noise=parse_float("noise", args.noise),
        noise_decay=parse_float("noise_decay", args.noise_decay),
        seed=parse_int("seed", args.seed),
        record_every=record_every,
        cluster_distance=parse_float("cluster_distance", args.cluster_distance),
        **matrices,
    )


def _movie_frames(count: int, wanted: int) -> np.ndarray:
    """At most ``wanted`` record indices, evenly spread, the first and the last included."""
    return np.unique(np.round(np.linspace(0, count - 1, min(wanted, count))).astype(int))


def run(args: argparse.Namespace) -> int:
    setup = _setup(args)
    frames = parse_int("frames", args.frames)
    fps = parse_float("fps", args.fps)
    if frames < 1:
        raise FieldError(lambda n: f"{n('frames')} {frames} is too small; it must be >= 1")
    if not (np.isfinite(fps) and fps > 0):
        raise FieldError(lambda n: f"{n('fps')} {fps!r} must be a finite number > 0")
    output, energy_csv, plot = args.output, args.energy_csv, args.plot
    if all(o is None for o in (output, args.csv, args.animation, energy_csv, plot)):
        output, energy_csv, plot = DEFAULT_OUTPUT, DEFAULT_ENERGY_CSV, DEFAULT_PLOT
    npz_path = check_writable(output, suffix=".npz", what="--output") if output else None
    csv_path = check_writable(args.csv, suffix=".csv", what="--csv") if args.csv else None
    energy_path = (
        check_writable(energy_csv, suffix=".csv", what="--energy-csv") if energy_csv else None
    )
    plot_path = check_writable(plot, suffix=".png", what="--plot") if plot else None
    movie_path = None
    if args.animation:
        movie_path = check_writable(args.animation, what="--animation")
        if movie_path.suffix.lower() not in (".gif", ".mp4"):
            raise UserError(f"--animation path {args.animation!r} must end in .gif or .mp4")
        if setup.dimension not in (2, 3):
            raise UserError(
                f"--animation draws the circle (d = 2) or the sphere (d = 3), not d = "
                f"{setup.dimension}; leave it out, or use --dimension 2 or 3"
            )

    from attndyn.particles.simulate import simulate

    started = time.perf_counter()
    trajectory = simulate(setup, progress=not args.quiet)
    written: list[Path] = []
    if npz_path is not None:
        save_npz(
            npz_path,
            points=trajectory.points,
            steps=trajectory.steps,
            times=trajectory.times,
            energy=trajectory.energy,
            clusters=trajectory.clusters,
            step_energy=trajectory.step_energy,
            setup=np.array(json.dumps(setup.describe(), sort_keys=True)),
        )
        written.append(npz_path)
    from attndyn.particles.experiments.common import write_csv

    if csv_path is not None:
        rows = zip(
            trajectory.steps, trajectory.times, trajectory.energy, trajectory.clusters, strict=True
        )
        written.append(write_csv(csv_path, ["step", "time", "energy", "clusters"], rows))
    if energy_path is not None:
        every = range(setup.steps + 1)
        rows = zip(every, trajectory.step_times, trajectory.step_energy, strict=True)
        written.append(write_csv(energy_path, ["step", "time", "energy"], rows))
    if plot_path is not None:
        from attndyn.particles.plots import plot_energy_over_time, save_png

        fig = plot_energy_over_time(
            trajectory.step_times,
            trajectory.step_energy,
            trajectory.times,
            trajectory.clusters,
            title=f"{setup.flow.upper()} flow, n = {setup.points}, d = {setup.dimension}, "
            f"beta = {setup.beta:g}, {setup.method}, dt = {setup.dt:g}",
        )
        written.append(save_png(fig, plot_path))
    if movie_path is not None:
        from attndyn.particles.animation import render_frames, write_gif, write_mp4

        picks = _movie_frames(len(trajectory.steps), frames)
        labels = [
            f"{setup.flow.upper()}, t = {trajectory.times[k]:.3g}, "
            f"{trajectory.clusters[k]} cluster{'s' if trajectory.clusters[k] != 1 else ''}"
            for k in picks
        ]
        rgb = render_frames(
            trajectory.points[picks],
            setup.energy_matrix,
            labels=labels,
            progress=not args.quiet,
        )
        write = write_gif if movie_path.suffix.lower() == ".gif" else write_mp4
        written.append(write(rgb, movie_path, fps=fps))
    if not args.quiet:
        elapsed = format_seconds(time.perf_counter() - started)
        print(
            f"wrote {', '.join(str(p) for p in written)}: {setup.flow.upper()} flow, "
            f"n = {setup.points}, d = {setup.dimension}, {setup.steps} steps, "
            f"{trajectory.clusters[-1]} clusters at t = {trajectory.times[-1]:.4g}, in {elapsed}",
            file=sys.stderr,
        )
    return 0
