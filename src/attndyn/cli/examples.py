"""The examples at the end of every ``--help``: two or three real commands per command.

Keys are command paths (``""`` for ``attndyn`` itself, ``"movie zoom"`` for a kind of a
command); :mod:`attndyn.cli.main` puts each list under its parser as the ``examples:`` epilog
(:func:`~attndyn.cli.common.examples_epilog`), unless the command's module gives its own.
Every command here parses, and the tests run the cheap ones.
"""

from __future__ import annotations

ZOOM_POINT = "--center=-3.06819,-1.82531"  # a boundary of the default picture

EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "": [
        (
            "attndyn render",
            "the gallery's art1679700 (one configuration shared by all pixels): landscape.png",
        ),
        ("attndyn presets", "the named pictures, for --preset NAME"),
        ("attndyn explore", "the deep-zoom explorer in the browser"),
    ],
    "render": [
        ("attndyn render", "the default picture, art1679700 with --init shared, to landscape.png"),
        (
            "attndyn render --preset art5227590 --init shared --size 1500 --save art.npz "
            "-o art.png",
            "a preset at the seed's 1500x1500, and its fields for 'attndyn color'",
        ),
        (
            "attndyn render --coloring sync-step --cmap twilight_shifted --equalize "
            f"{ZOOM_POINT} --width 0.002 -o zoom.png",
            "a boundary of the default picture, coloured by the step it synchronised at",
        ),
    ],
    "color": [
        (
            "attndyn color art.npz --coloring sync-step --cmap twilight_shifted --equalize "
            "-o sync.png",
            "re-colour the fields of 'attndyn render --save art.npz', without recomputing",
        ),
        ("attndyn color art.npz --coloring log-delta -o delta.png", "the final gap, log-scaled"),
    ],
    "export": [
        ("attndyn export poster.zarr -o poster.tif", "a store into a pyramidal BigTIFF"),
        (
            "attndyn export poster.zarr --coloring sync-step --cmap twilight_shifted --equalize "
            "-o poster.png",
            "the same store as a coloured PNG",
        ),
    ],
    "presets": [
        ("attndyn presets", "the seed's gallery"),
        ("attndyn presets --presets mine.toml", "and the presets of your own file"),
    ],
    "gallery": [
        ("attndyn gallery -o gallery", "every preset in both init versions, 1500x1500"),
        (
            "attndyn gallery -o gallery --init shared --size 512 --sheet sheet.png",
            "the shared versions, smaller, and a contact sheet of them",
        ),
    ],
    "experiment": [
        ("attndyn experiment --list", "the experiments, one line each"),
        ("attndyn experiment fig2 -o results", "results/fig2.csv and results/fig2.png"),
        (
            "attndyn experiment fig4 --quick --param taus=0.005,0.02",
            "a seconds-long version at other step sizes (see fig4 --list-params)",
        ),
    ],
    "movie": [
        (
            f"attndyn movie zoom {ZOOM_POINT} --end-width 0.002 --frames 40 --size 256 -o zoom.gif",
            "zoom into a boundary of the default picture",
        ),
        (
            "attndyn movie sweep --param wv01 --values=-3,-1 --frames 48 --size 256 -o sweep.mp4",
            "W_V[0,1] from -3 to -1 over 48 frames",
        ),
    ],
    "movie zoom": [
        (
            f"attndyn movie zoom {ZOOM_POINT} --end-width 0.002 --frames 40 --size 256 -o zoom.gif",
            "from the whole window down to a width of 0.002",
        ),
        (
            "attndyn movie zoom --preset art5227590 --init shared --center 0,0 --width 8 "
            "--end-width 0.5 --frames 60 -o zoom.mp4 -o zoom.gif",
            "from a width of 8 to 0.5 around the origin, as MP4 and GIF",
        ),
    ],
    "movie sweep": [
        (
            "attndyn movie sweep --param wv01 --values=-3,-1 --frames 48 --size 256 -o sweep.mp4",
            "W_V[0,1] from -3 to -1",
        ),
        (
            "attndyn movie sweep --param beta --values 0.5,4 --frames 30 --size 256 -o beta.gif",
            "the inverse temperature from 0.5 to 4",
        ),
        (
            "attndyn movie sweep --param residual --values 0.1,20 --spacing log --frames 40 "
            "--size 128 --init shared -o residual.gif",
            "the residual step h in equal ratios: from the attention flow to the seed's map",
        ),
    ],
    "flow": [
        (
            'attndyn flow --D "diag(1,3,4)" -n 100 --steps 500 --csv f.csv --animation f.gif',
            "the USA flow on the sphere in R^3: energy and clusters, and a movie",
        ),
        (
            "attndyn flow --flow sa -d 2 --beta 4 --method rk4 -o sa.npz",
            "softmax attention on the circle, RK4 steps, the trajectories",
        ),
    ],
    "trace": [
        (
            "attndyn trace --at=-3,-1.75 -o t.csv --plot t.png",
            "the pixel of the default picture nearest b = -3, a = -1.75: its gap per step",
        ),
        (
            "attndyn trace --preset art5227590 --init shared --pixel 100,200 --animation t.gif",
            "the points of row 100, column 200 on the circle, step by step",
        ),
    ],
    "dimension": [
        ("attndyn dimension art.npz", "the estimate, and its fit plot in dimension.png"),
        (
            "attndyn dimension art.npz --plot art-dim.png -o art-dim.csv",
            "the plot and the box counts under names of your own",
        ),
        ("attndyn dimension art.npz --field clusters -q", "the bare estimate, for scripts"),
    ],
    "explore": [
        ("attndyn explore", "the explorer on its default view; the browser opens"),
        (
            "attndyn explore --preset art5227590 --init shared --coloring sync-step "
            "--no-browser --port 8765",
            "another first view, and no browser",
        ),
    ],
    "publish": [
        (
            "attndyn publish big.zarr -o site/",
            "a store of 'render --store' as a static gallery: open site/index.html",
        ),
        (
            "attndyn publish --preset art5227590 --init shared --size 2048 -o art-site/ "
            "--title 'art5227590'",
            "render the preset into art-site.zarr first, then publish it",
        ),
        (
            "attndyn publish big.zarr -o site/ --max-zoom 2 --views my-views.toml",
            "fewer zoom levels, and the explorer's saved views pinned in the page",
        ),
    ],
}
