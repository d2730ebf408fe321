"""Test-session set-up: without an NVIDIA GPU, the CUDA kernel runs in numba's simulator.

numba reads NUMBA_ENABLE_CUDASIM when numba.cuda is first imported, which no test module
does before this file runs. On a machine with a GPU the CUDA tests run on the device.
"""

import os

from attndyn.engines import nvidia_gpu_present

if not nvidia_gpu_present():
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
