"""rnncalc convert of Keras and TensorFlow models: Bidirectional layers, whole Sequential models saved by weight
path, and peephole LSTMs.

Where the expected numbers come from: Keras 3 and TensorFlow 2.21's own forward passes in float64, stored in
tests/reference/keras_reference.json with the .npz files and the script that made them
(tests/reference/make_keras_reference.py, run with TensorFlow installed; the suite does not need it). Keras-2's
PeepholeLSTMCell, gone from tf-keras 2.21, is checked against its published equations, worked below.
"""

import json
from pathlib import Path

import numpy as np
import pytest

REFERENCE = Path(__file__).parent / "reference"
CASES = json.loads((REFERENCE / "keras_reference.json").read_text())


def run_converted(rnncalc, tmp_path, npz, framework, x, cell, *flags):
    status, text, err = rnncalc("convert", npz, "--from", framework, *flags)
    assert status == 0, err
    path = tmp_path / "model.yaml"
    path.write_text(text)
    status, out, err = rnncalc(cell, path, "-x", json.dumps(x), "-f", "json")
    assert status == 0, err
    return json.loads(out)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_converted_model_matches_the_framework(case, rnncalc, tmp_path):
    framework = "tensorflow" if case["name"].startswith("tf1") else "keras"
    doc = run_converted(rnncalc, tmp_path, REFERENCE / case["npz"], framework, case["x"], case["cell"], *case["flags"])
    if "layers" not in doc:  # one layer
        actual = [step["h"] for step in doc["steps"]]
    else:
        actual = doc["y"] if "y" in doc else doc["output"]
    np.testing.assert_allclose(actual, case["output"], rtol=0, atol=1e-12)


def test_what_the_arrays_cannot_say_is_noted(rnncalc):
    rnn = next(c for c in CASES if c["name"] == "keras_sequential_rnn")
    status, text, err = rnncalc("convert", REFERENCE / rnn["npz"], "--from", "keras")
    assert status == 0
    assert err.splitlines() == [
        "rnncalc: note: the arrays do not store the layers' options: assumed Keras's go_backwards=False; convert "
        "the model's .keras file to have them read",
        "rnncalc: note: the arrays do not store the RNN's activation: assumed tanh, the frameworks' default; "
        "for SimpleRNN(activation='relu') convert with --activation relu",
        "rnncalc: note: the file does not record what the Dense layer reads: assumed the top output at every step, "
        "y_t = W_y o_t + b_y; if it reads the final state (return_sequences=False, fc(h_n[-1])), the model's "
        "output is y_T",
        "rnncalc: note: the arrays do not store the Dense layer's activation: assumed linear, Keras's default; "
        "for a softmax (or sigmoid) output convert with --output softmax (or sigmoid)"]
    assert "\nactivation: tanh  #" in text and "\noutput: linear  #" in text


def test_one_layer_and_direction_of_a_bidirectional_model(rnncalc, tmp_path):
    # The backward direction alone, run over the reversed input, gives the second half of the output, reversed.
    case = next(c for c in CASES if c["name"] == "keras_bidirectional_lstm")
    doc = run_converted(rnncalc, tmp_path, REFERENCE / case["npz"], "keras", case["x"][::-1], "lstm",
                        "--layer", "0", "--direction", "backward")
    np.testing.assert_allclose([s["h"] for s in doc["steps"]][::-1], np.array(case["output"])[:, 3:],
                               rtol=0, atol=1e-12)
    status, text, _ = rnncalc("convert", REFERENCE / case["npz"], "--from", "keras", "--direction", "backward")
    assert "(Keras LSTM, backward)" in text and "# This is a backward direction: it reads x_T first" in text


def sigma(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("style", ["positional", "named"])
def test_keras2_peephole_cell_by_its_equations(rnncalc, tmp_path, style):
    # PeepholeLSTMCell (Keras 2): z = x @ kernel + h @ recurrent_kernel + bias, blocks i, f, c, o;
    # i = σ(z_i + p_i c_{t-1}), f = σ(z_f + p_f c_{t-1}), c = f c_{t-1} + i tanh(z_c), o = σ(z_o + p_o c),
    # h = o tanh c.
    rng = np.random.default_rng(5)
    H, D = 2, 3
    K, U, b = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=4 * H)
    p_i, p_f, p_o = rng.normal(size=(3, H))
    if style == "positional":
        np.savez(tmp_path / "p.npz", K, U, b, p_i, p_f, p_o)  # np.savez(path, *cell.get_weights())
    else:  # by the weights' names
        cell = "rnn/peephole_lstm_cell/"
        names = ["kernel", "recurrent_kernel", "bias", "input_gate_peephole_weights", "forget_gate_peephole_weights",
                 "output_gate_peephole_weights"]
        np.savez(tmp_path / "p.npz", **{f"{cell}{name}:0": a for name, a in zip(names, (K, U, b, p_i, p_f, p_o))})
    xs = rng.normal(size=(3, D))
    h, c, expected = np.zeros(H), np.zeros(H), []
    for x in xs:
        z = x @ K + h @ U + b
        i = sigma(z[:H] + p_i * c)
        f = sigma(z[H:2 * H] + p_f * c)
        c = f * c + i * np.tanh(z[2 * H:3 * H])
        o = sigma(z[3 * H:] + p_o * c)
        h = o * np.tanh(c)
        expected.append(h)
    doc = run_converted(rnncalc, tmp_path, tmp_path / "p.npz", "keras", xs.tolist(), "lstm")
    assert doc["peepholes"] == ["f", "i", "o"]
    np.testing.assert_allclose([s["h"] for s in doc["steps"]], expected, rtol=0, atol=1e-12)


def test_refusals(rnncalc, tmp_path):
    gru = next(c for c in CASES if c["name"] == "keras_sequential_gru")
    status, _, err = rnncalc("convert", REFERENCE / gru["npz"], "--from", "keras", "--forget-bias", "1")
    assert status == 2 and err.startswith("rnncalc: --forget-bias: is TensorFlow's LSTMCell(forget_bias=...)")
    status, _, err = rnncalc("convert", REFERENCE / gru["npz"], "--from", "keras", "--activation", "relu")
    assert (status, err) == (2, "rnncalc: --activation relu: the course's gru uses tanh and σ; --activation sets "
                                "an rnn layer's activation\n")


def test_models_that_do_not_fit_together(rnncalc, tmp_path):
    z = np.zeros
    np.savez(tmp_path / "a.npz", forward_kernel=z((2, 4)), forward_recurrent_kernel=z((1, 4)),
             backward_kernel=z((2, 4)))
    status, _, err = rnncalc("convert", tmp_path / "a.npz", "--from", "keras")
    assert (status, err) == (2, f"rnncalc: {tmp_path / 'a.npz'}: no array backward_recurrent_kernel, expected shape "
                                "(H, G·H); found backward_kernel, forward_kernel, forward_recurrent_kernel\n")
    np.savez(tmp_path / "b.npz", **{"m/lstm/kernel": z((2, 4)), "m/lstm/recurrent_kernel": z((1, 4)),
                                    "m/dense/kernel": z((5, 2)), "m/dense/bias": z(2)})
    status, _, err = rnncalc("convert", tmp_path / "b.npz", "--from", "keras")
    assert (status, err) == (2, f"rnncalc: {tmp_path / 'b.npz'}: m/dense/kernel: the Dense layer reads width 5, but "
                                "the top layer gives 1\n")
    np.savez(tmp_path / "c.npz", **{"m/gru/kernel": z((2, 3)), "m/gru/recurrent_kernel": z((1, 3)),
                                    "m/gru_1/kernel": z((2, 3)), "m/gru_1/recurrent_kernel": z((1, 3)),
                                    "m/gru_2/kernel": z((1, 3)), "m/gru_2/recurrent_kernel": z((1, 3))})
    status, _, err = rnncalc("convert", tmp_path / "c.npz", "--from", "keras")
    assert (status, err) == (2, f"rnncalc: {tmp_path / 'c.npz'}: Keras GRU m/gru_1 reads input size D = 2, but the "
                                "layer below gives 1 (its H, times 2 when bidirectional)\n")
    np.savez(tmp_path / "d.npz", weight_ih_l0=z((4, 2)), weight_hh_l0=z((4, 1)), weight_ih_l2=z((4, 1)),
             weight_hh_l2=z((4, 1)))
    status, _, err = rnncalc("convert", tmp_path / "d.npz", "--from", "pytorch")
    assert (status, err) == (2, f"rnncalc: {tmp_path / 'd.npz'}: holds weight_hh_l2 but no weight_hh_l1: a model's "
                                "layers are numbered from 0 without a gap\n")


def test_tf1_cell_saved_as_a_list(rnncalc, tmp_path):
    # np.savez(path, *cell.get_weights()) of the TF1 peephole cell: kernel, bias, w_f_diag, w_i_diag, w_o_diag.
    case = next(c for c in CASES if c["name"] == "tf1_peephole_lstm")
    with np.load(REFERENCE / case["npz"]) as named:
        by_role = {name.rsplit("/", 1)[-1].removesuffix(":0"): named[name] for name in named.files}
    arrays = [by_role[role] for role in ("kernel", "bias", "w_f_diag", "w_i_diag", "w_o_diag")]
    np.savez(tmp_path / "list.npz", *arrays)
    doc = run_converted(rnncalc, tmp_path, tmp_path / "list.npz", "tensorflow", case["x"], "lstm", *case["flags"])
    np.testing.assert_allclose([s["h"] for s in doc["steps"]], case["output"], rtol=0, atol=1e-12)
