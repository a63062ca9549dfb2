"""Fixtures shared by every test folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This machine as a GPU build of onnxruntime on a machine without a GPU, whatever it really has.

    The CUDA driver sees no device, the build offers TensorRT, CUDA and CPU, and a session asked for a
    GPU provider runs on the ones left, as onnxruntime does when the CUDA provider cannot start. Tests
    that need a real GPU are not unit tests: they live in ``benchmarks/gpu_check.sh``.
    """
    import onnxruntime as ort

    from solvers import neural

    real_session = ort.InferenceSession

    def session_without_gpu(data, options=None, providers=None, provider_options=None,  # noqa: ANN001
                            **kwargs):  # noqa: ANN003, ANN202
        given = list(zip(providers or [], provider_options or [{}] * len(providers or []), strict=True))
        kept = [(p, o) for p, o in given if p not in neural.GPU_PROVIDERS] or [(neural.CPU_PROVIDER, {})]
        return real_session(data, options, providers=[p for p, _ in kept], provider_options=[o for _, o in kept],
                            **kwargs)

    monkeypatch.setattr(neural, "cuda_device_count", lambda: 0)
    monkeypatch.setattr(ort, "get_available_providers",
                        lambda: ["TensorrtExecutionProvider", "CUDAExecutionProvider", neural.CPU_PROVIDER])
    monkeypatch.setattr(ort, "InferenceSession", session_without_gpu)
    neural.clear_session_cache()  # sessions made on the real machine must not answer here, nor ours there
    yield
    neural.clear_session_cache()
