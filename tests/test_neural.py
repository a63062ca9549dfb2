"""Neural components: ONNX signatures, integrity checks, batched sessions, providers, samples."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

import solvers
from metamodel import io
from metamodel.elements import NeuralComponent, NeuralPort
from metamodel.errors import ModelError, SimulationError
from metamodel.model import Model
from solvers import neural
from solvers.neural import (
    NeuralRunner,
    add_neural_component,
    cached_session_count,
    feature_width,
    file_sha256,
    provider_chain,
    read_signature,
)

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
# every test here expects the CPU: the GPU's own checks are in benchmarks/gpu_check.sh
pytestmark = pytest.mark.usefixtures("no_gpu")
WEIGHTS = np.array([[1.0, -2.0, 0.5], [0.25, 1.0, 3.0]], dtype=np.float32)


def _save(path: Path, nodes: list, inputs: list, outputs: list, initializers: list | None = None) -> Path:
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializers or [])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString())
    return path


def _linear(path: Path) -> Path:
    """y = x @ WEIGHTS with x [batch, 2] float32 and y [batch, 3]."""
    return _save(path, [helper.make_node("MatMul", ["x", "W"], ["y"])],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
                 [numpy_helper.from_array(WEIGHTS, "W")])


def _component(tmp_path: Path, file: Path, name: str = "net") -> NeuralComponent:
    return add_neural_component(Model(), file, name=name, model_dir=tmp_path)


@pytest.fixture
def linear(tmp_path: Path) -> NeuralComponent:
    return _component(tmp_path, _linear(tmp_path / "linear.onnx"))


# -- signatures and adding ---------------------------------------------------------------------------


def test_read_signature_reports_names_dynamic_axes_and_types(tmp_path: Path) -> None:
    file = _save(tmp_path / "two.onnx", [helper.make_node("Identity", ["a"], ["b"]),
                                         helper.make_node("Cast", ["c"], ["d"], to=TensorProto.FLOAT)],
                 [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", 4]),
                  helper.make_tensor_value_info("c", TensorProto.DOUBLE, [None])],
                 [helper.make_tensor_value_info("b", TensorProto.FLOAT, ["n", 4]),
                  helper.make_tensor_value_info("d", TensorProto.FLOAT, [None])])
    inputs, outputs = read_signature(file)
    assert [(p.name, p.shape, p.dtype) for p in inputs] == [("a", [None, 4], "float32"), ("c", [None], "float64")]
    assert [(p.name, p.shape, p.dtype) for p in outputs] == [("b", [None, 4], "float32"), ("d", [None], "float32")]


def test_add_neural_component_stores_relative_path_hash_and_ports(tmp_path: Path) -> None:
    (tmp_path / "nets").mkdir()
    file = _linear(tmp_path / "nets" / "linear.onnx")
    model = Model()
    component = add_neural_component(model, file, model_dir=tmp_path)
    assert component.path == "nets/linear.onnx"
    assert component.sha256 == file_sha256(file) == hashlib.sha256(file.read_bytes()).hexdigest()
    assert component.name == "linear" and model.find("linear") is component
    assert [p.name for p in component.inputs] == ["x"] and component.outputs[0].shape == [None, 3]
    second = add_neural_component(model, file, model_dir=tmp_path)
    assert second.name == "linear 2" and second.id != component.id
    with pytest.raises(ModelError, match="neural component 'linear': the name is already used"):
        add_neural_component(model, file, name="linear", model_dir=tmp_path)


def test_add_uses_the_saved_model_folder_and_survives_a_save_load(tmp_path: Path) -> None:
    file = _linear(tmp_path / "linear.onnx")
    model = Model(source_path=str(tmp_path / "m.salver"))
    add_neural_component(model, file, name="net")
    io.save(model, tmp_path / "m.salver")
    loaded = io.load(tmp_path / "m.salver").find("net")
    assert isinstance(loaded, NeuralComponent) and loaded.path == "linear.onnx"
    runner = NeuralRunner(loaded, tmp_path)
    out = runner({"x": np.array([[1.0, 2.0]])})
    np.testing.assert_allclose(out["y"], np.array([[1.0, 2.0]]) @ WEIGHTS.astype(np.float64), rtol=1e-6)


def test_feature_width_accepts_batch_vectors_and_rejects_other_ranks() -> None:
    assert feature_width(NeuralPort("a", [None, 5])) == 5
    assert feature_width(NeuralPort("a", [None])) == 1
    with pytest.raises(ModelError, match="neural component 'c', port 'img'.*rank 4"):
        feature_width(NeuralPort("img", [None, 3, 8, 8]), "c")
    with pytest.raises(ModelError, match="port 'v'.*fixed size"):
        feature_width(NeuralPort("v", [None, None]))


# -- bad files -----------------------------------------------------------------------------------------


def test_changed_file_is_reported_not_used(tmp_path: Path, linear: NeuralComponent) -> None:
    file = tmp_path / "linear.onnx"
    _save(file, [helper.make_node("MatMul", ["x", "W"], ["y"])],
          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2])],
          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
          [numpy_helper.from_array(WEIGHTS * 2, "W")])
    with pytest.raises(ModelError, match="neural component 'net'.*has changed since it was added"):
        NeuralRunner(linear, tmp_path)


def test_missing_file_and_missing_path(tmp_path: Path, linear: NeuralComponent) -> None:
    (tmp_path / "linear.onnx").unlink()
    with pytest.raises(ModelError, match="neural component 'net'.*linear.onnx.*not found"):
        NeuralRunner(linear, tmp_path)
    with pytest.raises(ModelError, match="neural component 'empty': no ONNX file path"):
        NeuralRunner(NeuralComponent("e", "empty"), tmp_path)
    with pytest.raises(ModelError, match="nothing.onnx.*not found"):
        read_signature(tmp_path / "nothing.onnx")


def test_garbage_bytes_do_not_load(tmp_path: Path) -> None:
    file = tmp_path / "garbage.onnx"
    file.write_bytes(b"\x00\xffnot a protobuf at all" * 10)
    with pytest.raises(ModelError, match="garbage.onnx.*onnxruntime cannot load it"):
        read_signature(file)
    component = NeuralComponent("g", "garbage", path="garbage.onnx", sha256=file_sha256(file),
                                inputs=[NeuralPort("x", [None, 1])], outputs=[NeuralPort("y", [None, 1])])
    with pytest.raises(ModelError, match="neural component 'garbage': onnxruntime cannot load it"):
        NeuralRunner(component, tmp_path)


def test_unsupported_operator_is_named(tmp_path: Path) -> None:
    file = _save(tmp_path / "bogus.onnx", [helper.make_node("FluxCapacitor", ["x"], ["y"])],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1])])
    with pytest.raises(ModelError, match="bogus.onnx.*cannot load it.*FluxCapacitor"):
        read_signature(file)


# -- shapes ----------------------------------------------------------------------------------------------


def test_wrong_input_rank_or_width_names_the_port(tmp_path: Path, linear: NeuralComponent) -> None:
    runner = NeuralRunner(linear, tmp_path)
    with pytest.raises(ModelError, match=r"neural component 'net', input port 'x'.*\(runs, 2\).*\(4,\)"):
        runner({"x": np.zeros(4)})
    with pytest.raises(ModelError, match=r"input port 'x'.*\(runs, 2\).*\(4, 3\)"):
        runner({"x": np.zeros((4, 3))})
    with pytest.raises(ModelError, match="no values for input port 'x'"):
        runner({"z": np.zeros((4, 2))})


def test_model_with_unsupported_input_rank_fails_at_start(tmp_path: Path) -> None:
    file = _save(tmp_path / "rank3.onnx", [helper.make_node("Identity", ["img"], ["out"])],
                 [helper.make_tensor_value_info("img", TensorProto.FLOAT, ["batch", 2, 2])],
                 [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["batch", 2, 2])])
    component = _component(tmp_path, file, "imager")
    assert component.inputs[0].shape == [None, 2, 2]
    with pytest.raises(ModelError, match="neural component 'imager', port 'img'.*rank 3"):
        NeuralRunner(component, tmp_path)


def test_fixed_batch_axis_is_rejected(tmp_path: Path) -> None:
    file = _save(tmp_path / "fixed.onnx", [helper.make_node("Identity", ["x"], ["y"])],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                 [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])])
    with pytest.raises(ModelError, match="input port 'x'.*fixed size 1.*dynamic first axis"):
        NeuralRunner(_component(tmp_path, file), tmp_path)


def test_model_ports_that_disagree_with_the_file(tmp_path: Path, linear: NeuralComponent) -> None:
    linear.inputs[0].shape = [None, 5]
    with pytest.raises(ModelError, match=r"input port 'x': shape \[None, 5\] in the model, \[None, 2\]"):
        NeuralRunner(linear, tmp_path)
    linear.inputs[0] = NeuralPort("u", [None, 2])
    with pytest.raises(ModelError, match=r"input port\(s\) \['u'\] are not in the ONNX file"):
        NeuralRunner(linear, tmp_path)


# -- running -------------------------------------------------------------------------------------------


def test_nan_output_names_component_port_and_time(tmp_path: Path) -> None:
    # x / x divides zero by zero in the runs where x is 0
    file = _save(tmp_path / "div.onnx", [helper.make_node("Div", ["x", "x"], ["ratio"])],
                 [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 1])],
                 [helper.make_tensor_value_info("ratio", TensorProto.FLOAT, ["batch", 1])])
    runner = NeuralRunner(_component(tmp_path, file, "divider"), tmp_path)
    np.testing.assert_array_equal(runner({"x": np.array([[2.0], [-3.0]])})["ratio"], [[1.0], [1.0]])
    message = "neural component 'divider', output port 'ratio' is NaN or infinite in 2 of 3 runs"
    with pytest.raises(SimulationError, match=message) as caught:
        runner({"x": np.array([[0.0], [1.0], [0.0]])}, time=2.5)
    assert caught.value.time == 2.5 and caught.value.variable == "divider.ratio"


def test_one_session_run_per_call_for_all_runs(tmp_path: Path, linear: NeuralComponent, monkeypatch) -> None:
    runner = NeuralRunner(linear, tmp_path)
    calls: list[tuple[int, ...]] = []
    real_run = runner.session.run

    def counting(names, feed, *args):
        calls.append(feed["x"].shape)
        return real_run(names, feed, *args)

    monkeypatch.setattr(runner.session, "run", counting)
    x = np.random.default_rng(0).normal(size=(1000, 2))
    out = runner({"x": x})
    assert calls == [(1000, 2)]
    assert out["y"].dtype == np.float64 and out["y"].shape == (1000, 3)
    np.testing.assert_allclose(out["y"], x @ WEIGHTS.astype(np.float64), rtol=1e-5, atol=1e-5)


def test_io_binding_path_matches_plain_run_and_rebinds_on_new_run_count(tmp_path: Path,
                                                                      linear: NeuralComponent) -> None:
    plain = NeuralRunner(linear, tmp_path, io_binding=False)
    bound = NeuralRunner(linear, tmp_path, io_binding=True)
    assert bound.provider == "CPUExecutionProvider" and bound.io_binding
    rng = np.random.default_rng(1)
    for runs in (7, 7, 300):
        x = rng.normal(size=(runs, 2))
        np.testing.assert_array_equal(bound({"x": x})["y"], plain({"x": x})["y"])


def test_sessions_are_cached_per_hash_and_providers(tmp_path: Path, linear: NeuralComponent) -> None:
    first = NeuralRunner(linear, tmp_path)
    count = cached_session_count()
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    (copy_dir / "linear.onnx").write_bytes((tmp_path / "linear.onnx").read_bytes())
    second = NeuralRunner(_component(copy_dir, copy_dir / "linear.onnx", "other"), copy_dir)
    assert second.session is first.session and cached_session_count() == count
    third = NeuralRunner(linear, tmp_path, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert cached_session_count() == count + 1  # another provider chain: another session
    assert third.session is NeuralRunner(linear, tmp_path, providers=["CUDAExecutionProvider"]).session


def test_gpu_build_without_gpu_falls_back_to_cpu(tmp_path: Path, linear: NeuralComponent) -> None:
    # no GPU: the CUDA provider is asked for and onnxruntime silently runs on the CPU
    assert neural.cuda_device_count() == 0
    runner = NeuralRunner(linear, tmp_path, providers=["CUDAExecutionProvider", "CPUExecutionProvider"])
    assert runner.provider == "CPUExecutionProvider"
    assert runner.session.get_providers() == ["CPUExecutionProvider"]
    assert NeuralRunner(linear, tmp_path).provider == "CPUExecutionProvider"
    assert provider_chain() == ("CPUExecutionProvider",)


def test_provider_chain_keeps_requested_order_and_rejects_unknown_names() -> None:
    chain = provider_chain(["CUDAExecutionProvider", "TensorrtExecutionProvider"])
    assert chain == ("CUDAExecutionProvider", "TensorrtExecutionProvider", "CPUExecutionProvider")
    assert provider_chain(["CPUExecutionProvider"]) == ("CPUExecutionProvider",)
    with pytest.raises(ModelError, match="unknown onnxruntime provider.*'CUDAProvider'"):
        provider_chain(["CUDAProvider"])


def test_default_chain_takes_the_gpu_providers_only_when_the_driver_sees_a_gpu(monkeypatch) -> None:
    assert provider_chain() == ("CPUExecutionProvider",)
    monkeypatch.setattr(neural, "cuda_device_count", lambda: 1)
    assert provider_chain() == ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")


def test_require_gpu_fails_clearly_without_a_gpu(tmp_path: Path, linear: NeuralComponent) -> None:
    with pytest.raises(ModelError, match="'net': a GPU provider was required, but onnxruntime runs it on "
                                         "CPUExecutionProvider.*sees 0 GPU"):
        NeuralRunner(linear, tmp_path, require_gpu=True)


# -- samples -------------------------------------------------------------------------------------------


def _sample_script(name: str):
    spec = importlib.util.spec_from_file_location(f"make_{name}", SAMPLES / name / "make_onnx.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("sample", "component"), [("sir_neural", "contact_net"),
                                                   ("thermal_plant", "controller")])
def test_sample_networks_load_and_reproduce_what_they_were_fitted_to(sample: str, component: str) -> None:
    model_file = next((SAMPLES / sample).glob("*.salver"))
    element = io.load(model_file).find(component)
    assert isinstance(element, NeuralComponent)
    assert all(port.equation for port in element.inputs)
    runner = NeuralRunner(element, model_file.parent)
    script = _sample_script(sample)
    x, y = script.training_data(samples=200, seed=99)
    widths = [feature_width(p) for p in element.inputs]
    columns = np.split(x, np.cumsum(widths)[:-1], axis=1)
    out = runner({p.name: c for p, c in zip(element.inputs, columns, strict=True)})
    predicted = out[element.outputs[0].name]
    assert predicted.shape == (200, 1)
    error = np.sqrt(np.mean((predicted - y) ** 2))
    assert error < 0.05 * float(np.ptp(y)), error


def _signature(path: Path) -> dict:
    """What makes two ONNX files the same network: tensors (names, shapes, types), ops, weight shapes."""
    graph = onnx.load(path).graph

    def tensors(values) -> list:  # noqa: ANN001
        return [(v.name, v.type.tensor_type.elem_type,
                 [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]) for v in values]

    return {"inputs": tensors(graph.input), "outputs": tensors(graph.output),
            "ops": [(n.op_type, list(n.input), list(n.output)) for n in graph.node],
            "weights": [(t.name, t.data_type, list(t.dims)) for t in graph.initializer]}


def test_sample_script_rebuilds_the_same_network_and_model(tmp_path: Path, monkeypatch) -> None:
    # the weights of a network trained for 4,000 steps move in the last digits with the BLAS numpy uses,
    # so the rebuilt file is compared by graph and by predictions, not by its bytes
    script = _sample_script("thermal_plant")
    monkeypatch.setattr(script, "ONNX_FILE", tmp_path / "controller.onnx")
    monkeypatch.setattr(script, "MODEL_FILE", tmp_path / "thermal_plant.salver")
    monkeypatch.setattr(script, "HERE", tmp_path)
    script.main()
    shipped_file, rebuilt_file = SAMPLES / "thermal_plant" / "controller.onnx", tmp_path / "controller.onnx"
    onnx.checker.check_model(onnx.load(rebuilt_file))
    assert _signature(rebuilt_file) == _signature(shipped_file)
    x, y = script.training_data(samples=200, seed=99)
    feed = {"state": x.astype(np.float32)}
    shipped, rebuilt = (ort.InferenceSession(str(f), providers=["CPUExecutionProvider"]).run(None, feed)[0]
                        for f in (shipped_file, rebuilt_file))
    # another seed moves predictions by about 0.04 kW, BLAS rounding by far less than this tolerance
    np.testing.assert_allclose(rebuilt, shipped, rtol=0, atol=1e-3 * float(np.ptp(y)))
    model = io.load(tmp_path / "thermal_plant.salver")
    component = model.find("controller")
    assert isinstance(component, NeuralComponent) and component.path == "controller.onnx"
    assert component.sha256 == file_sha256(rebuilt_file)
    NeuralRunner(component, tmp_path)  # the integrity check accepts the rebuilt file under its own hash
    shipped_model = io.load(SAMPLES / "thermal_plant" / "thermal_plant.salver")
    shipped_component = shipped_model.find("controller")
    assert isinstance(shipped_component, NeuralComponent)
    shipped_component.sha256 = component.sha256
    assert model.equal_content(shipped_model)


# -- through the engine -----------------------------------------------------------------------------------


def _sample_model(sample: str):
    return solvers.load(SAMPLES / sample / f"{sample}.salver")


def test_engine_calls_the_network_once_per_evaluation_whatever_the_runs(monkeypatch) -> None:
    compiled = _sample_model("sir_neural")
    component = compiled.model.find("contact_net")
    session = NeuralRunner(component, SAMPLES / "sir_neural").session
    batches: list[int] = []
    real_run = session.run

    def counting(names, feed, *args):
        batches.append(len(feed["mobility"]))
        return real_run(names, feed, *args)

    monkeypatch.setattr(session, "run", counting)
    single = compiled.run(stop=10)
    calls_single = len(batches)
    batches.clear()
    mobility = np.linspace(0.2, 1.0, 250)
    mobility[100] = compiled.parameters["mobility"]
    sweep = compiled.run(params={"mobility": mobility}, stop=10)
    assert len(batches) == calls_single > 10 and set(batches) == {250}
    assert single.metadata["providers"] == {"contact_net": "CPUExecutionProvider"}
    np.testing.assert_allclose(sweep["Infected"][:, 100], single["Infected"][:, 0], rtol=1e-12)


def test_sir_sample_runs_and_more_mobility_means_a_bigger_epidemic() -> None:
    results = _sample_model("sir_neural").run(params={"mobility": np.array([0.3, 0.6, 0.9])})
    total = results["Susceptible"] + results["Infected"] + results["Recovered"]
    np.testing.assert_allclose(total, 10000.0, rtol=1e-9)
    final = results["Recovered"][-1]
    assert final[0] < final[1] < final[2] and final[2] > 5000.0


@pytest.mark.parametrize("method", ["euler", "rk4", "rk45"])
def test_thermal_sample_settles_at_each_setpoint(method: str) -> None:
    setpoints = np.array([18.0, 21.0, 24.0])
    results = _sample_model("thermal_plant").run(params={"setpoint": setpoints}, method=method)
    np.testing.assert_allclose(results["Temperature"][-1], setpoints, atol=0.05)
    heating = results["Heating"] * 2.0  # kW: heating is power / heat capacity (2 kWh/K)
    assert heating.min() >= -0.01 and heating.max() <= 6.01
    assert results.metadata["providers"] == {"controller": "CPUExecutionProvider"}


def test_engine_require_gpu_fails_clearly_here() -> None:
    with pytest.raises(ModelError, match="'controller': a GPU provider was required"):
        _sample_model("thermal_plant").run(require_gpu=True)


def test_describe_providers_names_each_component_and_what_stops_it(tmp_path: Path) -> None:
    file = _linear(tmp_path / "linear.onnx")
    model = Model(source_path=str(tmp_path / "m.salver"))
    add_neural_component(model, file, name="good")
    broken = add_neural_component(model, file, name="broken")
    broken.sha256 = "0" * 64
    described = {d["name"]: d for d in neural.describe_providers(model)}
    assert described["good"] == {"name": "good", "path": "linear.onnx", "provider": "CPUExecutionProvider",
                                 "error": None}
    assert described["broken"]["provider"] == "unavailable"
    assert "neural component 'broken'" in described["broken"]["error"] and "changed" in described["broken"]["error"]
