"""The command line as a user meets it: answers, flags, and one-line errors with exit status 2."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import CELL_NAMES
from rnncalc import __version__

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

SEED = ["lstm", "--weights", "1", "--h0", "1", "--c0", "1", "-x", "5"]


class TestSeedExample:
    """All weights, h and c are 1, x = 5: h = 1 and c = 2 rounded, h = 0.9613 exact."""

    @pytest.mark.parametrize("mode", ["sign", "nearest"])
    def test_rounded(self, rnncalc_json, mode):
        doc = rnncalc_json(*SEED, "--round", mode)
        assert doc["final"] == {"h": [1.0], "c": [2.0]}
        assert doc["rounding"] == {"sigmoid": mode, "tanh": mode, "state": "none"}

    def test_exact(self, rnncalc_json):
        doc = rnncalc_json(*SEED)
        assert round(doc["final"]["h"][0], 4) == 0.9613
        assert "f_exact" not in doc["steps"][0]

    def test_table_shows_every_quantity_and_the_answer(self, rnncalc):
        status, out, err = rnncalc(*SEED, "--round", "sign", "--no-color")
        assert status == 0 and err == ""
        for text in ("f_t", "i_t", "o_t", "c̃_t", "c_t", "tanh(c_t)", "h_t", "σ(1·1 + 1·5 + 0)",
                     "--weights 1 (fill)", "default 0", "final: h_T = 1   c_T = 2"):
            assert text in out

    def test_sample_file_gives_the_same(self, rnncalc_json):
        assert rnncalc_json("lstm", SAMPLES / "seed.yaml")["final"] == {"h": [1.0], "c": [2.0]}


class TestInputs:
    def test_flags_override_the_file(self, rnncalc):
        status, out, err = rnncalc("lstm", SAMPLES / "seed.yaml", "--round", "none", "-x", "0", "-p", "W_fh=0",
                                   "-f", "json")
        doc = json.loads(out)
        assert doc["steps"][0]["x"] == [0.0]
        assert doc["steps"][0]["f_pre"] == [0.0]  # W_fh·h + W_fx·x + b_f = 0·1 + 1·0 + 0
        # The file's expect: (h = 1, c = 2) still applies, and no longer holds.
        assert status == 1 and err.startswith("rnncalc: 2 of 2 expected values do not hold; first: h at t = 1")

    def test_stdin(self, rnncalc, monkeypatch):
        monkeypatch.setattr(sys, "stdin", open(SAMPLES / "seed.yaml"))
        status, out, _ = rnncalc("lstm", "-", "-f", "json")
        assert status == 0 and json.loads(out)["final"]["c"] == [2.0]

    def test_concatenated_weights_equal_split_weights(self, rnncalc_json, tmp_path):
        # W_f = [W_fh W_fx] acting on [h; x]: the split form of the same numbers gives the same run.
        split = tmp_path / "split.yaml"
        split.write_text("W_fh: 0.5\nW_fx: -1\nW_ih: 0.25\nW_ix: 2\nW_oh: 1\nW_ox: 0\nW_ch: -0.5\nW_cx: 1\n")
        concatenated = tmp_path / "concatenated.yaml"
        concatenated.write_text("W_f: [[0.5, -1]]\nW_i: [[0.25, 2]]\nW_o: [[1, 0]]\nW_c: [[-0.5, 1]]\n")
        runs = [rnncalc_json("lstm", f, "-x", "1,2,-1", "--h0", "0.3") for f in (split, concatenated)]
        assert runs[0]["steps"] == runs[1]["steps"]

    def test_yaml_1_2_numbers(self, rnncalc_json, tmp_path):
        problem = tmp_path / "p.yaml"
        problem.write_text("W_ss: 1e-3\nW_sx: -2E+5\nx: 1e-5\n")
        doc = rnncalc_json("rnn", problem)
        assert doc["steps"][0]["s_pre"] == [pytest.approx(-2e5 * 1e-5)]

    def test_column_vectors_and_scalar_fill(self, rnncalc_json):
        doc = rnncalc_json("gated", "--weights", "0", "--s0", "[[0.5], [-0.5]]", "-p", "b_g=100", "-x", "1")
        assert doc["hidden_size"] == 2
        # With every weight 0 and b_s = 0, s̃ = tanh(0) = 0; g = σ(100) = 1 moves s all the way to 0.
        assert doc["final"]["s"] == [0.0, 0.0]

    def test_vector_inputs(self, rnncalc_json):
        doc = rnncalc_json("rnn", "--weights", "1", "--hidden", "2", "-x", "[[1, 2, 3], [0, 0, 0]]")
        assert doc["input_size"] == 3 and len(doc["steps"]) == 2
        assert doc["steps"][0]["s_pre"] == [6.0, 6.0]

    def test_round_state_keeps_the_exact_value(self, rnncalc_json):
        doc = rnncalc_json("lstm", SAMPLES / "lstm_homework.yaml")
        assert [s["h"][0] for s in doc["steps"]] == [0, 0, 1, -1, 1, 0]
        assert doc["rounding"]["state"] == "nearest"
        assert all("h_exact" in s for s in doc["steps"])

    def test_round_specific_beats_general(self, rnncalc_json):
        doc = rnncalc_json(*SEED, "--round", "sign", "--round-tanh", "none")
        assert doc["rounding"] == {"sigmoid": "sign", "tanh": "none", "state": "none"}

    def test_output_layer(self, rnncalc_json):
        doc = rnncalc_json("rnn", SAMPLES / "rnn_softmax.yaml")
        assert doc["output_size"] == 3 and doc["output"] == "softmax"
        for step in doc["steps"]:
            assert sum(step["y"]) == pytest.approx(1.0, abs=1e-15)


def err(rnncalc, *args):
    status, out, error = rnncalc(*args)
    assert status == 2, (out, error)
    assert error.count("\n") == 1, error
    return error.strip()


class TestBadInput:
    """One line on stderr, naming where and what, and exit status 2."""

    @pytest.fixture
    def yaml_file(self, tmp_path):
        def write(text):
            path = tmp_path / "p.yaml"
            path.write_text(text)
            return path
        return write

    def test_missing_file(self, rnncalc):
        assert err(rnncalc, "lstm", "nope.yaml") == "rnncalc: nope.yaml: no such file"

    def test_unknown_key_suggests(self, rnncalc, yaml_file):
        path = yaml_file("weights: 1\nW_fhh: 1\nx: 1\n")
        assert err(rnncalc, "lstm", path) == \
            f"rnncalc: {path}:2: unknown parameter 'W_fhh' for the lstm cell; did you mean W_fh?"

    def test_a_name_that_is_no_parameter_is_refused(self, rnncalc, yaml_file):
        path = yaml_file("weights: 1\nu_h: 1\nx: 1\n")
        assert err(rnncalc, "gru", path) == (
            f"rnncalc: {path}:2: unknown key 'u_h' for the gru cell; its parameters are "
            "W_rh W_rx b_r W_zh W_zx b_z W_nx W_nh b_n b_nh (rnncalc equations gru)")

    def test_the_gru_candidate_has_no_concatenated_weight(self, rnncalc):
        assert err(rnncalc, "gru", "--weights", "1", "-x", "1", "-p", "W_n=[[1, 1]]") == \
            "rnncalc: --param W_n: unknown parameter 'W_n' for the gru cell; did you mean W_nx?"

    def test_key_of_another_cell(self, rnncalc):
        assert err(rnncalc, "lstm", "--weights", "1", "-x", "1", "-p", "W_gs=1") == \
            "rnncalc: --param W_gs: unknown parameter 'W_gs' for the lstm cell; it belongs to the gated cell"

    def test_repeated_key(self, rnncalc, yaml_file):
        path = yaml_file("W_ss: 1\nW_sx: 1\nW_ss: 2\nx: 1\n")
        assert err(rnncalc, "rnn", path) == f"rnncalc: {path}:3: key 'W_ss' given twice (first at line 1)"

    def test_wrong_shape(self, rnncalc, yaml_file):
        path = yaml_file("weights: 1\nhidden: 2\nW_fh: [1, 2]\nx: 1\n")
        assert err(rnncalc, "lstm", path) == f"rnncalc: {path}:3: W_fh: expected shape (2, 2) (H, H), found (2,)"

    def test_disagreeing_sizes(self, rnncalc, yaml_file):
        path = yaml_file("W_fh: [[1, 2], [3, 4]]\nb_f: [1, 2, 3]\nx: 1\n")
        assert err(rnncalc, "lstm", path, "--weights", "1") == (
            f"rnncalc: {path}:2: b_f: shape (3,) makes the hidden size H = 3, but W_fh (2, 2) makes it 2")

    def test_both_forms(self, rnncalc, yaml_file):
        path = yaml_file("W_f: [[1, 2]]\nW_fh: 1\nx: 1\n")
        assert "given both as W_f and as W_fh" in err(rnncalc, "lstm", path, "--weights", "1")

    def test_missing_weights_named(self, rnncalc):
        assert err(rnncalc, "rnn", "-x", "1", "-p", "W_ss=1") == (
            "rnncalc: missing weight W_sx (H, D); give it in the file or with -p NAME=VALUE, "
            "or fill every weight with --weights V")

    def test_no_input(self, rnncalc):
        assert err(rnncalc, "rnn", "--weights", "1") == "rnncalc: x: no input sequence; give x in the file, or use -x or --x-file"

    def test_boolean_for_number(self, rnncalc, yaml_file):
        path = yaml_file("weights: 1\nx: [1, true]\n")
        assert err(rnncalc, "lstm", path) == f"rnncalc: {path}:2: x step 2: expected a number, found the boolean true"

    def test_text_for_number(self, rnncalc):
        assert err(rnncalc, "rnn", "--weights", "1", "-x", "1", "--s0", "abc") == \
            "rnncalc: --s0: expected a number, found the text 'abc'"

    def test_ragged(self, rnncalc):
        assert "ragged list" in err(rnncalc, "rnn", "--weights", "1", "-x", "1", "-p", "W_ss=[[1, 2], [3]]")

    def test_nan_refused(self, rnncalc):
        assert err(rnncalc, "rnn", "--weights", "1", "-x", ".nan") == \
            "rnncalc: -x step 1: expected a finite number, found nan"

    def test_step_size_mismatch(self, rnncalc):
        # three numbers: neither one step of D = 2 numbers nor steps of 2 numbers each
        assert err(rnncalc, "rnn", "--weights", "1", "--input", "2", "-x", "1,2,3") == (
            "rnncalc: -x step 1: is one number, but the input size D is 2; give each step as a list of 2 "
            "numbers, e.g. [0, 0]")

    def test_not_a_mapping(self, rnncalc, yaml_file):
        path = yaml_file("- 1\n- 2\n")
        assert err(rnncalc, "lstm", path) == \
            f"rnncalc: {path}: expected a mapping of keys such as W_fh, h0 and x, found a list"

    def test_malformed_yaml(self, rnncalc, yaml_file):
        path = yaml_file("W_ss: [1,\n")
        assert err(rnncalc, "rnn", path).startswith(f"rnncalc: {path}:2: not valid YAML:")

    def test_python_tags_refused(self, rnncalc, yaml_file):
        path = yaml_file("W_ss: !!python/object/apply:os.system ['echo hacked']\n")
        assert err(rnncalc, "rnn", path) == (f"rnncalc: {path}:1: the tag !!python/object/apply:os.system is "
                                             "refused: rnncalc reads plain YAML data (numbers, lists, mappings) only")

    def test_wrong_cell(self, rnncalc):
        assert "describes cell 'lstm', not 'rnn'" in err(rnncalc, "rnn", SAMPLES / "seed.yaml")

    def test_activation_only_for_rnn(self, rnncalc, yaml_file):
        path = yaml_file("weights: 1\nx: 1\nactivation: relu\n")
        assert err(rnncalc, "gated", path) == \
            f"rnncalc: {path}:3: activation: only the rnn cell takes this option, not gated"

    def test_output_without_layer(self, rnncalc):
        assert err(rnncalc, "gated", "--weights", "1", "-x", "1", "--output", "linear") == \
            "rnncalc: --output: there is no output layer to apply it to; give W_y (K, H)"

    @pytest.mark.parametrize("args", [
        ["lstm", "--weights", "1", "-x", "1", "--round", "up"],
        ["lstm", "--bogus"],
        ["frobnicate"],
        ["lstm", "--weights", "1", "-x", "1", "--hidden", "0"],
    ])
    def test_usage_errors_are_one_line(self, rnncalc, args):
        assert err(rnncalc, *args).startswith("rnncalc: ")

    def test_parameter_given_twice_by_flags(self, rnncalc):
        assert err(rnncalc, "rnn", "--weights", "1", "-x", "1", "-p", "b_s=1", "-p", "b_s=2") == \
            "rnncalc: --param b_s: given twice"


def test_non_finite_result_exits_3(rnncalc):
    status, out, error = rnncalc("rnn", "--weights", "1e300", "--activation", "relu", "-x", "1e300", "-f", "json")
    assert status == 3 and out == ""
    assert error == "rnncalc: s_pre is not finite at step 1; the weights or inputs are too large for float64\n"


class TestOtherCommands:
    def test_version(self, rnncalc):
        assert rnncalc("--version")[:2] == (0, f"rnncalc {__version__}\n")

    @pytest.mark.parametrize("cell", CELL_NAMES)
    def test_init_template_runs(self, rnncalc, tmp_path, cell):
        status, template, _ = rnncalc("init", cell, "--hidden", "2", "--input", "3")
        assert status == 0
        path = tmp_path / "t.yaml"
        path.write_text(template)
        status, out, _ = rnncalc(cell, path, "-f", "json")
        doc = json.loads(out)
        assert status == 0 and (doc["hidden_size"], doc["input_size"], len(doc["steps"])) == (2, 3, 3)

    def test_equations(self, rnncalc):
        status, out, _ = rnncalc("equations", "lstm", "--no-color")
        assert status == 0
        assert "c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t" in out and "W_f = [W_fh W_fx]" in out

    @pytest.mark.parametrize("cell", CELL_NAMES)
    def test_help_has_an_example(self, rnncalc, cell):
        status, out, _ = rnncalc(cell, "--help")
        assert status == 0 and f"Example: rnncalc {cell}" in out


def test_python_dash_m():
    result = subprocess.run([sys.executable, "-m", "rnncalc", "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == f"rnncalc {__version__}\n"


class TestGruAndPeepholes:
    def test_gru_options_in_json(self, rnncalc_json):
        doc = rnncalc_json("gru", "--weights", "0.5", "-x", "1", "--variant", "reset-before", "--z-weighs", "new")
        assert (doc["variant"], doc["z_weighs"]) == ("reset-before", "new")
        assert list(doc["steps"][0])[2:] == ["r_pre", "r", "z_pre", "z", "n_pre", "n", "h"]

    def test_reset_before_takes_b_nh_only_as_zero(self, rnncalc, rnncalc_json):
        args = ["gru", "--weights", "0.5", "-x", "1", "--variant", "reset-before"]
        assert rnncalc_json(*args, "-p", "b_nh=0")["final"] == rnncalc_json(*args)["final"]
        assert err(rnncalc, *args, "-p", "b_nh=0.1") == (
            "rnncalc: --param b_nh: the GRU (reset-before) has no b_nh, so it may only be 0; fold it into "
            "the other bias, or choose the variant that has it")

    def test_equations_page_shows_both_variants(self, rnncalc):
        status, out, _ = rnncalc("equations", "gru")
        assert status == 0
        assert "n_t = tanh(W_nx x_t + b_n + r_t ⊙ (W_nh h_{t-1} + b_nh))" in out
        assert "n_t = tanh(W_nx x_t + W_nh (r_t ⊙ h_{t-1}) + b_n)" in out

    def test_peepholes_from_yaml(self, rnncalc_json, tmp_path):
        path = tmp_path / "p.yaml"
        path.write_text("weights: 0.5\nP_o: 2\nc0: 1\nx: 1\n")
        doc = rnncalc_json("lstm", path)
        assert doc["peepholes"] == ["o"]
        # o is computed from c_t, so after it.
        keys = list(doc["steps"][0])
        assert keys.index("o") > keys.index("c")

    def test_peephole_for_another_cell(self, rnncalc):
        assert err(rnncalc, "gru", "--weights", "1", "-x", "1", "-p", "P_f=1") == \
            "rnncalc: --param P_f: unknown parameter 'P_f' for the gru cell; it belongs to the lstm cell"


def test_a_refusal_names_each_flag_as_it_was_typed(rnncalc):
    assert rnncalc("lstm", "--weights", "1", "-x", "1", "--quiet", "-f", "json")[2] == \
        "rnncalc: --quiet: prints only the final state; it cannot be combined with -f json\n"
    assert rnncalc("lstm", "--weights", "1", "-x", "1", "-q", "--format", "json")[2] == \
        "rnncalc: -q: prints only the final state; it cannot be combined with --format json\n"
    assert rnncalc("lstm", "--weights", "1", "-x", "1", "--grad", "-f", "csv")[2] == \
        "rnncalc: --grad: shows the backward pass as tables or as JSON; instead of -f csv, use -f json (its loss, " \
        "grad and backward keys) or the table\n"
