#!/usr/bin/env bash
# Everything a session with a lent GPU has to run for the GPU engines, in one call.
#
#   bash benchmarks/gpu_session.sh [bench_gpu.py options]
#
# Uses the machine's own python3, which on the lent H100/H200 image already holds numba,
# numba-cuda, torch, numpy, scipy, pillow, matplotlib, tqdm and pytest (nothing can be
# installed there), with attndyn taken from src/. It prints, and writes under $OUT (or
# ./gpu-report): the GPU and the package versions, the GPU tests (every test under
# tests/engines, the CUDA ones now on the device instead of the simulator, and the benchmark
# script's own test), and benchmarks/bench_gpu.py --sweep with the options given. Each part
# runs even if an earlier one failed; the exit code is the first failure's.
#
# In the simulator, to check the script itself on a machine without a GPU:
#   NUMBA_ENABLE_CUDASIM=1 PYTHON=.venv/bin/python bash benchmarks/gpu_session.sh --size 8 \
#       --torch-size 8 --agreement-size 6 --big-size 12 --repeat 1 -- -k "torch_rng or bench"
# (options after "--" go to pytest).
set -uo pipefail
cd "$(dirname "$0")/.."
report=${OUT:-gpu-report}
mkdir -p "$report"
python=${PYTHON:-python3}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1

bench_args=()
pytest_args=()
while (($#)); do
    if [[ $1 == -- ]]; then
        shift
        pytest_args=("$@")
        break
    fi
    bench_args+=("$1")
    shift
done

status=0
run() {  # run NAME COMMAND...: tee its output to $report/NAME.log, keep the first failure
    local name=$1
    shift
    echo "== $name: $*"
    "$@" 2>&1 | tee "$report/$name.log"
    local code=${PIPESTATUS[0]}
    echo "== $name: exit $code"
    if ((code != 0 && status == 0)); then status=$code; fi
}

run environment bash -c "nvidia-smi --query-gpu=name,driver_version,memory.total \
    --format=csv 2>/dev/null || echo 'nvidia-smi: not found'; \
    $python -c 'import sys, numba, numpy, torch; print(sys.version.split()[0], \"numba\", \
numba.__version__, \"numpy\", numpy.__version__, \"torch\", torch.__version__, \"cuda\", \
torch.version.cuda, torch.cuda.is_available())'; \
    $python -m pip show numba-cuda 2>/dev/null | head -2"
run tests "$python" -m pytest -q -p no:cacheprovider tests/engines \
    tests/benchmarks/test_bench_gpu.py "${pytest_args[@]}"
run bench "$python" benchmarks/bench_gpu.py --sweep "${bench_args[@]}"
exit "$status"
