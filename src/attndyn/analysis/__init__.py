"""Analysis of landscapes: one pixel's dynamics, and the dimension of the boundary.

Above pictures and the particle library (whose plotting style it shares).
:mod:`~attndyn.analysis.trace` follows one pixel's points step by step and
:mod:`~attndyn.analysis.trace_plots` draws them; :mod:`~attndyn.analysis.dimension` estimates
the box-counting dimension of the boundary between labels and
:mod:`~attndyn.analysis.dimension_plots` draws its fit.
"""
