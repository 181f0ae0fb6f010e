"""rnncalc CELL --grad: backpropagation through time from the command line, as tables and as JSON.

The gradients themselves are checked in test_backward.py (finite differences, a hand derivation, PyTorch);
here the command line is: the flags and YAML keys that choose the loss and its target, the refusals, the
backward trace and the journey chart, the JSON keys, and PyTorch autograd's stored gradients reached
through the CLI. The vanishing/exploding samples are checked against bounds derived in the comments.
"""

import io
import json
import math
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from rnncalc import backward, cells, choices, cli_values

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
REFERENCE = Path(__file__).parent / "reference"
TORCH_CASES = json.loads((REFERENCE / "torch_grad.json").read_text())

SMALL = {  # a three-step problem for each cell, from flags
    "rnn": ["rnn", "--weights", "0.5", "--s0", "1", "-x", "1,0,-1"],
    "gated": ["gated", "--weights", "0.5", "--s0", "1", "-x", "1,0,-1"],
    "lstm": ["lstm", "--weights", "0.5", "--h0", "1", "--c0", "-1", "-x", "1,0,-1"],
    "gru": ["gru", "--weights", "0.5", "--h0", "1", "-x", "1,0,-1"],
}


def backward_titles(out):
    """The t of each "backward step t = ..." table, in the order printed."""
    return [int(t) for t in re.findall(r"^backward step t = (\d+) *$", out, re.M)]


def err(rnncalc, *args):
    """The one stderr line of a refused command (exit status 2), without the newline."""
    status, out, error = rnncalc(*args)
    assert status == 2, (out, error)
    assert error.count("\n") == 1, error
    return error.strip()


@pytest.fixture
def plain(monkeypatch):
    """A 100-column terminal without colour, run from the repository root."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        monkeypatch.delenv(name, raising=False)


# ---------------------------------------------------------------- the table

RNN_BACKWARD = """\
final: s_T = -0.3080
backward pass: L = Σ_k s_T[k] = -0.3080
backward step t = 3                                                 
                                                                    
                                                 value   norm ‖·‖₂  
 ────────────────────────────────────────────────────────────────── 
  ∂L/∂s_t     in total: from the loss                1    1.00e+00  
  ∂L/∂s_pre   at the argument of tanh in s_t    0.9052    9.05e-01  
  ∂L/∂x_t     passed on to the input x_t        0.4526    4.53e-01  
  ∂s_T/∂s_t   how much s_t still moves s_T                1.00e+00  
                                                                    
  ∂L/∂W_ss    step 3's part                     0.3289              
  ∂L/∂W_sx                                     -0.9052              
  ∂L/∂b_s                                       0.9052              
                                                                    
backward step t = 2                                                    
                                                                       
                                                    value   norm ‖·‖₂  
 ───────────────────────────────────────────────────────────────────── 
  ∂L/∂s_t     in total: from step 3 and the loss   0.4526    4.53e-01  
  ∂L/∂s_pre   at the argument of tanh in s_t       0.3928    3.93e-01  
  ∂L/∂x_t     passed on to the input x_t           0.1964    1.96e-01  
  ∂s_T/∂s_t   how much s_t still moves s_T                   4.53e-01  
                                                                       
  ∂L/∂W_ss    step 2's part                        0.2992              
  ∂L/∂W_sx                                              0              
  ∂L/∂b_s                                          0.3928              
                                                                       
backward step t = 1                                                    
                                                                       
                                                    value   norm ‖·‖₂  
 ───────────────────────────────────────────────────────────────────── 
  ∂L/∂s_t     in total: from step 2 and the loss   0.1964    1.96e-01  
  ∂L/∂s_pre   at the argument of tanh in s_t       0.0825    8.25e-02  
  ∂L/∂x_t     passed on to the input x_t           0.0412    4.12e-02  
  ∂s_T/∂s_t   how much s_t still moves s_T                   1.96e-01  
                                                                       
  ∂L/∂W_ss    step 1's part                        0.0825              
  ∂L/∂W_sx                                         0.0825              
  ∂L/∂b_s                                          0.0825              
                                                                       
the gradient of L             
                              
             shape     value  
 ──────────────────────────── 
  ∂L/∂W_ss   1×1      0.7106  
  ∂L/∂W_sx   1×1     -0.8227  
  ∂L/∂b_s    1        1.3805  
  ∂L/∂s_0    1        0.0412  
                              
the gradient's journey back through time                                    
                                                                            
  t   ‖∂L/∂s_t‖₂   ‖∂s_T/∂s_t‖₂   log₁₀ ‖∂s_T/∂s_t‖₂                        
 ────────────────────────────────────────────────────────────────────────── 
  1     1.96e-01       1.96e-01   ███████████████████████████████████▎      
  2     4.53e-01       4.53e-01   █████████████████████████████████████▊    
  3     1.00e+00       1.00e+00   ████████████████████████████████████████  
                                                                            
bars on a log scale from 10⁻⁶ (no bar) to 10⁰ (full bar)                    
"""


def test_rnn_backward_trace_exactly(rnncalc, plain):
    # s_t = tanh(0.5 s_{t-1} + 0.5 x_t), s_0 = 1, x = 1, 0, -1; L = s_3. By hand, from the forward table's
    # s_1 = tanh(1) = 0.7616, s_2 = tanh(0.3808) = 0.3634, s_3 = tanh(-0.3183) = -0.3080:
    #   ∂L/∂s_pre at t = 3 = 1 − s_3² = 0.9052, passed to s_2 as 0.5 · 0.9052 = 0.4526,
    #   at t = 2: 0.4526 (1 − s_2²) = 0.3928 → s_1 gets 0.1964; at t = 1: 0.1964 (1 − s_1²) = 0.0825.
    #   ∂L/∂W_ss = Σ_t ∂L/∂s_pre_t · s_{t-1} = 0.0825 · 1 + 0.3928 · 0.7616 + 0.9052 · 0.3634 = 0.7106.
    # The bars: log₁₀ of 0.1964, 0.4526, 1 on a scale from 10⁻⁶ to 10⁰ is 0.88, 0.94, 1 of 40 characters.
    status, out, error = rnncalc(*SMALL["rnn"], "--grad", "--no-color")
    assert status == 0 and error == ""
    assert out[out.index("final:"):] == RNN_BACKWARD


@pytest.mark.parametrize("cell", SMALL)
def test_every_cell_prints_the_backward_trace(rnncalc, plain, cell):
    status, out, error = rnncalc(*SMALL[cell], "--grad", "--no-color")
    assert status == 0 and error == ""
    made = cells.CELLS[cell]()
    v = made.visible
    backward_part = out[out.index("backward pass: "):]
    assert backward_part.startswith(f"backward pass: L = Σ_k {v}_T[k] = ")
    assert backward_titles(out) == [3, 2, 1]  # one table per step, from t = T back to t = 1
    where = [backward_part.index(f"backward step t = {t} ") for t in (3, 2, 1)]
    for t, start, end in zip((3, 2, 1), where, [*where[1:], None]):
        assert f"step {t}'s part" in backward_part[start:end]
    for key in backward.step_keys(made):  # dh dc df_pre ... dx, each labelled ∂L/∂·
        name = key[1:]
        label = ("∂L/∂x_t" if key == "dx" else f"∂L/∂{name}_t" if not name.endswith("_pre")
                 else f"∂L/∂{made.equation(name[:-4]).symbol.removesuffix('_t')}_pre")
        assert backward_part.count(f"  {label} ") == 3, label
    totals = backward_part[backward_part.index("the gradient of L"):backward_part.index("the gradient's journey")]
    for name in made.param_names:
        assert f"  ∂L/∂{name} " in totals
    for s in made.states:
        assert f"  ∂L/∂{s.name}_0 " in totals
    journey = backward_part[backward_part.index("the gradient's journey back through time"):]
    assert f"‖∂L/∂{v}_t‖₂   ‖∂{v}_T/∂{v}_t‖₂   log₁₀ ‖∂{v}_T/∂{v}_t‖₂" in journey
    assert "█" * 40 in journey  # t = T, where ∂v_T/∂v_T = I: the full bar
    assert "bars on a log scale from 10⁻⁶ (no bar) to 10⁰ (full bar)" in journey


def test_the_lstm_shows_its_memory_gradient_and_gates(rnncalc, plain):
    status, out, _ = rnncalc(*SMALL["lstm"], "--grad", "--no-color")
    step_3 = out[out.index("backward step t = 3"):out.index("backward step t = 2")]
    rows = [line.split()[0] for line in step_3.splitlines()[4:] if line.strip()]
    assert rows == ["∂L/∂h_t", "∂L/∂c_t", "∂L/∂f_pre", "∂L/∂i_pre", "∂L/∂o_pre", "∂L/∂c̃_pre", "∂L/∂x_t",
                    "∂h_T/∂h_t", "∂L/∂W_fh", "∂L/∂W_fx", "∂L/∂b_f", "∂L/∂W_ih", "∂L/∂W_ix", "∂L/∂b_i",
                    "∂L/∂W_oh", "∂L/∂W_ox", "∂L/∂b_o", "∂L/∂W_ch", "∂L/∂W_cx", "∂L/∂b_c"]
    assert "in total: from the loss" in step_3 and "at the argument of σ in f_t" in step_3


def test_peepholes_and_an_output_layer(rnncalc, plain):
    status, out, _ = rnncalc("lstm", "--weights", "0.5", "-p", "P_o=1", "-p", "W_y=[[1], [2]]", "-x", "1,2",
                             "--grad", "--loss", "xent", "--target", "0,1", "--no-color")
    assert status == 0
    assert out.count("  ∂L/∂y_pre   at the argument of softmax in y_t ") == 2
    assert out.count("  ∂L/∂P_o ") == 3 and out.count("  ∂L/∂W_y ") == 3  # two steps' parts and the total


def test_the_loss_line_names_the_loss(rnncalc, plain):
    def line(*args):
        out = rnncalc("rnn", SAMPLES / "rnn_softmax.yaml", "--grad", "--no-color", *args)[1]
        return out[out.index("backward pass:"):].splitlines()[0]

    # From the sample's expected y (4 decimals): −(log 0.5420 + log 0.4417 + log 0.4229) = 2.290.
    assert line("--loss", "xent", "--target", "0,1,2") == "backward pass: L = −Σ_t log y_t[k_t] = 2.2901"
    assert line("--loss", "mse", "--target", "[1, 0, 0]").startswith("backward pass: L = ½ ‖y_T − target‖² = ")
    assert line("--loss", "dot", "--target", "[[1, 0, 0], [0, 1, 0], [0, 0, 1]]").startswith(
        "backward pass: L = Σ_t ⟨target_t, y_t⟩ = ")


def test_steps_chooses_the_backward_tables_too(rnncalc, rnncalc_json, plain):
    out = rnncalc(*SMALL["gru"], "--grad", "--no-color", "--steps", "2")[1]
    assert backward_titles(out) == [2]
    assert "2 of 3 backward steps not shown, as above" in out
    assert "  1     " in out[out.index("the gradient's journey"):]  # the journey always has every step
    doc = rnncalc_json(*SMALL["gru"], "--grad", "--steps", "2")
    assert [r["t"] for r in doc["backward"]] == [2] and len(doc["jacobian_norms"]) == 3


def test_long_runs_show_the_first_and_last_steps_back(rnncalc, plain):
    out = rnncalc("rnn", SAMPLES / "vanishing_rnn.yaml", "--grad", "--no-color")[1]
    assert backward_titles(out) == [20, *range(10, 0, -1)]  # the steps the forward trace shows, in reverse
    assert "9 of 20 backward steps not shown, as above" in out
    assert "see all with --format json" in out


# ---------------------------------------------------------------- JSON

def test_json_keys_and_shapes(rnncalc_json, tmp_path):
    # H = 2, D = 3, T = 4, every parameter given split.
    problem = yaml.safe_load((SAMPLES / "lstm_vector.yaml").read_text())
    for gate in "fioc":
        w = np.array(problem.pop(f"W_{gate}"))
        problem[f"W_{gate}h"], problem[f"W_{gate}x"] = w[:, :2].tolist(), w[:, 2:].tolist()
    path = tmp_path / "split.yaml"
    path.write_text(yaml.safe_dump(problem))
    doc = rnncalc_json("lstm", path, "--grad")
    lstm = cells.lstm()
    keys = list(doc)
    assert keys[keys.index("final"):] == ["final", "loss", "grad", "backward", "jacobian_norms", "expect"]
    every = list(rnncalc_json("lstm", path, "--grad", "--journey", "every"))
    assert every[every.index("final"):] == ["final", "loss", "grad", "backward", "jacobian_norms", "jacobian_norms_c",
                                            "expect"]
    assert isinstance(doc["loss"], float) and doc["loss"] == pytest.approx(sum(doc["final"]["h"]), rel=1e-15)
    shapes = {name: np.shape(value) for name, value in doc["grad"].items()}
    assert shapes == {**{p.name: {"weight": (2, 2) if p.name.endswith("h") else (2, 3), "bias": (2,)}[p.kind]
                         for p in lstm.params}, "h0": (2,), "c0": (2,)}
    assert list(doc["grad"]) == [*lstm.param_names, "h0", "c0"]
    assert [r["t"] for r in doc["backward"]] == [1, 2, 3, 4]  # time order, as "steps"
    for record in doc["backward"]:
        assert list(record) == ["t", *backward.step_keys(lstm)]
        assert all(len(record[k]) == (3 if k == "dx" else 2) for k in record if k != "t")
    assert len(doc["jacobian_norms"]) == 4 and doc["jacobian_norms"][-1] == 1.0  # ∂h_T/∂h_T = I
    # For L = Σ_k h_T[k] the gradient arriving at h_T is all ones, and ‖∂L/∂h_t‖ ≤ ‖1‖ ‖∂h_T/∂h_t‖₂.
    assert doc["backward"][-1]["dh"] == [1.0, 1.0]
    for record, norm in zip(doc["backward"], doc["jacobian_norms"]):
        assert np.linalg.norm(record["dh"]) <= math.sqrt(2) * norm * (1 + 1e-12)


def test_concatenated_weights_get_the_block_gradient(rnncalc_json, tmp_path):
    # W_f = [W_fh W_fx] acting on [h_{t-1}; x_t]: dL/dW_f = [dL/dW_fh dL/dW_fx], the split run's blocks side by side.
    problem = yaml.safe_load((SAMPLES / "lstm_vector.yaml").read_text())
    concatenated = rnncalc_json("lstm", SAMPLES / "lstm_vector.yaml", "--grad")
    for gate in "fioc":
        w = np.array(problem.pop(f"W_{gate}"))
        problem[f"W_{gate}h"], problem[f"W_{gate}x"] = w[:, :2].tolist(), w[:, 2:].tolist()
    path = tmp_path / "split.yaml"
    path.write_text(yaml.safe_dump(problem))
    split = rnncalc_json("lstm", path, "--grad")
    assert list(concatenated["grad"]) == ["W_f", "b_f", "W_i", "b_i", "W_o", "b_o", "W_c", "b_c", "h0", "c0"]
    for gate in "fioc":
        block = np.hstack([split["grad"][f"W_{gate}h"], split["grad"][f"W_{gate}x"]])  # (2, 2) | (2, 3) -> (2, 5)
        assert np.array_equal(concatenated["grad"][f"W_{gate}"], block)
    assert concatenated["backward"] == split["backward"] and concatenated["loss"] == split["loss"]


def test_gated_concatenated_weights(rnncalc_json):
    doc = rnncalc_json("gated", "-p", "W_g=[[0.5, -1]]", "-p", "W_s=[[1, 0.5]]", "-x", "1,2", "--grad")
    assert list(doc["grad"]) == ["W_g", "b_g", "W_s", "b_s", "s0"] and np.shape(doc["grad"]["W_g"]) == (1, 2)


@pytest.mark.parametrize("case", TORCH_CASES, ids=[c["name"] for c in TORCH_CASES])
def test_json_gradients_equal_pytorch_autograd(rnncalc_json, tmp_path, case):
    # tests/reference/torch_grad.json, made by make_torch_grad_reference.py: torch.nn.RNN/LSTM/GRU in float64.
    # The problem goes through YAML (floats written by repr, so read back exactly); the mse target through
    # --target, the dot target through the file's loss: and target: keys.
    problem, loss = dict(case["problem"]), case["loss"]
    args = ["--grad"]
    if loss["kind"] == "mse":
        args += ["--loss", "mse", "--target", json.dumps(loss["target"])]
    elif loss["kind"] == "dot":
        problem.update(loss=loss["kind"], target=loss["target"])
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(problem))
    doc = rnncalc_json(case["cell"], path, *args)

    def close(actual, expected, what):  # 1e-10 relative; atol for components that are 0 up to rounding
        np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-10, atol=1e-12, err_msg=what)

    close(doc["loss"], case["value"], "loss")
    assert set(doc["grad"]) == set(case["grad"]) - {"x"}
    for name, value in doc["grad"].items():
        close(value, case["grad"][name], name)
    close([r["dx"] for r in doc["backward"]], case["grad"]["x"], "x")


def test_xent_on_a_softmax_output(rnncalc_json):
    # L = −Σ_t log y_t[k_t], from the forward pass's own y_t.
    doc = rnncalc_json("rnn", SAMPLES / "rnn_softmax.yaml", "--grad", "--loss", "xent", "--target", "0,1,2")
    ys = [step["y"] for step in doc["steps"]]
    assert doc["loss"] == pytest.approx(-sum(math.log(y[k]) for y, k in zip(ys, (0, 1, 2))), rel=1e-14)
    # dL/dz_y = y_t − onehot(k_t): y_1 − e_0 at t = 1.
    assert doc["backward"][0]["dy_pre"] == pytest.approx([ys[0][0] - 1, ys[0][1], ys[0][2]], abs=1e-15)


def test_xent_of_a_certain_class_is_written_0(rnncalc):
    # W_y = 0, b_y = (800, −800): log softmax(z)[0] = −log(1 + e^−1600) = 0 in float64, so L = −0 = 0:
    # written 0.0, as every other zero of the document, never -0.0.
    status, out, err = rnncalc("rnn", "--weights", "0", "-p", "W_y=0", "-p", "b_y=800,-800", "--output",
                               "softmax", "-x", "1,2", "--grad", "--loss", "xent", "--target", "0,0", "-f", "json")
    assert status == 0, err
    assert '"loss": 0.0,' in out and "-0.0" not in out


def test_a_reset_before_b_nh_given_as_0_gets_b_ns_gradient(rnncalc_json):
    # reset-before: n_t = tanh(W_nx x_t + W_nh (r_t ⊙ h_{t-1}) + b_n), and a b_nh given (as 0, the only value
    # it may take) is a term beside b_n, so ∂L/∂b_nh = ∂L/∂b_n; b_n's own gradient is checked by finite
    # differences in test_backward. Not given, it has no entry.
    args = ["gru", "--weights", "0.5", "--h0", "1", "-x", "1,2", "--variant", "reset-before", "--grad"]
    given = rnncalc_json(*args, "-p", "b_nh=0")["grad"]
    assert list(given)[list(given).index("b_n") + 1] == "b_nh"
    assert given["b_nh"] == given["b_n"] and given["b_n"] != [0.0]
    assert "b_nh" not in rnncalc_json(*args)["grad"]


# ---------------------------------------------------------------- where the target comes from

def test_target_from_flag_file_and_yaml_agree(rnncalc_json, tmp_path):
    target = [[0.1, -0.2], [0.3, 0.4], [0.5, 0.6]]
    base = ["rnn", "--weights", "0.5", "--hidden", "2", "-x", "1,-1,2", "--grad", "--loss", "mse"]
    by_flag = rnncalc_json(*base, "--target", json.dumps(target))
    np.save(tmp_path / "t.npy", np.array(target))
    (tmp_path / "t.csv").write_text("".join(f"{a},{b}\n" for a, b in target))
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text(f"loss: mse\ntarget: {json.dumps(target)}\n")
    runs = [rnncalc_json(*base, "--target-file", tmp_path / "t.npy"),
            rnncalc_json(*base, "--target-file", tmp_path / "t.csv"),
            rnncalc_json("rnn", yaml_file, *base[1:7], "--grad")]
    for run in runs:
        assert run["grad"] == by_flag["grad"] and run["loss"] == by_flag["loss"]


def test_one_target_means_the_final_step(rnncalc_json):
    # mse with one target row: L = ½ ‖s_T − target‖², so only step T gets a direct term.
    doc = rnncalc_json("rnn", "--weights", "0.5", "-x", "1,-1,2", "--grad", "--loss", "mse", "--target", "0.25")
    s_T = doc["final"]["s"][0]
    assert doc["loss"] == pytest.approx(0.5 * (s_T - 0.25) ** 2, rel=1e-15)
    assert doc["backward"][-1]["ds"] == pytest.approx([s_T - 0.25], rel=1e-15)
    # With D = H = 1 a list of T numbers is one target per step.
    doc = rnncalc_json("rnn", "--weights", "0.5", "-x", "1,-1,2", "--grad", "--loss", "mse", "--target", "0,0,0")
    assert doc["loss"] == pytest.approx(0.5 * sum(s["s"][0] ** 2 for s in doc["steps"]), rel=1e-15)


def test_flags_override_the_file(rnncalc_json, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("weights: 0.5\nx: [1, -1, 2]\nloss: mse\ntarget: [0, 0, 0]\n")
    assert rnncalc_json("rnn", path, "--grad", "--target", "1")["loss"] == pytest.approx(
        0.5 * (rnncalc_json("rnn", path)["final"]["s"][0] - 1) ** 2, rel=1e-15)
    # --loss sum overrides the file's loss, and with it the file's target.
    doc = rnncalc_json("rnn", path, "--grad", "--loss", "sum")
    assert doc["loss"] == doc["final"]["s"][0]


def test_the_yaml_loss_is_checked_without_grad(rnncalc, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("weights: 0.5\nx: [1, -1, 2]\nloss: mse\ntarget: [0, 0]\n")
    assert err(rnncalc, "rnn", path) == (
        f"rnncalc: {path}:4: target: expected one target per step, shape (3, 1), or one for the final step, "
        "shape (1,), each like s_t (H = 1); found shape (2,)")
    path.write_text("weights: 0.5\nx: [1, -1, 2]\nloss: mse\ntarget: [0, 0, 0]\n")
    assert rnncalc("rnn", path)[0] == 0


def test_streamed_input(rnncalc_json, monkeypatch):
    # -x - reads steps as they come; --grad needs them all, and reads the stream to its end first.
    monkeypatch.setattr(sys, "stdin", io.StringIO("1\n-1\n2\n"))
    streamed = rnncalc_json("rnn", "--weights", "0.5", "-x", "-", "--grad", "--loss", "dot", "--target", "1,2,3")
    given = rnncalc_json("rnn", "--weights", "0.5", "-x", "1,-1,2", "--grad", "--loss", "dot", "--target", "1,2,3")
    assert streamed["grad"] == given["grad"] and streamed["backward"] == given["backward"]


def test_grad_table_shows_the_steps_a_table_shows(rnncalc):
    # A table of 20 steps shows the first 10 and the last; the backward pass shows the same steps.
    status, out, _ = rnncalc("rnn", SAMPLES / "vanishing_rnn.yaml", "--no-color", "--grad")
    assert status == 0 and backward_titles(out) == [20, *range(10, 0, -1)]


# ---------------------------------------------------------------- refusals: one line, exit status 2

SOFTMAX = ["rnn", SAMPLES / "rnn_softmax.yaml", "--grad"]


@pytest.mark.parametrize("args, message", [
    (["rnn", "--weights", "1", "-x", "1", "--grad", "--round", "sign"],
     "--grad: cannot differentiate a rounded run (--round sign): a rounded σ or tanh is piecewise constant, with "
     "no gradient; run without rounding"),
    (["lstm", "--weights", "1", "-x", "1", "--grad", "--round", "none", "--round-tanh", "nearest"],
     "--grad: cannot differentiate a rounded run (--round-tanh nearest): a rounded σ or tanh is piecewise "
     "constant, with no gradient; run without rounding"),
    (["lstm", SAMPLES / "seed.yaml", "--grad"],
     f"--grad: cannot differentiate a rounded run ({SAMPLES / 'seed.yaml'}:11: round): a rounded σ or tanh is "
     "piecewise constant, with no gradient; run without rounding (--round none overrides the file)"),
    (["lstm", SAMPLES / "lstm_homework.yaml", "--grad"],
     f"--grad: cannot differentiate a rounded run ({SAMPLES / 'lstm_homework.yaml'}:21: round_state): a state "
     "rounded to integers is piecewise constant, with no gradient; run without rounding (--no-round-state "
     "overrides the file)"),
    (["gated", "--weights", "1", "-x", "1", "--grad", "--round-state"],
     "--grad: cannot differentiate a rounded run (--round-state): a state rounded to integers is piecewise "
     "constant, with no gradient; run without rounding"),
    (["gated", SAMPLES / "gated.yaml", "--grad", "--loss", "xent", "--target", "0,1,1"],
     "--loss: xent is the cross-entropy of a softmax output y_t, and this gated problem has no output layer; "
     "give W_y (K, H), or choose --loss mse"),
    ([*SOFTMAX, "--output", "sigmoid", "--loss", "xent", "--target", "0,1,1"],
     "--loss: xent is the cross-entropy of a softmax output y_t, and this rnn problem has a sigmoid output; "
     "use --output softmax, or choose --loss mse"),
    ([*SOFTMAX, "--loss", "xent", "--target", "0,1,3"],
     "--target: expected class indices, whole numbers from 0 to 2 (y_t has K = 3); found 3 at step 3"),
    ([*SOFTMAX, "--loss", "xent", "--target", "0,-1,1"],
     "--target: expected class indices, whole numbers from 0 to 2 (y_t has K = 3); found -1 at step 2"),
    ([*SOFTMAX, "--loss", "xent", "--target", "0,1.5,1"],
     "--target: expected class indices, whole numbers from 0 to 2 (y_t has K = 3); found 1.5 at step 2"),
    ([*SOFTMAX, "--loss", "xent", "--target", "0,1"],
     "--target: expected 3 class indices, one per step; found shape (2,)"),
    ([*SOFTMAX, "--loss", "xent", "--target", "[[0, 1], [1, 0], [0, 0]]"],
     "--target: expected 3 class indices, one per step; found shape (3, 2)"),
    ([*SOFTMAX, "--loss", "mse", "--target", "0,1"],
     "--target: expected one target per step, shape (3, 3), or one for the final step, shape (3,), each like "
     "y_t (K = 3); found shape (2,)"),
    ([*SOFTMAX, "--loss", "dot", "--target", "[[1, 2], [3, 4]]"],
     "--target: expected one target per step, shape (3, 3), or one for the final step, shape (3,), each like "
     "y_t (K = 3); found shape (2, 2)"),
    (["lstm", "--weights", "1", "--hidden", "2", "-x", "1,2", "--grad", "--loss", "mse", "--target", "1,2,3"],
     "--target: expected one target per step, shape (2, 2), or one for the final step, shape (2,), each like "
     "h_t (H = 2); found shape (3,)"),
    ([*SOFTMAX, "--loss", "mse", "--target", "[1, abc, 0]"],
     "--target: expected a number at [1], found the text 'abc'"),
    ([*SOFTMAX, "--target", "0,1,2"],
     "--target: the default loss, sum, takes no target; choose --loss mse, xent or dot, or drop the target"),
    ([*SOFTMAX, "--loss", "sum", "--target", "0,1,2"],
     "--target: the loss, sum, takes no target; choose --loss mse, xent or dot, or drop the target"),
    ([*SOFTMAX, "--loss", "mse"],
     "--loss: mse needs a target; give --target, --target-file or target: in the file"),
    ([*SOFTMAX, "--loss", "xent", "--target", "0", "--target-file", "t.npy"],
     "--target-file: the target is already given by --target; give it one way"),
    (["rnn", SAMPLES / "rnn_softmax.yaml", "--loss", "mse", "--target", "0"],
     "--loss: only --grad uses a loss and its target; add --grad"),
    (["rnn", SAMPLES / "rnn_softmax.yaml", "--target", "0"],
     "--target: only --grad uses a loss and its target; add --grad"),
    ([*SOFTMAX, "--loss", "l2"],
     "Invalid value for '--loss': 'l2' is not one of 'sum', 'mse', 'xent', 'dot'. (see rnncalc rnn --help)"),
    ([*SOFTMAX, "-f", "csv"],
     "--grad: shows the backward pass as tables or as JSON; instead of -f csv, use -f json (its loss, "
     "grad and backward keys) or the table"),
    ([*SOFTMAX, "-f", "jsonl"],
     "--grad: shows the backward pass as tables or as JSON; instead of -f jsonl, use -f json (its loss, "
     "grad and backward keys) or the table"),
    ([*SOFTMAX, "-f", "markdown"],
     "--grad: shows the backward pass as tables or as JSON; instead of -f markdown, use -f json (its loss, "
     "grad and backward keys) or the table"),
    ([*SOFTMAX, "-f", "latex"],
     "--grad: shows the backward pass as tables or as JSON; instead of -f latex, use -f json (its loss, "
     "grad and backward keys) or the table"),
    ([*SOFTMAX, "-q"],
     "--grad: shows the backward pass as tables or as JSON; instead of -q, use --format json (its loss, grad "
     "and backward keys) or the table"),
], ids=lambda v: " ".join(map(str, v))[:60] if isinstance(v, list) else None)
def test_refusals(rnncalc, args, message):
    assert err(rnncalc, *args) == f"rnncalc: {message}"


@pytest.mark.parametrize("text, message", [
    ("loss: l2\n", "2: loss: expected one of sum, mse, xent, dot, found the text 'l2'"),
    ("loss: mse\n", "2: loss: mse needs a target; give --target, --target-file or target: in the file"),
    ("target: [1, 2, 3]\n",
     "2: target: the default loss, sum, takes no target; choose --loss mse, xent or dot, or drop the target"),
    ("loss: xent\ntarget: [0, 1, 1]\n", "2: loss: xent is the cross-entropy of a softmax output y_t, and this rnn "
                                        "problem has no output layer; give W_y (K, H), or choose --loss mse"),
])
def test_refusals_from_yaml(rnncalc, tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text("weights: 0.5\n" + text + "x: [1, 2, 3]\n")
    assert err(rnncalc, "rnn", path, "--grad") == f"rnncalc: {path}:{message}"


@pytest.mark.parametrize("name, content, message", [
    ("t.csv", "0,1\n1\n", "rows of different lengths [1, 2]; every row needs as many numbers"),
    ("t.csv", "0,1\nx,y\n", "expected numbers separated by spaces or commas, found 'x,y'"),
    ("t.csv", "", "holds no rows; expected one target a row"),
    ("t.json", "[1]", "expected a .npy, .csv or .txt file, found '.json'"),
])
def test_bad_target_files(rnncalc, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    where = f"{path}:2" if "x,y" in content else str(path)
    args = [*SMALL["rnn"], "--grad", "--loss", "mse", "--target-file", path]
    assert err(rnncalc, *args) == f"rnncalc: {where}: {message}"


def test_non_finite_gradient_exits_3(rnncalc):
    # s_t stays 0 (x = 0, linear), but ∂L/∂s_t = (W_ssᵀ)^(T−t) 1 reaches entries of 2e400 at t = 2: past float64.
    status, out, error = rnncalc("rnn", "--activation", "linear", "--weights", "1", "-x", "0,0,0,0", "--grad",
                                 "-p", "W_ss=[[1e200, -1e200], [1e200, 1e200]]", "-f", "json")
    assert status == 3 and out == ""
    assert error == "rnncalc: ds is not finite at step 2; the weights or inputs are too large for float64\n"


@pytest.mark.filterwarnings("error")  # a numpy warning would fail the test, not only reach stderr
def test_xent_of_saturated_logits_is_finite(rnncalc_json):
    # z_T = W_y s_T + b_y = (800, −800) with W_y = 0, so y_T = (1, 0) exactly and y_T[1] underflows to 0;
    # L = −log softmax(z)[1] = −(−800 − 800 − log(1 + e^−1600)) = 1600 in float64, and dL/dz = y − e_1 = (1, −1).
    doc = rnncalc_json("rnn", "--weights", "0.5", "-x", "1", "-p", "W_y=[[0], [0]]", "-p", "b_y=[800, -800]",
                       "--grad", "--loss", "xent", "--target", "1")
    assert doc["loss"] == 1600.0
    assert doc["backward"][0]["dy_pre"] == [1.0, -1.0]


@pytest.mark.filterwarnings("error")
def test_norms_of_huge_finite_gradients_are_finite(rnncalc, plain):
    # dL/ds_1 = target = (1e308, 1e308): ‖·‖₂ = √2 · 1e308 = 1.41e308, past float64 if squared unscaled.
    # s_0 = 0 and x = 0 keep every product finite: dL/ds_pre = (1 − s²) ⊙ target = target (s_1 = tanh(0) = 0).
    status, out, err = rnncalc("rnn", "--weights", "0.5", "--hidden", "2", "-x", "0", "--grad", "--loss", "dot",
                               "--target", "1e308,1e308", "--no-color")
    assert status == 0 and err == ""
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ∂")}
    assert rows["∂L/∂s_t"].split()[-1] == "1.41e+308" and rows["∂L/∂s_pre"].split()[-1] == "1.41e+308"


@pytest.mark.filterwarnings("error")
def test_overflowing_gradient_warns_nothing(rnncalc):
    status, _, error = rnncalc("rnn", "--activation", "linear", "--weights", "1", "-x", "0,0,0,0", "--grad",
                               "-p", "W_ss=[[1e200, -1e200], [1e200, 1e200]]")
    assert status == 3 and error.count("\n") == 1


def test_a_wide_weight_gradient_is_counted_in_tables(rnncalc, plain):
    # H = 17: W_ss is 17×17 = 289 numbers, over the 256 a table shows; b_s (17) is shown whole.
    status, out, _ = rnncalc("rnn", "--weights", "0.1", "--hidden", "17", "-x", "1,2", "--grad", "--no-color")
    assert status == 0
    assert out.count("289 numbers: see --format json") == 3  # two steps' parts and the total
    assert "∂L/∂b_s" in out and "17 numbers: see" not in out


# ---------------------------------------------------------------- vanishing, kept alive, exploding

def norms(rnncalc_json, cell, sample, *args):
    doc = rnncalc_json(cell, SAMPLES / sample, "--grad", *args)
    return doc, np.array(doc["jacobian_norms"])


def test_the_rnn_gradient_vanishes(rnncalc_json):
    # s_t = tanh(W_ss s_{t-1} + W_sx x_t), scalar: ∂s_T/∂s_t = Π_{k=t+1}^{T} W_ss (1 − s_k²), each factor in
    # (0, 0.5] for W_ss = 0.5. So J_t ≤ 0.5 J_{t+1}, and J_1 ≤ 0.5^19 ≈ 1.9e-6 < 1e-3 J_T.
    doc, J = norms(rnncalc_json, "rnn", "vanishing_rnn.yaml")
    s = np.array([step["s"][0] for step in doc["steps"]])
    by_hand = [np.prod(0.5 * (1 - s[t:] ** 2)) for t in range(1, 21)]  # J_t, t = 1..20 (s[t:] is s_{t+1}..s_T)
    np.testing.assert_allclose(J, by_hand, rtol=1e-12)
    assert len(J) == 20 and np.all(J[:-1] <= 0.5 * J[1:])
    assert J[0] < 1e-3 * J[-1]


def lstm_jacobian_by_hand(doc, W_ch=0.5):
    """J_t = ∂h_T/∂h_t for the sample's LSTM, whose gates see neither h nor x. Perturbing h_t (c_t held)
    moves c_{t+1} by ι_{t+1} = i (1 − c̃²) W_ch, then δc_k = (f_k + ι_k A_{k-1}) δc_{k-1} with
    A_k = ∂h_k/∂c_k = o_k (1 − tanh² c_k), and δh_T = A_T δc_T:
        J_t = A_T ι_{t+1} Π_{k=t+2}^{T} (f_k + ι_k A_{k-1})  for t < T, and J_T = 1."""
    f, i, o, c_tilde, tanh_c = (np.array([step[k][0] for step in doc["steps"]])
                                for k in ("f", "i", "o", "c_tilde", "tanh_c"))
    A, iota = o * (1 - tanh_c ** 2), i * (1 - c_tilde ** 2) * W_ch  # index k - 1 for step k
    T = len(f)
    J = [A[-1] * iota[t] * np.prod([f[k - 1] + iota[k - 1] * A[k - 2] for k in range(t + 2, T + 1)])
         for t in range(1, T)]
    return np.array([*J, 1.0])


def test_the_lstm_forget_gate_keeps_the_gradient_alive(rnncalc_json):
    # In J_t (lstm_jacobian_by_hand) every factor is positive and f_k + ι_k A_{k-1} ≥ f_k = σ(b_f) = σ(4) = 0.982;
    # ι_{t+1} / ι_T = (1 − c̃_{t+1}²) / (1 − c̃_T²) ≥ 1 − tanh²(1.5) = 0.18, as |0.5 h + x| < 1.5. So going back
    # from t = T − 1 to t = 1 keeps at least 0.982^18 · 0.18 = 0.13 of the gradient: J_1 > 0.1 J_{T-1}.
    doc, J = norms(rnncalc_json, "lstm", "vanishing_lstm.yaml")
    np.testing.assert_allclose(J, lstm_jacobian_by_hand(doc), rtol=1e-12)
    assert J[0] > 0.1 * J[-2]
    # Against the RNN's over the same 20 inputs: J_1 ≤ 1.9e-6 there (test_the_rnn_gradient_vanishes).
    assert J[0] > 1e4 * norms(rnncalc_json, "rnn", "vanishing_rnn.yaml")[1][0]


def test_a_shut_forget_gate_lets_it_vanish(rnncalc_json):
    # b_f = -4: f = σ(-4) = 0.018, and ι_k A_{k-1} ≤ 0.5 · 1 · 0.5 · σ(1) = 0.18, so each factor ≤ 0.2;
    # with the ι ratio ≤ 1 / 0.18, J_1 ≤ 0.2^18 / 0.18 ≈ 1.5e-12 J_{T-1}.
    # (h_T and c_T for b_f = -4 worked with plain-Python arithmetic, as the sample's own.)
    doc, J = norms(rnncalc_json, "lstm", "vanishing_lstm.yaml", "-p", "b_f=-4", "--expect", "h=-0.2437",
                   "--expect", "c=-0.3465")
    np.testing.assert_allclose(J, lstm_jacobian_by_hand(doc), rtol=1e-12)
    assert J[0] < 1e-3 * J[-2] and J[0] < 1e-3 * J[-1]


def test_a_linear_rnn_with_large_weight_explodes(rnncalc_json):
    # Linear activation: ∂s_T/∂s_t = W_ss^(T−t) exactly, 1.5^19 ≈ 2216.8 at t = 1. (The sample's expect:
    # is for tanh, so a fresh problem with the same inputs.)
    x = yaml.safe_load((SAMPLES / "vanishing_rnn.yaml").read_text())["x"]
    doc = rnncalc_json("rnn", "--activation", "linear", "--weights", "1", "-p", "W_ss=1.5", "-x",
                       json.dumps(x), "--grad")
    np.testing.assert_allclose(doc["jacobian_norms"], [1.5 ** (20 - t) for t in range(1, 21)], rtol=1e-12)
    assert doc["jacobian_norms"][0] > 1e3


# ---------------------------------------------------------------- help

@pytest.mark.parametrize("cell", sorted(cells.CELLS))
def test_help_documents_the_flags(rnncalc, cell, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    status, out, _ = rnncalc(cell, "--help")
    assert status == 0
    for flag in ("--grad", "--loss", "--target", "--target-file"):
        assert flag in out
    assert f"Backpropagation through time: rnncalc {cell} " in out


def test_loss_choices_are_the_cores():
    assert [k.value for k in cli_values.LossKind] == list(choices.LOSS_KINDS)


def test_grad_examples_in_help_run(rnncalc, plain):
    for example in (entry.grad_example for entry in cells.CELLS.values()):
        status, _, error = rnncalc(*example.split()[1:], "-f", "json")
        assert status == 0, (example, error)
