"""rnncalc convert: a PyTorch or Keras layer saved as .npz, to rnncalc YAML in the course's names.

Where the expected numbers come from:
- PyTorch: torch's own forward pass in float64, stored in tests/reference/torch_convert.json with the
  .npz files and the script that made them (tests/reference/make_torch_convert_reference.py).
- Keras (not installed here): its published cell equations, worked by hand below for small layers,
  and the same equations in Keras's own row-vector layout (x @ kernel) in numpy for larger ones.
"""

import doctest
import importlib.util
import io
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import LIVE_TORCH
from rnncalc import convert
from rnncalc.yamlio import load_documents

REFERENCE = Path(__file__).parent / "reference"
CASES = json.loads((REFERENCE / "torch_convert.json").read_text())
VISIBLE = {"rnn": "s", "lstm": "h", "gru": "h"}  # the key of the visible state in rnncalc's JSON steps


def close(actual, expected):
    np.testing.assert_allclose(np.array(actual), np.array(expected), rtol=0, atol=1e-12)


def sigma(z):
    return 1 / (1 + math.exp(-z))


@pytest.fixture
def converted(rnncalc):
    """rnncalc convert FILE --from FRAMEWORK [flags]: the YAML text (the command must succeed)."""
    def call(npz, framework, *flags):
        status, out, err = rnncalc("convert", npz, "--from", framework, *flags)
        assert status == 0 and all(line.startswith("rnncalc: note: ") for line in err.splitlines()), err
        return out
    return call


@pytest.fixture
def trace(rnncalc, converted, tmp_path):
    """Convert a layer, then run rnncalc CELL on the YAML with -x: (cell, the visible state of every step)."""
    def call(npz, framework, x, *flags, run_flags=()):
        path = tmp_path / "model.yaml"
        path.write_text(converted(npz, framework, *flags))
        cell = load_documents(path.read_text(), str(path))[0].data["cell"]
        status, out, err = rnncalc(cell, path, "-x", json.dumps(x), "-f", "json", *run_flags)
        assert status == 0, err
        return cell, [step[VISIBLE[cell]] for step in json.loads(out)["steps"]]
    return call


def keras_npz(path, style, kernel, recurrent_kernel, bias=None):
    """Save a Keras layer's arrays as a user would: by name, or as np.savez(path, *layer.get_weights())."""
    arrays = [np.array(kernel, float), np.array(recurrent_kernel, float)]
    if bias is not None:
        arrays.append(np.array(bias, float))
    if style == "named":
        np.savez(path, **dict(zip(("kernel", "recurrent_kernel", "bias"), arrays)))
    else:
        np.savez(path, *arrays)
    return path


# ---------------------------------------------------------------- PyTorch, against torch's forward pass

@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_converted_layer_matches_torch(case, trace):
    activation = ["--activation", case["activation"]] if case["cell"] == "rnn" else []
    cell, hs = trace(REFERENCE / case["npz"], "pytorch", case["x"], "--layer", case["layer"], *activation)
    assert cell == case["cell"]  # told by the shapes: G = rows(weight_hh) / cols(weight_hh)
    assert len(hs) == len(case["h"])
    close(hs, case["h"])


@LIVE_TORCH
def test_stored_reference_is_what_the_script_makes(torch):
    spec = importlib.util.spec_from_file_location("make_torch_convert_reference",
                                                  REFERENCE / "make_torch_convert_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh, state_dicts = module.make()
    assert [{k: v for k, v in c.items() if k not in ("x", "h")} for c in fresh] == \
           [{k: v for k, v in c.items() if k not in ("x", "h")} for c in CASES]
    for new, old in zip(fresh, CASES):
        close(new["x"], old["x"])
        close(new["h"], old["h"])
    assert sorted(state_dicts) == sorted({c["npz"] for c in CASES})
    for file, arrays in state_dicts.items():
        with np.load(REFERENCE / file) as stored:
            assert sorted(stored.files) == sorted(arrays), file
            for name, value in arrays.items():
                close(stored[name], value)


@pytest.mark.parametrize("npz", sorted({c["npz"] for c in CASES}))
def test_values_round_trip_exactly(npz, converted):
    """Every number in the YAML reads back as the very float64 the conversion computed (repr())."""
    with np.load(REFERENCE / npz) as f:
        expected = convert.course_arrays(dict(f), "pytorch").params
    data = load_documents(converted(REFERENCE / npz, "pytorch", "--layer", "0"), "model.yaml")[0].data
    assert [k for k in data if k.startswith(("W_", "b_"))] == list(expected)
    for name, value in expected.items():
        assert np.array_equal(np.array(data[name]), value), name


def test_float32_weights_are_written_as_their_exact_float64_value(tmp_path, converted):
    # 0.1 in float32 is 0.100000001490116119384765625: written as that float64, not as "0.1".
    path = tmp_path / "rnn.npz"
    np.savez(path, weight_ih_l0=np.array([[0.1]], np.float32), weight_hh_l0=np.array([[-0.3]], np.float32))
    data = load_documents(converted(path, "pytorch"), "rnn.yaml")[0].data
    assert data["W_sx"] == [[float(np.float32(0.1))]] == [[0.10000000149011612]]
    assert data["W_ss"] == [[float(np.float32(-0.3))]] and data["b_s"] == [0.0]


# ---------------------------------------------------------------- PyTorch, the layout itself

def blocks(G, H, cols):
    """A (G·H, cols) array whose entry is 100·block + 10·row-in-block + column: each value says where it was."""
    return np.array([[100 * (r // H) + 10 * (r % H) + c for c in range(cols)] for r in range(G * H)], float)


class TestPytorchLayout:
    def test_lstm_blocks_i_f_g_o(self):
        H, D = 2, 3
        arrays = {"weight_ih_l0": blocks(4, H, D), "weight_hh_l0": blocks(4, H, H),
                  "bias_ih_l0": np.arange(8.0), "bias_hh_l0": 1000 * np.arange(8.0)}
        c = convert.course_arrays(arrays, "pytorch")
        assert c.cell == "lstm" and list(c.params) == [
            "W_fh", "W_fx", "b_f", "W_ih", "W_ix", "b_i", "W_oh", "W_ox", "b_o", "W_ch", "W_cx", "b_c"]
        for gate, k in {"i": 0, "f": 1, "c": 2, "o": 3}.items():  # torch's i, f, g (the candidate), o
            assert np.array_equal(c.params[f"W_{gate}x"], arrays["weight_ih_l0"][k * H:(k + 1) * H])
            assert np.array_equal(c.params[f"W_{gate}h"], arrays["weight_hh_l0"][k * H:(k + 1) * H])
            assert c.params[f"b_{gate}"].tolist() == [1001 * (k * H), 1001 * (k * H + 1)]
        assert c.sources["W_ch"] == "weight_hh_l0[4:6]"
        assert c.sources["b_o"] == "bias_ih_l0[6:8] + bias_hh_l0[6:8]"

    def test_a_projected_lstm_keeps_its_blocks_and_copies_the_projection(self):
        # nn.LSTM(D=3, H=2, proj_size=1): weight_hh_l0 (4·H, P) acts on the projected h; weight_hr_l0 (P, H) is W_hm.
        H, P, D = 2, 1, 3
        arrays = {"weight_ih_l0": blocks(4, H, D), "weight_hh_l0": blocks(4, H, P),
                  "weight_hr_l0": np.array([[5.0, 7.0]])}
        c = convert.course_arrays(arrays, "pytorch")
        assert c.cell == "lstm" and list(c.params)[-1] == "W_hm" and len(c.params) == 13
        for gate, k in {"i": 0, "f": 1, "c": 2, "o": 3}.items():
            assert np.array_equal(c.params[f"W_{gate}h"], arrays["weight_hh_l0"][k * H:(k + 1) * H])  # (H, P)
        assert c.params["W_hm"].tolist() == [[5.0, 7.0]] and c.sources["W_hm"] == "weight_hr_l0"
        assert c.header[0] == "rnncalc lstm: hidden size H = 2, projection size P = 1, input size D = 3."

    def test_gru_blocks_r_z_n_and_the_candidate_biases_kept_apart(self):
        arrays = {"weight_ih_l0": blocks(3, 1, 2), "weight_hh_l0": blocks(3, 1, 1),
                  "bias_ih_l0": np.array([1.0, 2.0, 3.0]), "bias_hh_l0": np.array([10.0, 20.0, 30.0])}
        c = convert.course_arrays(arrays, "pytorch")
        assert c.cell == "gru" and list(c.params) == [
            "W_rh", "W_rx", "b_r", "W_zh", "W_zx", "b_z", "W_nh", "W_nx", "b_n", "b_nh"]
        assert c.params["W_rx"].tolist() == [[0, 1]] and c.params["W_zx"].tolist() == [[100, 101]]
        assert c.params["W_nh"].tolist() == [[200]]
        assert [c.params[b].tolist() for b in ("b_r", "b_z", "b_n", "b_nh")] == [[11.0], [22.0], [3.0], [30.0]]
        assert c.options == {}  # rnncalc's default GRU variant is torch's

    def test_rnn_writes_activation_tanh_with_a_note(self, tmp_path, converted):
        path = tmp_path / "rnn.npz"
        np.savez(path, weight_ih_l0=np.ones((2, 1)), weight_hh_l0=np.eye(2))
        text = converted(path, "pytorch")
        assert "\nactivation: tanh  # the arrays cannot tell: change to relu for nn.RNN(nonlinearity='relu')\n" in text

    def test_no_bias_writes_zeros(self):
        c = convert.course_arrays({"weight_ih_l0": blocks(3, 2, 1), "weight_hh_l0": blocks(3, 2, 2)}, "pytorch")
        assert all(c.params[b].tolist() == [0.0, 0.0] for b in ("b_r", "b_z", "b_n", "b_nh"))
        assert c.sources["b_nh"] == "0: the layer has no bias"

    def test_a_module_inside_a_model_and_a_cell_module(self):
        # model.state_dict() of a model holding the LSTM as .encoder, beside other layers
        arrays = {"encoder.weight_ih_l0": blocks(4, 1, 1), "encoder.weight_hh_l0": blocks(4, 1, 1),
                  "head.weight": np.ones((3, 1)), "head.bias": np.zeros(3)}
        c = convert.course_arrays(arrays, "pytorch")
        assert c.cell == "lstm" and c.sources["W_fh"] == "encoder.weight_hh_l0[1:2]"
        # nn.GRUCell: the same layout without the _l0 suffix
        c = convert.course_arrays({"weight_ih": blocks(3, 1, 2), "weight_hh": blocks(3, 1, 1)}, "pytorch")
        assert c.cell == "gru" and c.sources["W_zx"] == "weight_ih[1:2]"

    def test_the_yaml_layout(self, converted):
        text = converted(REFERENCE / "convert_lstm_2layers_H3_D2.npz", "pytorch", "--layer", "1")
        comments, _, body = text.partition("\ncell: lstm\n")
        assert comments.startswith("# rnncalc lstm: hidden size H = 3, input size D = 3.\n"
                                   "# Converted by rnncalc convert from convert_lstm_2layers_H3_D2.npz "
                                   "(PyTorch nn.LSTM, layer 1).\n")
        assert all(line.startswith("#") or line == "" for line in comments.splitlines())
        for phrase in ("gate blocks in the order i, f, g, o", "as column vectors", "each b here is their sum",
                      "-x", "--h0 / --c0"):
            assert phrase in comments
        assert body.splitlines()[1].startswith("W_fh: [[") and body.splitlines()[1].endswith("  # weight_hh_l1[3:6]")
        assert "h0" not in body and "\nx:" not in body


# ---------------------------------------------------------------- Keras, worked by hand

STYLES = ["named", "positional"]  # kernel=..., or np.savez(path, *layer.get_weights()): arr_0, arr_1, arr_2


@pytest.mark.parametrize("style", STYLES)
def test_keras_lstm_by_hand(style, tmp_path, trace):
    # H = 1, D = 2. Keras: z = x @ kernel + h @ recurrent_kernel + bias, split in the order i, f, c, o;
    # c = f c + i tanh(z_c), h = o tanh(c). Column k of kernel (2, 4) is gate k's weights on x.
    path = keras_npz(tmp_path / "lstm.npz", style,
                     kernel=[[0.5, -1.0, 2.0, 1.0],     # x_1's weights into i, f, c, o
                             [0.25, 0.5, -0.5, 0.0]],   # x_2's
                     recurrent_kernel=[[1.0, 2.0, -1.0, 0.5]],
                     bias=[0.0, 2.0, 0.0, -0.5])
    # t = 1, x = (1, 2), h = c = 0:
    #   i = σ(0.5·1 + 0.25·2 + 0) = σ(1)     f = σ(-1·1 + 0.5·2 + 2) = σ(2)
    #   c̃ = tanh(2·1 - 0.5·2 + 0) = tanh(1)  o = σ(1·1 + 0·2 - 0.5) = σ(0.5)
    #   c1 = σ(2)·0 + σ(1) tanh(1)           h1 = σ(0.5) tanh(c1)
    c1 = sigma(1) * math.tanh(1)
    h1 = sigma(0.5) * math.tanh(c1)
    # t = 2, x = (2, 0):
    #   i = σ(0.5·2 + 1·h1) = σ(1 + h1)       f = σ(-1·2 + 2·h1 + 2) = σ(2 h1)
    #   c̃ = tanh(2·2 - 1·h1) = tanh(4 - h1)   o = σ(1·2 + 0.5·h1 - 0.5) = σ(1.5 + 0.5 h1)
    c2 = sigma(2 * h1) * c1 + sigma(1 + h1) * math.tanh(4 - h1)
    h2 = sigma(1.5 + 0.5 * h1) * math.tanh(c2)
    cell, hs = trace(path, "keras", [[1, 2], [2, 0]])
    assert cell == "lstm"
    close(hs, [[h1], [h2]])


@pytest.mark.parametrize("style", STYLES)
def test_keras_gru_reset_after_by_hand(style, tmp_path, trace):
    # H = D = 1, reset_after=True (Keras's default): bias (2, 3H), row 0 on the input side, row 1 on the
    # recurrent side; blocks z, r, h. Keras: [x_z, x_r, x_h] = x @ kernel + bias[0],
    # [h_z, h_r, h_h] = h @ recurrent_kernel + bias[1]; z = σ(x_z + h_z), r = σ(x_r + h_r),
    # hh = tanh(x_h + r ⊙ h_h), h = z ⊙ h_prev + (1 − z) ⊙ hh.
    path = keras_npz(tmp_path / "gru.npz", style, kernel=[[1.0, -1.0, 2.0]], recurrent_kernel=[[0.5, 1.0, -2.0]],
                     bias=[[0.5, 0.5, 0.25], [0.0, 1.0, 0.5]])
    # t = 1, x = 1, h = 0:  z = σ(1 + 0.5 + 0) = σ(1.5)   r = σ(-1 + 0.5 + 1) = σ(0.5)
    #   hh = tanh(2 + 0.25 + r·(-2·0 + 0.5)) = tanh(2.25 + 0.5 σ(0.5))   h1 = (1 − σ(1.5)) hh
    h1 = (1 - sigma(1.5)) * math.tanh(2.25 + 0.5 * sigma(0.5))
    # t = 2, x = -1:  z = σ(-1 + 0.5 + 0.5 h1)   r = σ(1 + 0.5 + h1 + 1)
    #   hh = tanh(-2 + 0.25 + r·(-2 h1 + 0.5))    h2 = z h1 + (1 − z) hh
    z2, r2 = sigma(-0.5 + 0.5 * h1), sigma(2.5 + h1)
    h2 = z2 * h1 + (1 - z2) * math.tanh(-1.75 + r2 * (-2 * h1 + 0.5))
    cell, hs = trace(path, "keras", [1, -1])
    assert cell == "gru"
    close(hs, [[h1], [h2]])


@pytest.mark.parametrize("style", STYLES)
def test_keras_gru_reset_before_by_hand(style, tmp_path, trace, converted):
    # reset_after=False: one bias (3H,), and r acts on h before the recurrent weight:
    # hh = tanh(x @ kernel_h + bias_h + (r ⊙ h) @ recurrent_kernel_h).
    path = keras_npz(tmp_path / "gru.npz", style, kernel=[[1.0, -1.0, 2.0]], recurrent_kernel=[[0.5, 1.0, -2.0]],
                     bias=[0.5, 0.5, 0.25])
    assert "\nvariant: reset-before  # Keras reset_after=False" in converted(path, "keras")
    # t = 1, x = 1, h = 0:  z = σ(1 + 0.5) = σ(1.5)   r = σ(-1 + 0.5) = σ(-0.5)
    #   hh = tanh(2 + 0.25 + (-2)(r·0)) = tanh(2.25)   h1 = (1 − σ(1.5)) tanh(2.25)
    h1 = (1 - sigma(1.5)) * math.tanh(2.25)
    # t = 2, x = -1:  z = σ(-1 + 0.5 + 0.5 h1)   r = σ(1 + 0.5 + 1·h1)
    #   hh = tanh(-2 + 0.25 + (-2)(r h1))          h2 = z h1 + (1 − z) hh
    z2, r2 = sigma(-0.5 + 0.5 * h1), sigma(1.5 + h1)
    h2 = z2 * h1 + (1 - z2) * math.tanh(-1.75 - 2 * r2 * h1)
    cell, hs = trace(path, "keras", [1, -1])
    assert cell == "gru"
    close(hs, [[h1], [h2]])


@pytest.mark.parametrize("style", STYLES)
def test_keras_simple_rnn_by_hand(style, tmp_path, trace):
    # H = 2, D = 1. Keras: h = tanh(x @ kernel + bias + h_prev @ recurrent_kernel), h a row vector:
    # unit j receives Σ_i h_prev[i] · recurrent_kernel[i, j], so the course's W_ss is its transpose.
    path = keras_npz(tmp_path / "rnn.npz", style, kernel=[[1.0, -0.5]],
                     recurrent_kernel=[[0.5, 1.0], [0.0, -1.0]], bias=[0.0, 0.25])
    # t = 1, x = 1, h = 0:  h1 = (tanh(1 + 0), tanh(-0.5 + 0.25)) = (tanh(1), tanh(-0.25))
    a, b = math.tanh(1), math.tanh(-0.25)
    # t = 2, x = 2:  x @ kernel = (2, -1);  h1 @ recurrent_kernel = (0.5 a + 0 b, 1 a - 1 b)
    #   h2 = (tanh(2 + 0 + 0.5 a), tanh(-1 + 0.25 + a - b))
    cell, hs = trace(path, "keras", [1, 2])
    assert cell == "rnn"
    close(hs, [[a, b], [math.tanh(2 + 0.5 * a), math.tanh(-0.75 + a - b)]])


# ---------------------------------------------------------------- Keras, its equations in its own layout

def keras_forward(kind, kernel, recurrent_kernel, bias, xs):
    """Keras's LSTMCell, GRUCell (reset_after True or False) and SimpleRNNCell, as in its source: row vectors,
    x @ kernel, the gates split off the columns in Keras's order; from h = c = 0. Returns h for every step."""
    H = recurrent_kernel.shape[0]
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    h, c, out = np.zeros(H), np.zeros(H), []
    for x in xs:
        if kind == "lstm":
            z = x @ kernel + h @ recurrent_kernel + bias
            i, f, c_hat, o = np.split(z, 4)
            c = sig(f) * c + sig(i) * np.tanh(c_hat)
            h = sig(o) * np.tanh(c)
        elif kind == "gru_reset_after":
            x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3)
            h_z, h_r, h_h = np.split(h @ recurrent_kernel + bias[1], 3)
            z, r = sig(x_z + h_z), sig(x_r + h_r)
            h = z * h + (1 - z) * np.tanh(x_h + r * h_h)
        elif kind == "gru_reset_before":
            x_z, x_r, x_h = np.split(x @ kernel + bias, 3)
            z = sig(x_z + h @ recurrent_kernel[:, :H])
            r = sig(x_r + h @ recurrent_kernel[:, H:2 * H])
            h = z * h + (1 - z) * np.tanh(x_h + (r * h) @ recurrent_kernel[:, 2 * H:])
        else:
            h = np.tanh(x @ kernel + bias + h @ recurrent_kernel)
        out.append(h)
    return np.array(out)


KERAS_KINDS = {"lstm": (4, (12,)), "gru_reset_after": (3, (2, 9)), "gru_reset_before": (3, (9,)), "rnn": (1, (3,))}


@pytest.mark.parametrize("kind", KERAS_KINDS)
def test_keras_layout_against_its_equations(kind, tmp_path, trace):
    G, bias_shape = KERAS_KINDS[kind]
    H, D, T = 3, 2, 5
    rng = np.random.default_rng(686)
    kernel, recurrent_kernel = rng.uniform(-0.6, 0.6, (D, G * H)), rng.uniform(-0.6, 0.6, (H, G * H))
    bias, xs = rng.uniform(-0.5, 0.5, bias_shape), rng.normal(size=(T, D))
    path = keras_npz(tmp_path / "layer.npz", "positional", kernel, recurrent_kernel, bias)
    _, hs = trace(path, "keras", xs.tolist())
    close(hs, keras_forward(kind, kernel, recurrent_kernel, bias, xs))


def test_a_bias_free_keras_gru_needs_its_reset_after_said(tmp_path, rnncalc):
    # Its arrays are the same for reset_after=True and False, and the two give other numbers: refused unless
    # --variant (or a .keras file's config) says which.
    path = keras_npz(tmp_path / "gru.npz", "named", kernel=np.ones((1, 6)), recurrent_kernel=np.ones((2, 6)))
    status, text, err = rnncalc("convert", path, "--from", "keras")
    assert (status, text, err) == (2, "", f"rnncalc: {path}: holds a GRU without biases, whose arrays do not store "
                                          "Keras's reset_after: convert with --variant reset-after (reset_after=True, "
                                          "Keras's default) or --variant reset-before (reset_after=False), or convert "
                                          "the model's .keras file\n")
    status, text, err = rnncalc("convert", path, "--from", "keras", "--variant", "reset-after")
    assert status == 0 and "reset_after" not in err
    assert "variant:" not in text.split("\ncell: gru\n")[1] and "\nb_nh: [0.0, 0.0]  # 0: the layer has no bias" in text
    assert "--variant reset-after says it (reset_after=True)" in text
    status, text, err = rnncalc("convert", path, "--from", "keras", "--variant", "reset-before")
    assert status == 0 and "\nvariant: reset-before" in text and "(reset_after=False)" in text
    lstm = keras_npz(tmp_path / "lstm.npz", "named", kernel=np.ones((1, 8)), recurrent_kernel=np.ones((2, 8)))
    assert rnncalc("convert", lstm, "--from", "keras", "--variant", "reset-before")[2] == \
        f"rnncalc: --variant reset-before: {lstm} holds no GRU\n"


def test_keras_weight_paths_are_read_by_their_last_part(tmp_path):
    arrays = {"lstm/lstm_cell/kernel:0": np.ones((1, 4)), "lstm/lstm_cell/recurrent_kernel:0": np.ones((1, 4)),
              "lstm/lstm_cell/bias:0": np.arange(4.0)}
    c = convert.course_arrays(arrays, "keras")
    assert c.cell == "lstm" and c.params["b_c"].tolist() == [2.0]
    assert c.sources["W_ch"] == "lstm/lstm_cell/recurrent_kernel:0[:, 2:3].T"


# ---------------------------------------------------------------- bad input: one line, exit status 2

def err(rnncalc, *args):
    status, out, error = rnncalc(*args)
    assert status == 2, (out, error)
    assert error.count("\n") == 1, error
    return error.strip()


def npy_bytes(a):
    buffer = io.BytesIO()
    np.save(buffer, a)
    return buffer.getvalue()


class TestBadInput:
    @pytest.fixture(autouse=True)
    def in_tmp(self, tmp_path, monkeypatch):
        monkeypatch.chdir(tmp_path)

    @staticmethod
    def lstm(**overrides):
        """An nn.LSTM state_dict with H = 2, D = 3, with some arrays replaced (None drops one)."""
        arrays = {"weight_ih_l0": np.zeros((8, 3)), "weight_hh_l0": np.zeros((8, 2)),
                  "bias_ih_l0": np.zeros(8), "bias_hh_l0": np.zeros(8)}
        arrays.update(overrides)
        np.savez("m.npz", **{k: v for k, v in arrays.items() if v is not None})
        return "m.npz"

    def test_missing_file(self, rnncalc):
        assert err(rnncalc, "convert", "nope.npz", "--from", "pytorch") == "rnncalc: nope.npz: no such file"

    @pytest.mark.parametrize("make", [lambda: Path("m.npz").write_text("weight_ih_l0: [[1]]\n"),
                                      lambda: Path("m.npz").write_bytes(npy_bytes(np.zeros(3))),  # np.save's one array
                                      lambda: Path("m.npz").write_bytes(b"PK\x03\x04 truncated")])
    def test_not_an_npz(self, rnncalc, make):
        make()
        assert err(rnncalc, "convert", "m.npz", "--from", "pytorch") == \
            "rnncalc: m.npz: is not an .npz file; save the arrays with numpy.savez(path, **arrays)"

    def test_a_directory_an_empty_npz_and_pickled_objects(self, rnncalc):
        Path("d.npz").mkdir()
        assert err(rnncalc, "convert", "d.npz", "--from", "pytorch") == "rnncalc: d.npz: is a directory, not an .npz file"
        np.savez("m.npz")
        assert err(rnncalc, "convert", "m.npz", "--from", "pytorch") == "rnncalc: m.npz: holds no arrays"
        np.savez("m.npz", weight_ih_l0=np.array([{"W": 1}], dtype=object))
        assert err(rnncalc, "convert", "m.npz", "--from", "pytorch") == \
            "rnncalc: m.npz: weight_ih_l0: expected an array of numbers (float64, float32, float16 or integers), " \
            "found Python objects, which only unpickling could read"

    def test_several_recurrent_modules(self, rnncalc):
        w = np.zeros((4, 1))
        np.savez("m.npz", **{"encoder.weight_ih_l0": w, "encoder.weight_hh_l0": w,
                             "decoder.weight_ih_l0": w, "decoder.weight_hh_l0": w})
        assert err(rnncalc, "convert", "m.npz", "--from", "pytorch") == \
            "rnncalc: m.npz: holds the recurrent weights of several modules (decoder, encoder); " \
            "save one module's state_dict"

    def test_missing_array(self, rnncalc):
        assert err(rnncalc, "convert", self.lstm(weight_ih_l0=None), "--from", "pytorch") == \
            "rnncalc: m.npz: no array weight_ih_l0, expected shape (4·H, D) = (8, D); " \
            "found bias_hh_l0, bias_ih_l0, weight_hh_l0"

    def test_missing_one_bias(self, rnncalc):
        assert err(rnncalc, "convert", self.lstm(bias_hh_l0=None), "--from", "pytorch") == \
            "rnncalc: m.npz: has bias_ih_l0 but no bias_hh_l0, expected shape (4·H,) = (8,); " \
            "a layer has both biases (bias=True) or neither (bias=False)"

    def test_wrong_shape(self, rnncalc):
        assert err(rnncalc, "convert", self.lstm(weight_ih_l0=np.zeros((6, 3))), "--from", "pytorch") == \
            "rnncalc: m.npz: weight_ih_l0: expected shape (4·H, D) = (8, D) as weight_hh_l0 is (8, 2), found (6, 3)"
        assert err(rnncalc, "convert", self.lstm(bias_ih_l0=np.zeros((8, 1))), "--from", "pytorch") == \
            "rnncalc: m.npz: bias_ih_l0: expected shape (4·H,) = (8,), found (8, 1)"
        assert err(rnncalc, "convert", self.lstm(weight_hh_l0=np.zeros((5, 2))), "--from", "pytorch") == \
            "rnncalc: m.npz: weight_hh_l0: expected shape (G·H, H) with G = 4 (lstm), 3 (gru) or 1 (rnn), found (5, 2)"

    def test_directions(self, rnncalc):
        assert err(rnncalc, "convert", self.lstm(), "--from", "pytorch", "--direction", "backward") == \
            "rnncalc: --direction backward: m.npz holds no _reverse arrays: the model is not bidirectional"
        path = self.lstm(weight_ih_l0_reverse=np.zeros((8, 3)))
        assert err(rnncalc, "convert", path, "--from", "pytorch") == \
            "rnncalc: m.npz: no array weight_hh_l0_reverse, expected shape (G·H, H); found bias_hh_l0, bias_ih_l0, " \
            "weight_hh_l0, weight_ih_l0, weight_ih_l0_reverse"
        shutil.copy(REFERENCE / "convert_lstm_2layers_H3_D2.npz", "two.npz")
        assert err(rnncalc, "convert", "two.npz", "--from", "pytorch", "--direction", "forward") == \
            "rnncalc: --direction forward: two.npz holds layers 0–1: pick one with --layer N"

    def test_projected_lstm_shapes(self, rnncalc):
        # nn.LSTM(3, 2, proj_size=1): weight_hh_l0 (4·H, P) = (8, 1) says H and P; weight_hr_l0 must be (P, H).
        path = self.lstm(weight_hr_l0=np.zeros((2, 1)), weight_hh_l0=np.zeros((8, 1)))
        assert err(rnncalc, "convert", path, "--from", "pytorch") == \
            "rnncalc: m.npz: weight_hr_l0: expected shape (P, H) = (1, 2) as weight_hh_l0 (4·H, P) is (8, 1), " \
            "found (2, 1)"
        path = self.lstm(weight_hr_l0=np.zeros((1, 2)), weight_hh_l0=np.zeros((6, 1)))
        assert err(rnncalc, "convert", path, "--from", "pytorch") == \
            "rnncalc: m.npz: weight_hh_l0: expected shape (4·H, P) for an LSTM with the projection weight_hr_l0, " \
            "found (6, 1)"
        path = self.lstm(weight_hr_l0=np.zeros((1, 2)), weight_hh_l0=np.zeros((8, 1)), bias_hr_l0=np.zeros(1))
        assert err(rnncalc, "convert", path, "--from", "pytorch") == \
            "rnncalc: m.npz: bias_hr_l0: is not an array of nn.LSTM: its projection weight_hr has no bias"
        path = self.lstm(weight_hr_l0=np.zeros((1, 2)), weight_hh_l0=np.zeros((8, 1)))
        assert err(rnncalc, "convert", path, "--from", "pytorch", "--cell", "gru") == \
            "rnncalc: m.npz: weight_hr_l0: is an LSTM's projection (proj_size > 0), which a gru layer has not; " \
            "drop --cell gru"

    def test_a_projection_is_every_layers_and_smaller_than_h(self, rnncalc):
        # proj_size projects every layer and direction of nn.LSTM, and PyTorch holds it below hidden_size
        path = self.lstm(weight_hr_l0=np.zeros((1, 2)), weight_hh_l0=np.zeros((8, 1)),
                         weight_ih_l0_reverse=np.zeros((8, 3)), weight_hh_l0_reverse=np.zeros((8, 1)))
        assert err(rnncalc, "convert", path, "--from", "pytorch") == \
            "rnncalc: m.npz: no array weight_hr_l0_reverse, expected shape (P, H): the model's other weight_hr " \
            "arrays project every layer; found bias_hh_l0, bias_ih_l0, weight_hh_l0, weight_hh_l0_reverse, " \
            "weight_hr_l0, weight_ih_l0, weight_ih_l0_reverse"
        path = self.lstm(weight_hr_l0=np.zeros((2, 4)), weight_ih_l0=np.zeros((12, 3)), weight_hh_l0=np.zeros((12, 4)))
        assert err(rnncalc, "convert", path, "--from", "pytorch") == \
            "rnncalc: m.npz: weight_hh_l0: is (4·H, P) = (12, 4) beside the projection weight_hr_l0, so P = 4 ≥ H = 3; " \
            "PyTorch's proj_size is smaller than its hidden size"

    def test_cell_contradicting_the_shapes(self, rnncalc):
        assert err(rnncalc, "convert", self.lstm(), "--from", "pytorch", "--cell", "gru") == \
            "rnncalc: m.npz: weight_hh_l0: --cell gru needs shape (3·H, H) = (6, 2), found (8, 2): " \
            "that is the shape of an lstm layer"
        keras_npz("k.npz", "named", np.zeros((1, 3)), np.zeros((1, 3)))
        assert err(rnncalc, "convert", "k.npz", "--from", "keras", "--cell", "rnn") == \
            "rnncalc: k.npz: recurrent_kernel: --cell rnn needs shape (H, 1·H) = (1, 1), found (1, 3): " \
            "that is the shape of a gru layer"

    def test_layer_out_of_range(self, rnncalc):
        assert err(rnncalc, "convert", self.lstm(), "--from", "pytorch", "--layer", "1") == \
            "rnncalc: --layer 1: m.npz has no weight_hh_l1; it holds layer 0"
        shutil.copy(REFERENCE / "convert_lstm_2layers_H3_D2.npz", "two.npz")
        assert err(rnncalc, "convert", "two.npz", "--from", "pytorch", "--layer", "2") == \
            "rnncalc: --layer 2: two.npz has no weight_hh_l2; it holds layers 0–1"

    def test_keras_has_no_layers(self, rnncalc):
        keras_npz("k.npz", "positional", np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4))
        assert err(rnncalc, "convert", "k.npz", "--from", "keras", "--layer", "1") == \
            "rnncalc: --layer 1: k.npz holds one Keras layer (layer.get_weights()); save the layer you want with " \
            "np.savez(path, *layer.get_weights()) and convert it without --layer"

    def test_keras_missing_and_misshapen_arrays(self, rnncalc):
        np.savez("k.npz", np.zeros((1, 4)))
        assert err(rnncalc, "convert", "k.npz", "--from", "keras") == \
            "rnncalc: k.npz: no array arr_1 (recurrent_kernel), expected shape (H, G·H); found arr_0"
        keras_npz("k.npz", "named", np.zeros((3, 8)), np.zeros((2, 8)), np.zeros((2, 8)))
        assert err(rnncalc, "convert", "k.npz", "--from", "keras") == \
            "rnncalc: k.npz: bias: expected shape (4·H,) = (8,), found (2, 8)"
        keras_npz("k.npz", "named", np.zeros((8, 3)), np.zeros((2, 8)))
        assert err(rnncalc, "convert", "k.npz", "--from", "keras") == \
            "rnncalc: k.npz: kernel: expected shape (D, 4·H) = (D, 8) as recurrent_kernel is (2, 8), found (8, 3)"

    def test_keras_list_of_five(self, rnncalc):
        np.savez("k.npz", *[np.zeros((1, 4)), np.zeros((1, 4)), np.zeros(4), np.zeros((1, 4)), np.zeros((1, 4))])
        assert err(rnncalc, "convert", "k.npz", "--from", "keras") == \
            "rnncalc: k.npz: holds 5 arrays (arr_0, arr_1, arr_2, arr_3, arr_4); a Keras recurrent layer has 2 or 3 " \
            "(kernel, recurrent_kernel, bias), a Bidirectional layer 4 or 6 (the forward layer's, then the " \
            "backward layer's)"

    def test_the_other_framework(self, rnncalc):
        assert err(rnncalc, "convert", self.lstm(), "--from", "keras") == \
            "rnncalc: m.npz: bias_hh_l0: not a Keras recurrent layer's array; expected kernel, recurrent_kernel, " \
            "bias (or arr_0, arr_1, arr_2 in that order); these look like PyTorch arrays: try --from pytorch"
        keras_npz("k.npz", "named", np.zeros((1, 4)), np.zeros((1, 4)))
        assert err(rnncalc, "convert", "k.npz", "--from", "pytorch") == \
            "rnncalc: k.npz: no array weight_hh_l0, expected shape (G·H, H); found kernel, recurrent_kernel; " \
            "these look like Keras arrays: try --from keras"

    def test_not_finite_and_not_numbers(self, rnncalc):
        w = np.zeros((8, 2))
        w[3, 1] = np.nan
        assert err(rnncalc, "convert", self.lstm(weight_hh_l0=w), "--from", "pytorch") == \
            "rnncalc: m.npz: weight_hh_l0: holds nan at [3, 1]; rnncalc needs finite numbers"
        assert err(rnncalc, "convert", self.lstm(bias_ih_l0=np.array(["a"] * 8)), "--from", "pytorch") == \
            "rnncalc: m.npz: bias_ih_l0: expected an array of numbers (float64, float32, float16 or integers), " \
            "found dtype <U1"


def test_doctests():
    assert doctest.testmod(convert).failed == 0
