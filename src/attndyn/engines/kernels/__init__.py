"""The numba kernels of the CPU and CUDA engines, one idea per module.

    layout    how the buffers are laid out (BLOCK pixels side by side, CHUNK, PAD)
    targets   one source compiled for the CPU and for CUDA (the flags of each)
    exp       float32 and float64 exp that vectorise
    sincos    float64 sin and cos that vectorise
    philox    the Philox4x32-10 rounds (shared with the GPU)
    points    the initial points from Philox words, per pixel and BLOCK pixels side by side
    tracker   the sync tracker and the gap (shared with the GPU)
    clusters  the cluster link and count (shared with the GPU)
    groups    one pixel on its groups of equal points: steps, merge, exact exits
    blocks    steps of BLOCK pixels side by side, on all points: the first ones, then those
              of the pixels whose points are all distinct; the groups read off them
    group_blocks  the group path's steps of BLOCK pixels with 3 or more groups side by side
    lanes     pixels with two groups, one per SIMD lane
    tile      a tile: blocks, then group blocks, groups and lanes (float32, and float64
              without fused multiply-adds)
    work_queue  a tile's lanes of work on threads, taking its chunks as they ask (an atomic counter)
    fused_cuda  the CUDA kernel: one thread per pixel (imports numba.cuda)
    residual  the residual map X <- normalize(X + h A V): every step, 32 pixels side by side
    caching   the disk cache, stamped with all of these modules, and its warm loads
    inlining  numba's inliner, copying a callee's variables once per inlined call
    typing_shortcuts  numba's type inference without three kinds of wasted work
    linking   kernels only other kernels call: optimised for their callers, no code of their own

The engines around them are :mod:`attndyn.engines.numba_cpu` and
:mod:`attndyn.engines.numba_cuda`; what they are given is made by :mod:`attndyn.engines.inputs`.
Importing this package imports numba (not numba.cuda).
"""

from attndyn.engines.kernels import caching

caching.install()
