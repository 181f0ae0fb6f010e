"""What each cell's single description implies: parameters, shapes, concatenated forms, JSON keys."""

import numpy as np

from rnncalc import cells, expr
from rnncalc.backward import Grads, contribution
from rnncalc.engine import Env


def test_lstm_parameters_follow_from_its_equations():
    lstm = cells.lstm()
    assert [(p.name, p.shape) for p in lstm.params] == [
        ("W_fh", ("H", "H")), ("W_fx", ("H", "D")), ("b_f", ("H",)),
        ("W_ih", ("H", "H")), ("W_ix", ("H", "D")), ("b_i", ("H",)),
        ("W_oh", ("H", "H")), ("W_ox", ("H", "D")), ("b_o", ("H",)),
        ("W_ch", ("H", "H")), ("W_cx", ("H", "D")), ("b_c", ("H",)),
    ]
    assert lstm.concatenated == {"W_f": ("W_fh", "W_fx"), "W_i": ("W_ih", "W_ix"),
                                 "W_o": ("W_oh", "W_ox"), "W_c": ("W_ch", "W_cx")}
    assert [s.init_key for s in lstm.states] == ["h0", "c0"]
    assert lstm.quantities == ["f_pre", "f", "i_pre", "i", "o_pre", "o", "c_tilde_pre", "c_tilde",
                               "c", "tanh_c", "h"]


def test_gated_and_rnn_parameters():
    assert [p.name for p in cells.gated().params] == ["W_gs", "W_gx", "b_g", "W_ss", "W_sx", "b_s"]
    assert cells.gated().concatenated == {"W_g": ("W_gs", "W_gx"), "W_s": ("W_ss", "W_sx")}
    assert [p.name for p in cells.rnn().params] == ["W_ss", "W_sx", "b_s"]
    assert cells.rnn().quantities == ["s_pre", "s"]


def test_output_layer_reads_the_visible_state():
    lstm = cells.lstm().with_output("softmax")
    assert [(p.name, p.shape) for p in lstm.params][-2:] == [("W_y", ("K", "H")), ("b_y", ("K",))]
    assert lstm.equation("y").text(lstm) == "y_t = softmax(W_y h_t + b_y)"
    assert cells.rnn().with_output("linear").equation("y").text(cells.rnn()) == "y_t = (W_y s_t + b_y)"


def test_equations_read_like_the_lecture():
    lstm = cells.lstm()
    assert [e.text(lstm) for e in lstm.equations if not e.is_squash] == [
        "f_t = σ(W_fh h_{t-1} + W_fx x_t + b_f)",
        "i_t = σ(W_ih h_{t-1} + W_ix x_t + b_i)",
        "o_t = σ(W_oh h_{t-1} + W_ox x_t + b_o)",
        "c̃_t = tanh(W_ch h_{t-1} + W_cx x_t + b_c)",
        "c_t = f_t ⊙ c_{t-1} + i_t ⊙ c̃_t",
        "h_t = o_t ⊙ tanh(c_t)",
    ]
    gated = cells.gated()
    assert gated.equation("s").text(gated) == "s_t = (1 − g_t) ⊙ s_{t-1} + g_t ⊙ s̃_t"


def test_gru_variants():
    gru = cells.gru()
    assert [p.name for p in gru.params] == ["W_rh", "W_rx", "b_r", "W_zh", "W_zx", "b_z",
                                           "W_nx", "W_nh", "b_n", "b_nh"]
    assert gru.equation("n").text(gru) == "n_t = tanh(W_nx x_t + b_n + r_t ⊙ (W_nh h_{t-1} + b_nh))"
    before = cells.gru("reset-before")
    assert before.equation("n").text(before) == "n_t = tanh(W_nx x_t + W_nh (r_t ⊙ h_{t-1}) + b_n)"
    assert "b_nh" not in before.param_names and before.zero_if_given == (("b_nh", "b_n"),)
    new = cells.gru(z_weighs="new")
    assert new.equation("h").text(new) == "h_t = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ n_t"
    assert gru.quantities == ["r_pre", "r", "z_pre", "z", "n_pre", "n", "h"]


def test_peepholes_only_where_given():
    lstm = cells.lstm("f")
    assert lstm.equation("f").text(lstm) == "f_t = σ(W_fh h_{t-1} + W_fx x_t + b_f + P_f ⊙ c_{t-1})"
    assert [(p.name, p.shape, p.kind) for p in lstm.params if p.name.startswith("P_")] == [("P_f", ("H",), "weight")]
    assert lstm.equation("o").text(lstm) == "o_t = σ(W_oh h_{t-1} + W_ox x_t + b_o)"


def test_each_node_pushes_its_local_derivative():
    # s_t = (1 − g_t) ⊙ s_{t-1} + g_t ⊙ s̃_t with upstream u = dL/ds_t:
    #   dL/dg_t = −u ⊙ s_{t-1} + u ⊙ s̃_t,  dL/ds_{t-1} = u ⊙ (1 − g_t),  dL/ds̃_t = u ⊙ g_t
    gated = cells.gated()
    env = Env({}, {"s": np.array([1.0, -2.0])}, np.zeros(1), {"g": np.array([0.25, 0.5]), "s_tilde": np.array([0.5, 3.0])})
    grads = Grads()
    gated.equation("s").expr.backward(env, np.array([[2.0, 1.0]]), grads)  # one row: u
    assert grads.q["g"].tolist() == [[2 * (0.5 - 1), 1 * (3 + 2)]]
    assert grads.prev["s"].tolist() == [[2 * 0.75, 1 * 0.5]]
    assert grads.q["s_tilde"].tolist() == [[2 * 0.25, 1 * 0.5]]
    # W v: dL/dW = u vᵀ, dL/dv = Wᵀ u
    env = Env({"W_ss": np.array([[1.0, 2.0], [3.0, 4.0]])}, env.prev, env.x)
    grads = Grads()
    expr.MatVec(expr.Param("W_ss"), expr.Prev("s")).backward(env, np.array([[1.0, -1.0]]), grads)
    assert contribution(grads.params["W_ss"]).tolist() == [[1.0, -2.0], [-1.0, 2.0]]
    assert grads.prev["s"].tolist() == [[1 - 3, 2 - 4]]


def test_concatenated_forms_only_where_a_sum_holds_both_products():
    # n_t's W_nh sits inside r_t ⊙ (W_nh h_{t-1} + b_nh), or acts on r_t ⊙ h_{t-1}: no W_n = [W_nh W_nx]
    for gru in (cells.gru(), cells.gru("reset-before"), cells.gru(z_weighs="new")):
        assert gru.concatenated == {"W_r": ("W_rh", "W_rx"), "W_z": ("W_zh", "W_zx")}
    assert "W_y" not in cells.rnn().with_output("linear").concatenated


def test_symbols_of_tilde_and_squashed_quantities():
    assert cells.symbol("h_tilde") == "h\u0303_t" == "h̃_t" and cells.symbol("f") == "f_t"
    assert cells.lstm().equation("tanh_c").symbol == "tanh(c_t)"


def test_an_element_wise_weight_is_a_weight_wherever_it_stands():
    # h_t = relu(W_hx x_t + u ⊙ h_{t-1} + b_h), an IndRNN: u is filled like any weight, by shape (H,)
    indrnn = cells.Cell("indrnn", "IndRNN", (cells.State("h", "state"),), (cells.Equation(
        "h", expr.MatVec(expr.Param("W_hx"), expr.Input()) + expr.Prev("h") * expr.Param("u") + expr.Param("b_h"),
        "relu", "new state"),))
    assert [(p.name, p.shape, p.kind) for p in indrnn.params] == [
        ("W_hx", ("H", "D"), "weight"), ("u", ("H",), "weight"), ("b_h", ("H",), "bias")]
    assert indrnn.concatenated == {}


def test_the_catalogue_builds_each_cell_under_its_own_name():
    for name, entry in cells.CELLS.items():
        for page in entry.pages:
            assert entry(**page).name == name
        assert entry.example.startswith(f"rnncalc {name} ") and entry.grad_example.startswith(f"rnncalc {name} ")
