#!/usr/bin/env bash
# GPU check of the neural components: which onnxruntime provider really runs, that the IOBinding path
# gives the CPU's numbers, and the batched/per-run ratios of benchmarks/neural_batching.py on the GPU.
#
# The GPU machine has no internet and its image carries the CPU build of onnxruntime, so
# onnxruntime-gpu travels as a wheel. CUDA 13, cuDNN 9, cuBLAS, cuFFT and cuRAND come from the
# image's own nvidia-* packages (PyTorch cu130), found through LD_LIBRARY_PATH below.
#
# Wheels (Python 3.12 there; onnxruntime-gpu's other needs, flatbuffers, numpy, packaging and protobuf,
# are in the image):
#   onnxruntime-gpu==1.31.1  cp312 manylinux_2_28_x86_64  (about 256 MB)
#
# A call carries at most 64 MiB, so the wheel travels in parts, one part per call, on a machine kept
# warm between calls (it is given back after 30 s idle: make the calls back to back):
#   here:   bash benchmarks/gpu_check.sh prepare        # downloads the wheel into .whl/ and splits it
#   there:  bash benchmarks/gpu_check.sh stage           # once per part but the last, carry [".whl/ort.part00"]...
#   there:  bash benchmarks/gpu_check.sh run             # last call, carrying the last part
# ("prepare" prints the exact sequence of calls.) "stage" keeps the parts in /tmp/ort-wheel on the
# machine; "run" joins them, checks the sha256 recorded by "prepare", installs into /tmp/site and checks.
set -euo pipefail
cd "$(dirname "$0")/.."
WHEEL=onnxruntime_gpu-1.31.1-cp312-cp312-manylinux_2_28_x86_64.whl
STAGE=${ORT_STAGE:-/tmp/ort-wheel}

prepare() {
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || grep -qx '/.whl/' .gitignore || echo '/.whl/' >> .git/info/exclude
    mkdir -p .whl
    rm -f .whl/ort.part*
    [ -f ".whl/$WHEEL" ] || python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
        --implementation cp --platform manylinux_2_28_x86_64 -d .whl onnxruntime-gpu==1.31.1
    (cd .whl && sha256sum "$WHEEL" > ort.sha256 && split -b 56M -d "$WHEEL" ort.part)
    echo "parts:"; ls -l .whl/ort.part*
    echo "device calls, back to back:"
    parts=(.whl/ort.part*)
    for part in "${parts[@]:0:${#parts[@]}-1}"; do
        echo "  run(command='bash benchmarks/gpu_check.sh stage', carry=['$part', '.whl/ort.sha256'])"
    done
    echo "  run(command='bash benchmarks/gpu_check.sh run', carry=['${parts[-1]}', '.whl/ort.sha256'], timeout_s=420)"
}

stage() {
    mkdir -p "$STAGE"
    cp .whl/ort.sha256 "$STAGE/"
    for part in .whl/ort.part*; do cp "$part" "$STAGE/"; done
    ls -l "$STAGE"
}

install() {
    [ -d .whl ] && stage >/dev/null
    (cd "$STAGE" && cat ort.part* > "$WHEEL" && sha256sum -c ort.sha256)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
        "$STAGE/$WHEEL"
    export PYTHONPATH=/tmp/site:$PWD
    site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
    LD_LIBRARY_PATH=$(find "$site/nvidia" -type d -name lib | tr '\n' ':')${LD_LIBRARY_PATH:-}
    export LD_LIBRARY_PATH
}

check() {
    nvidia-smi -L
    python3 - <<'EOF'
import numpy as np
import onnxruntime as ort

from metamodel import io
from solvers.neural import NeuralRunner, cuda_device_count

print("onnxruntime", ort.__version__, ort.get_device(), ort.get_available_providers())
print("CUDA driver sees", cuda_device_count(), "GPU(s)")
for sample, name in (("sir_neural", "contact_net"), ("thermal_plant", "controller")):
    component = io.load(f"samples/{sample}/{sample}.salver").find(name)
    gpu = NeuralRunner(component, f"samples/{sample}", require_gpu=True)
    cpu = NeuralRunner(component, f"samples/{sample}", providers=["CPUExecutionProvider"])
    print(f"{name}: provider {gpu.provider} (session {gpu.session.get_providers()}), io_binding {gpu.io_binding}")
    rng = np.random.default_rng(0)
    for runs in (1, 1000, 10000, 1000):
        feed = {p.name: rng.normal(size=(runs, p.shape[1])) for p in component.inputs}
        a, b = gpu(feed), cpu(feed)
        worst = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
        assert worst < 1e-3 * max(1.0, float(np.max(np.abs(b[next(iter(b))])))), worst
        print(f"  {runs:>6} runs: GPU (IOBinding) vs CPU max |diff| {worst:.2e}")
EOF
    echo "== engine on the GPU =="
    timeout 240 python3 benchmarks/neural_batching.py --require-gpu --loop-cap 40
    echo "== engine on this machine's CPU, same call =="
    timeout 120 python3 benchmarks/neural_batching.py --providers CPUExecutionProvider --sample sir_neural \
        --loop-cap 40
}

case "${1:-}" in
    prepare) prepare ;;
    stage) stage ;;
    run) install; check ;;
    *) echo "usage: $0 prepare | stage | run" >&2; exit 2 ;;
esac
