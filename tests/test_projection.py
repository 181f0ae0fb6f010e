"""The projected LSTM (PyTorch's proj_size): m_t = o_t ⊙ tanh(c_t), h_t = W_hm m_t, h_t of size P and c_t of size H,
as a user meets it on the command line: its sizes, its template and equations page, a stack of it, and the one-line
errors of input that does not fit. Its numbers are checked elsewhere: by hand and by finite differences in
test_backward.py, against PyTorch's nn.LSTM(proj_size=P) in test_convert_files.py."""

import json

import pytest

W_HM = "[[1, 0.5, -1], [0.2, 0.3, 0.4]]"  # (P, H) = (2, 3)


def test_sizes_are_read_off_the_projection(rnncalc_json):
    doc = rnncalc_json("lstm", "--weights", "0.5", "-p", f"W_hm={W_HM}", "-x", "1,0.5")
    assert (doc["hidden_size"], doc["proj_size"], doc["input_size"]) == (3, 2, 1)
    step = doc["steps"][-1]
    assert [len(step[k]) for k in ("f", "c_tilde", "c", "tanh_c", "m", "h")] == [3, 3, 3, 3, 3, 2]
    # every weight 0.5 and the states 0: each unit of a step is the same, so h_t = W_hm m_t is m_t[0] times row sums
    assert step["h"] == pytest.approx([0.5 * step["m"][0], 0.9 * step["m"][0]], rel=1e-15)
    assert list(doc["final"]) == ["h", "c"] and len(doc["final"]["h"]) == 2


def test_proj_alone_makes_a_projected_lstm_filled_by_weights(rnncalc_json):
    doc = rnncalc_json("lstm", "--weights", "0.5", "--hidden", "3", "-p", "proj=2", "-x", "1")
    assert doc["proj_size"] == 2 and "m" in doc["steps"][0] and len(doc["steps"][0]["h"]) == 2


def test_the_template_runs_as_written(rnncalc, rnncalc_json, tmp_path):
    status, text, err = rnncalc("init", "lstm", "--hidden", "3", "--proj", "2", "--input", "2")
    assert status == 0, err
    assert "\nproj: 2\n" in text and "W_hm: [[0, 0, 0], [0, 0, 0]]  # (P, H): weight on m_t in h_t\n" in text
    assert "h0: [0, 0]  # (P,)" in text and "c0: [0, 0, 0]  # (H,)" in text
    assert "#   W_f: (H, P+D) = [W_fh W_fx]" in text
    (tmp_path / "p.yaml").write_text(text)
    doc = rnncalc_json("lstm", tmp_path / "p.yaml")
    assert (doc["hidden_size"], doc["proj_size"], doc["input_size"]) == (3, 2, 2)
    status, text, _ = rnncalc("init", "lstm")
    assert "# W_hm  # (P, H): weight on m_t in h_t; rnncalc init lstm --proj P writes that form\n" in text


def test_the_equations_page_shows_the_projection(rnncalc):
    status, out, _ = rnncalc("equations", "lstm", "--no-color")
    assert status == 0
    assert "lstm: LSTM with projection" in out and "h_t = W_hm m_t" in out and "m_t = o_t ⊙ tanh(c_t)" in out
    assert "W_hm        (P, H)   weight on m_t in h_t" in out and "h0          (P,)" in out
    assert "W_fh        (H, P)" in out and "W_f = [W_fh W_fx], shape (H, P+D)" in out


def test_the_concatenated_form_acts_on_the_projected_state(rnncalc_json):
    split = rnncalc_json("lstm", "--weights", "0.5", "-p", f"W_hm={W_HM}", "-p", "W_fh=[[1, 2], [3, 4], [5, 6]]",
                         "-p", "W_fx=[[7], [8], [9]]", "-x", "1,0.5")
    joined = rnncalc_json("lstm", "--weights", "0.5", "-p", f"W_hm={W_HM}",
                          "-p", "W_f=[[1, 2, 7], [3, 4, 8], [5, 6, 9]]", "-x", "1,0.5")
    assert joined["steps"] == split["steps"]


def test_a_stack_reads_each_layers_projected_state(rnncalc_json, tmp_path):
    # Layer 1 has P = 1 in both directions, so layer 2 reads 2 numbers; layer 2's backward direction has P = 2.
    (tmp_path / "s.yaml").write_text("cell: lstm\nx: [1, 2]\nweights: 0.5\nhidden: 2\nproj: 1\nbidirectional: true\n"
                                     "layers:\n  - {forward: {}, backward: {}}\n"
                                     "  - {forward: {}, backward: {proj: 2}}\n")
    doc = rnncalc_json("lstm", tmp_path / "s.yaml", "--grad")
    sizes = [(layer["hidden_size"], layer["proj_size"], layer["input_size"]) for layer in doc["layers"]]
    assert sizes == [(2, 1, 1), (2, 1, 1), (2, 1, 2), (2, 2, 2)]
    assert doc["output_width"] == 3 and all(len(o) == 3 for o in doc["output"])
    assert [len(g["W_hm"]) for g in doc["grad"]["layers"]] == [1, 1, 1, 2]


@pytest.mark.parametrize("args, message", [
    (["--weights", "1", "-p", "W_hm=[[1, 2]]", "-p", "h0=[1, 2, 3]", "-x", "1"],
     "--param h0: shape (3,) makes the projection size P = 3, but W_hm (1, 2) makes it 1"),
    (["--weights", "1", "-p", f"W_hm={W_HM}", "-p", "W_fh=[[1], [2], [3]]", "-x", "1"],
     "--param W_fh: shape (3, 1) makes the projection size P = 1, but W_hm (2, 3) makes it 2"),
    (["--weights", "1", "-p", f"W_hm={W_HM}", "-p", "W_f=[[1, 2], [3, 4], [5, 6]]", "-x", "1"],
     "--param W_f: a concatenated weight is (H, P+D) with D ≥ 1, found (3, 2) with P = 2"),
    (["--weights", "1", "-p", f"W_hm={W_HM}", "-p", "W_y=[[1, 2, 3]]", "-x", "1"],
     "--param W_y: shape (1, 3) makes the projection size P = 3, but W_hm (2, 3) makes it 2"),
    (["--weights", "1", "-p", "W_hr=[[1, 2]]", "-x", "1"],
     "--param W_hr: unknown parameter 'W_hr' for the lstm cell; the course calls it W_hm (rnncalc equations lstm)"),
    (["--weights", "1", "-p", f"W_hm={W_HM}", "--pin", "m=[0, 1]", "-x", "1"],
     "--pin m: expected shape (3,) (H,), the length of m, found (2,)"),
])
def test_what_does_not_fit_is_one_line(rnncalc, args, message):
    assert rnncalc("lstm", *args) == (2, "", f"rnncalc: {message}\n")


def test_other_cells_have_no_projection(rnncalc):
    assert rnncalc("gru", "--weights", "1", "-p", "proj=2", "-x", "1") == (
        2, "", "rnncalc: --param proj: is the size of a projected LSTM's h_t; the GRU (reset-after) has no "
               "projection\n")
    assert rnncalc("init", "rnn", "--proj", "2") == (
        2, "", "rnncalc: --proj 2: is the size of a projected LSTM's h_t; the rnn cell has none\n")
    status, _, err = rnncalc("gru", "--weights", "1", "-p", "W_hm=1", "-x", "1")
    assert status == 2 and err == "rnncalc: --param W_hm: unknown parameter 'W_hm' for the gru cell; it belongs to " \
                                  "the lstm cell\n"


def test_expected_values_and_targets_have_the_projected_length(rnncalc):
    args = ["lstm", "--weights", "0.5", "-p", f"W_hm={W_HM}", "-x", "1,0.5"]
    status, out, err = rnncalc(*args, "--expect", "h=[0.1076, 0.1936]", "-q")
    assert status == 0, err
    status, out, err = rnncalc(*args, "--grad", "--loss", "mse", "--target", "[1, 2, 3]", "-f", "json")
    assert status == 2 and "each like h_t (P = 2)" in err
    status, out, err = rnncalc(*args, "--grad", "--loss", "mse", "--target", "[1, 2]", "-f", "json")
    assert status == 0 and len(json.loads(out)["grad"]["h0"]) == 2
