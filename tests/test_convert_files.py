"""rnncalc convert of the files people save: PyTorch state_dicts (.pt, .pth) and Keras 3 models (.keras,
.weights.h5), each converted exactly or refused in one line; names from files written as data.

Where the expected numbers come from: the frameworks' own forward passes in float64, stored with the files
they saved — PyTorch 2.13 (tests/reference/make_torch_file_reference.py, torch_file_reference.json) and
Keras 3 on TensorFlow 2.21 (tests/reference/make_keras_file_reference.py, keras_file_reference.json). The
suite needs neither framework to read them back: h5py reads the Keras files, torch.load the .pt files.
"""

import json
import os
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

REFERENCE = Path(__file__).parent / "reference"
TORCH_CASES = json.loads((REFERENCE / "torch_file_reference.json").read_text())
KERAS_CASES = json.loads((REFERENCE / "keras_file_reference.json").read_text())
VISIBLE = {"rnn": "s", "lstm": "h", "gru": "h"}


def close(actual, expected):
    np.testing.assert_allclose(np.array(actual), np.array(expected), rtol=0, atol=1e-12)


def refused(rnncalc, *args):
    """The one stderr line of a refusal, exit status 2."""
    status, out, err = rnncalc(*args)
    assert (status, out, err.count("\n")) == (2, "", 1), err
    return err.removeprefix("rnncalc: ").rstrip("\n")


@pytest.fixture
def convert_and_trace(rnncalc, tmp_path):
    """Convert a file, run the YAML over x: the model's output as rnncalc computes it (y, else the top output),
    and convert's stderr. A single layer's output is its visible state at every step."""
    def call(file, cell, x, *flags):
        status, text, err = rnncalc("convert", file, *flags)
        assert status == 0, err
        assert all(line.startswith("rnncalc: note: ") for line in err.splitlines()), err
        path = tmp_path / "model.yaml"
        path.write_text(text)
        status, out, run_err = rnncalc(cell, path, "-x", json.dumps(x), "-f", "json")
        assert status == 0, run_err
        doc = json.loads(out)
        if "layers" not in doc:
            return [step[VISIBLE[cell]] for step in doc["steps"]], err
        return doc.get("y", doc.get("output")), err
    return call


def check_case(case, convert_and_trace, rnncalc):
    if "refused" in case:
        assert case["refused"] in refused(rnncalc, "convert", REFERENCE / case["file"], *case["flags"])
        return
    actual, _ = convert_and_trace(REFERENCE / case["file"], case["cell"], case["x"], *case["flags"])
    expected = np.array(case["output"])
    if expected.ndim == 1:  # the model returns one vector: the output layer on the final state, y_T
        actual = actual[-1]
    close(actual, expected)


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c["name"] for c in TORCH_CASES])
def test_pytorch_file_matches_torch(case, convert_and_trace, rnncalc, torch):
    check_case(case, convert_and_trace, rnncalc)


PROJECTED = [c for c in TORCH_CASES if c["name"].startswith("lstm_proj")]


@pytest.mark.parametrize("case", PROJECTED, ids=[c["name"] for c in PROJECTED])
def test_a_projected_lstm_saved_as_npz_converts_as_its_pt_file(case, convert_and_trace, tmp_path, torch):
    # The state_dict of an nn.LSTM with proj_size > 0 (weight_hr_l{N} and _reverse), saved by the recipe convert gives.
    state = torch.load(REFERENCE / case["file"], weights_only=True)
    np.savez(tmp_path / "m.npz", **{k: v.numpy() for k, v in state.items()})
    actual, _ = convert_and_trace(tmp_path / "m.npz", case["cell"], case["x"], *case["flags"])
    close(actual, case["output"])


# The first gate block in the framework's order: torch's i, f, g, o / r, z, n; Keras's i, f, c, o / z, r, h.
FIRST_GATE = {("torch", "lstm"): ("W_ih", "b_i"), ("torch", "gru"): ("W_rh", "b_r"),
              ("keras", "lstm"): ("W_ih", "b_i"), ("keras", "gru"): ("W_zh", "b_z"), ("keras", "rnn"): ("W_ss", "b_s")}
GRADIENT_CASES = [c for c in TORCH_CASES + KERAS_CASES if "grad" in c]


@pytest.mark.parametrize("case", GRADIENT_CASES, ids=[c["name"] for c in GRADIENT_CASES])
def test_gradients_match_the_framework(case, rnncalc, tmp_path, request):
    if case["file"].endswith((".pt", ".pth")):
        request.getfixturevalue("torch")  # torch.load reads the file: skipped without it, unless CI requires it
    # --loss dot: L = Σ_t ⟨target_t, y_t⟩ (or ⟨target, y_T⟩ for a model returning one vector), as the scripts took.
    status, text, _ = rnncalc("convert", REFERENCE / case["file"], *case["flags"])
    (tmp_path / "m.yaml").write_text(text)
    status, out, err = rnncalc(case["cell"], tmp_path / "m.yaml", "-x", json.dumps(case["x"]), "--grad", "--loss",
                               "dot", "--target", json.dumps(case["target"]), "-f", "json")
    assert status == 0, err
    grad, expected = json.loads(out)["grad"], case["grad"]
    W, b = FIRST_GATE["torch" if case["file"].startswith("torch") else "keras", case["cell"]]
    close(grad["W_y"], expected["W_y"])
    close(grad["b_y"], expected["b_y"])
    close(grad["layers"][0][W], expected["first_gate_W_h"])  # layer 1, forward
    close(grad["layers"][0][b], expected["first_gate_b_x"])
    if "projections" in expected:  # weight_hr_l{N}(_reverse) of an LSTM with proj_size > 0, as W_hm
        assert len(grad["layers"]) == len(expected["projections"])
        for layer, projection in zip(grad["layers"], expected["projections"]):
            close(layer["W_hm"], projection)


@pytest.mark.parametrize("case", KERAS_CASES, ids=[c["name"] for c in KERAS_CASES])
def test_keras_file_matches_keras(case, convert_and_trace, rnncalc):
    check_case(case, convert_and_trace, rnncalc)


def test_what_a_state_dict_cannot_say_is_said_or_refused(rnncalc, convert_and_trace, torch):
    case = next(c for c in TORCH_CASES if c["name"] == "lstm_linear")
    _, err = convert_and_trace(REFERENCE / case["file"], "lstm", case["x"])
    assert "rnncalc: note: the file does not record what the nn.Linear reads: assumed the top output at every " \
           "step" in err
    bidirectional = REFERENCE / "torch_gru_bidirectional_linear.pt"
    assert refused(rnncalc, "convert", bidirectional) == (
        f"{bidirectional}: the file does not record whether the nn.Linear reads the output at every step "
        "(return_sequences=True, fc(output)) or the final states (fc(h_n)): convert with --head steps for the "
        "first, --head final for the second")


def test_a_keras_config_is_not_contradicted(rnncalc):
    rnn = REFERENCE / "keras_simple_rnn_relu.keras"
    assert refused(rnncalc, "convert", rnn, "--activation", "tanh") == \
        "--activation tanh: the model's config says activation='relu'; drop --activation"
    assert refused(rnncalc, "convert", rnn, "--from", "pytorch") == \
        f"--from pytorch: {rnn} is a Keras model: convert it with --from keras, or without --from"
    classifier = REFERENCE / "keras_functional_classifier.keras"
    assert refused(rnncalc, "convert", classifier, "--output", "softmax") == \
        "--output softmax: the model's config says activation='sigmoid'; drop --output"
    assert refused(rnncalc, "convert", classifier, "--head", "steps") == \
        "--head steps: the model's config says its output layer reads the final states; drop --head"


def keras_weights_by_path(keras_file, paths):
    """The arrays of a stored .keras file, as np.savez(path, **{w.path: w.numpy() for w in model.weights})
    writes them: paths[k] names the k-th group of cell/vars (or vars) in the order Keras lists the weights."""
    import io
    import zipfile

    with zipfile.ZipFile(keras_file) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
        arrays = {}
        for group, path in paths:
            for k, role in enumerate(("kernel", "recurrent_kernel", "bias") if "cell" in group else ("kernel", "bias")):
                arrays[f"{path}/{role}"] = f[f"{group}/vars/{k}"][()]
    return arrays


def test_keras_weights_by_path_are_structure_not_names(convert_and_trace, tmp_path, rnncalc):
    # Two plain LSTMs named backward_enc and forward_dec are two layers, not a Bidirectional one.
    case = next(c for c in KERAS_CASES if c["name"] == "names_are_not_structure")
    arrays = keras_weights_by_path(REFERENCE / case["file"], [
        ("layers/lstm/cell", "sequential/backward_enc/lstm_cell"),
        ("layers/lstm_1/cell", "sequential/forward_dec/lstm_cell")])
    np.savez(tmp_path / "two.npz", **arrays)
    actual, _ = convert_and_trace(tmp_path / "two.npz", "lstm", case["x"])
    close(actual, case["output"])
    # A Bidirectional layer whose backward layer is named bw is one layer of two directions.
    case = next(c for c in KERAS_CASES if c["name"] == "bidirectional_named_backward")
    arrays = keras_weights_by_path(REFERENCE / case["file"], [
        ("layers/bidirectional/forward_layer/cell", "sequential/bidirectional/forward_lstm/lstm_cell"),
        ("layers/bidirectional/backward_layer/cell", "sequential/bidirectional/bw/lstm_cell"),
        ("layers/dense", "sequential/dense")])
    np.savez(tmp_path / "bw.npz", **arrays)
    actual, _ = convert_and_trace(tmp_path / "bw.npz", "lstm", case["x"], "--head", "steps", "--output", "softmax")
    close(actual, case["output"])


def test_keras_arrays_of_one_direction(rnncalc, tmp_path):
    np.savez(tmp_path / "b.npz", backward_kernel=np.zeros((2, 4)), backward_recurrent_kernel=np.zeros((1, 4)))
    assert refused(rnncalc, "convert", tmp_path / "b.npz") == (
        f"{tmp_path / 'b.npz'}: holds a backward direction only (backward_kernel, backward_recurrent_kernel); save "
        "both directions of the Bidirectional layer, or a one-direction layer's arrays as kernel, recurrent_kernel, "
        "bias")


def test_integers_float64_cannot_hold_are_refused(rnncalc, tmp_path):
    w = np.zeros((4, 1), np.int64)
    w[2, 0] = 2**53 + 1
    np.savez(tmp_path / "m.npz", weight_ih_l0=np.zeros((4, 1)), weight_hh_l0=w)
    assert refused(rnncalc, "convert", tmp_path / "m.npz") == (
        f"{tmp_path / 'm.npz'}: weight_hh_l0: holds integers beyond 2**53, which float64 cannot hold exactly; "
        "save them as float64")


def test_the_framework_is_told_by_the_names(rnncalc, tmp_path):
    np.savez(tmp_path / "t.npz", weight_ih_l0=np.ones((1, 2)), weight_hh_l0=np.ones((1, 1)))
    np.savez(tmp_path / "k.npz", kernel=np.ones((2, 1)), recurrent_kernel=np.ones((1, 1)))
    for name, origin in (("t.npz", "PyTorch nn.RNN"), ("k.npz", "Keras SimpleRNN")):
        status, text, _ = rnncalc("convert", tmp_path / name)
        assert status == 0 and f"({origin}" in text
    np.savez(tmp_path / "x.npz", W=np.ones((1, 1)))
    assert refused(rnncalc, "convert", tmp_path / "x.npz") == (
        f"{tmp_path / 'x.npz'}: its arrays (W) are named as neither PyTorch's state_dict (weight_ih_l0, ...) nor "
        "Keras's weights (kernel, recurrent_kernel, bias) name them: give --from pytorch, keras or tensorflow to be "
        "told what is expected")


NASTY = ["a\nround: sign", "x # y: z", "[bold red]m[/]", "e\x1b[31m\x07", "q'\"\\u0041", "\u2028line"]


@pytest.mark.parametrize("name", NASTY, ids=range(len(NASTY)))
def test_names_are_data(rnncalc, tmp_path, name):
    # Both the file's name and an array's module name hold the text; the YAML reads back as the same layer.
    rng = np.random.default_rng(0)
    arrays = {f"{name}.weight_ih_l0": rng.normal(size=(4, 2)), f"{name}.weight_hh_l0": rng.normal(size=(4, 1)),
              f"{name}.bias_ih_l0": rng.normal(size=4), f"{name}.bias_hh_l0": rng.normal(size=4)}
    file = tmp_path / f"{name.replace('/', '_')}.npz"
    np.savez(file, **arrays)
    status, text, err = rnncalc("convert", file, "--from", "pytorch")
    assert status == 0, err
    out = tmp_path / "model.yaml"
    out.write_text(text)
    assert all(line.startswith("#") or line == "" or line.split(":")[0] in ("cell", "W_fh", "W_fx", "b_f", "W_ih",
               "W_ix", "b_i", "W_oh", "W_ox", "b_o", "W_ch", "W_cx", "b_c") for line in text.split("\n"))
    np.savez(tmp_path / "plain.npz", **{k.replace(name, "rnn"): v for k, v in arrays.items()})
    plain = tmp_path / "plain.yaml"
    plain.write_text(rnncalc("convert", tmp_path / "plain.npz")[1])
    traces = []
    for path in (out, plain):
        status, out_json, err = rnncalc("lstm", path, "-x", "[[1, 0], [0, 1]]", "-f", "json")
        assert status == 0, err
        traces.append(json.loads(out_json))
    assert traces[0] == traces[1]  # no key injected: the same rounding, the same numbers


def test_devices_and_huge_files_are_refused_before_reading(rnncalc, tmp_path):
    if os.path.exists("/dev/zero"):
        assert refused(rnncalc, "convert", "/dev/zero") == \
            "/dev/zero: is not a regular file (a device or a pipe); give an .npz, .pt, .keras or .weights.h5 file"
    big = tmp_path / "big.pt"
    with open(big, "wb") as f:
        f.truncate(2**28 + 1)  # sparse: no disk spent
    assert refused(rnncalc, "convert", big) == f"{big}: is 268,435,457 bytes, past the 268,435,456 rnncalc reads " \
                                               "for a state_dict"


def test_without_the_optional_readers_a_recipe(rnncalc, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    monkeypatch.setitem(sys.modules, "h5py", None)
    pt = REFERENCE / "torch_lstm_linear.pt"
    assert refused(rnncalc, "convert", pt) == (
        f"{pt}: reading a .pt file needs PyTorch (pip install torch); or, where torch is, save the state_dict sd "
        "as an .npz: numpy.savez(path, **{k: v.numpy() for k, v in sd.items()})")
    keras = REFERENCE / "keras_simple_rnn_relu.keras"
    assert refused(rnncalc, "convert", keras) == (
        f"{keras}: reading a Keras file needs h5py: pip install 'rnncalc[keras]'; or, where Keras is, save the "
        "model's weights as an .npz: numpy.savez(path, **{w.path: w.numpy() for w in model.weights})")


def test_a_pasted_parameter_reads_as_its_array(rnncalc_json):
    # What print(model.weight_ih_l0[1:2]) shows for an nn.LSTM(1, 1): the forget gate's weight on x.
    pasted = "Parameter containing:\ntensor([[-0.3852]], requires_grad=True)"
    doc = rnncalc_json("lstm", "--hidden", "1", "--input", "1", "--weights", "0", "-p", f"W_fx={pasted}", "-x", "1")
    assert doc["steps"][0]["f"] == [1 / (1 + np.exp(0.3852))]  # f_1 = σ(W_fx x_1), x_1 = 1


def test_what_a_pt_file_holds_besides_a_state_dict(rnncalc, tmp_path, torch):
    lstm = torch.nn.LSTM(2, 1)
    torch.save({"model": lstm.state_dict(), "epoch": 3}, tmp_path / "checkpoint.pt")
    status, text, err = rnncalc("convert", tmp_path / "checkpoint.pt")
    assert status == 0 and err.startswith("rnncalc: note: read the state_dict under model, the file's one dict of "
                                          "tensors (beside epoch)\n")
    torch.save(lstm, tmp_path / "whole.pt")
    assert refused(rnncalc, "convert", tmp_path / "whole.pt") == (
        f"{tmp_path / 'whole.pt'}: holds Python objects besides tensors (torch.save(model) saves the whole module), "
        "which torch.load(weights_only=True) does not unpickle; save the weights with "
        "torch.save(model.state_dict(), path)")
    torch.save([1, 2], tmp_path / "list.pt")
    assert refused(rnncalc, "convert", tmp_path / "list.pt") == (
        f"{tmp_path / 'list.pt'}: holds an object of type list, not one state_dict (a dict of tensors); save it "
        "with torch.save(model.state_dict(), path)")


def rewritten(keras_file, to, change):
    """A copy of a stored .keras file whose config.json has been changed by change(config)."""
    import zipfile

    with zipfile.ZipFile(keras_file) as source, zipfile.ZipFile(to, "w") as z:
        config = json.loads(source.read("config.json"))
        z.writestr("config.json", json.dumps(change(config)))
        z.writestr("model.weights.h5", source.read("model.weights.h5"))
    return to


@pytest.mark.parametrize("change, message", [
    (lambda c: [1, 2], "config.json: describes None; rnncalc converts a Sequential or Functional model of layers"),
    (lambda c: {**c, "config": {**c["config"], "layers": [None]}},
     "config.json: layer 0 is not a layer's class_name and config"),
    (lambda c: c["config"]["layers"][1]["config"].update(layer=5) or c,
     "config.json: does not describe a model as Keras 3 saves one (AttributeError: 'int' object has no attribute "
     "'get')"),
])
def test_a_config_keras_did_not_write_is_refused(rnncalc, tmp_path, change, message):
    source = REFERENCE / "keras_bidirectional_named_backward.keras"  # Sequential: InputLayer, Bidirectional, Dense
    bad = rewritten(source, tmp_path / "bad.keras", change)
    assert refused(rnncalc, "convert", bad) == f"{bad}: {message}"


def test_a_damaged_weights_file_is_refused(rnncalc, tmp_path):
    damaged = tmp_path / "damaged.weights.h5"
    damaged.write_bytes((REFERENCE / "keras_weights_only.weights.h5").read_bytes()[:3000])
    assert refused(rnncalc, "convert", damaged).startswith(f"{damaged}: cannot be read as a Keras file: ")


def test_a_weights_file_whose_order_is_unknown_is_refused(rnncalc, tmp_path):
    # model.save_weights keys each layer by its class (lstm, gru_1, ...): the order across classes is not kept.
    path = tmp_path / "two_kinds.weights.h5"
    with h5py.File(path, "w") as f:
        for key, G in (("lstm", 4), ("gru", 3)):
            cell = f.create_group(f"layers/{key}/cell/vars")
            cell["0"], cell["1"] = np.zeros((2, G * 2)), np.zeros((2, G * 2))
        f.create_group("layers/embedding/vars")["0"] = np.zeros((5, 2))
    assert refused(rnncalc, "convert", path) == (
        f"{path}: layers/embedding: is not a recurrent layer nor one Dense layer after them; convert the model's "
        ".keras file")
    with h5py.File(path, "a") as f:
        del f["layers/embedding"]
    assert refused(rnncalc, "convert", path) == (
        f"{path}: holds recurrent layers of 2 kinds (gru, lstm), and a .weights.h5 file does not record their "
        "order; convert the model's .keras file (model.save)")
    with h5py.File(path, "w") as f:
        f.create_group("model_weights")
    assert refused(rnncalc, "convert", path) == \
        f"{path}: is a Keras 2 HDF5 file; load it in Keras and save it with model.save('model.keras')"


def test_one_direction_of_a_summed_bidirectional_layer(convert_and_trace):
    # merge_mode="sum" converts as a whole (merge: sum); each direction alone converts too, the backward one run over the
    # reversed input, and Keras's output is their sum at each t.
    case = next(c for c in KERAS_CASES if c["name"] == "merge_sum")
    file = REFERENCE / case["file"]
    forward, _ = convert_and_trace(file, "lstm", case["x"], "--layer", "0", "--direction", "forward")
    backward, _ = convert_and_trace(file, "lstm", case["x"][::-1], "--layer", "0", "--direction", "backward")
    close(np.array(forward) + np.array(backward)[::-1], case["output"])
