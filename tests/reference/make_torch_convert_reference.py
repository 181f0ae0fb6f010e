"""Make the stored reference for rnncalc convert: PyTorch layers saved as .npz, and their outputs.

Each model is a torch.nn.LSTM, GRU or RNN (tanh and relu) in float64 with seeded random weights:
one with two layers (to test --layer 1), one with bias=False. Its state_dict() is saved, as a user
would, to tests/reference/convert_<name>.npz:

    np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})

and torch_convert.json stores, per converted layer, a one-sequence (batch 1) run of that layer from
the ZERO initial state (the converted YAML holds no states): the npz file name, the cell, the layer,
the layer's input sequence x (T, D) and torch's h_t for every step (T, H). For layer 1 of the
two-layer model, x is layer 0's output and h is the model's output.

Rerun, from the repository root, with torch installed:

    python tests/reference/make_torch_convert_reference.py

Importing this module needs no torch; cases() imports it and returns the list written to the JSON,
make() returns that list and the state_dicts written to the .npz files.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "torch_convert.json"
SEED = 686  # chosen so the relu case both clips to 0 and passes values through

# (name, cell, module options, H, D, T, layers converted)
SPECS = [
    ("lstm_H2_D3", "lstm", {}, 2, 3, 5, (0,)),
    ("lstm_2layers_H3_D2", "lstm", {"num_layers": 2}, 3, 2, 5, (0, 1)),
    ("lstm_nobias_H2_D2", "lstm", {"bias": False}, 2, 2, 4, (0,)),
    ("gru_H1_D1", "gru", {}, 1, 1, 5, (0,)),
    ("gru_H3_D2", "gru", {}, 3, 2, 6, (0,)),
    ("rnn_tanh_H3_D2", "rnn", {"nonlinearity": "tanh"}, 3, 2, 5, (0,)),
    ("rnn_relu_H4_D3", "rnn", {"nonlinearity": "relu"}, 4, 3, 6, (0,)),
]
MODULES = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}


def npz_name(name):
    return f"convert_{name}.npz"


def _single_layer(torch, model, cell, options, layer, D, H):
    """A one-layer module holding layer `layer` of model, to run that layer on its own."""
    one = getattr(torch.nn, MODULES[cell])(D if layer == 0 else H, H, dtype=torch.float64,
                                          **{k: v for k, v in options.items() if k != "num_layers"})
    one.load_state_dict({k.replace(f"_l{layer}", "_l0"): v for k, v in model.state_dict().items()
                         if k.endswith(f"_l{layer}")})
    return one


def make():
    """(cases, state_dicts): the list stored in torch_convert.json and {npz file name: {array name: ndarray}}."""
    import torch

    g = torch.Generator().manual_seed(SEED)
    cases, state_dicts = [], {}
    with torch.no_grad():
        for name, cell, options, H, D, T, layers in SPECS:
            model = getattr(torch.nn, MODULES[cell])(D, H, dtype=torch.float64, **options)
            # Small weights keep the pre-activations near the unsaturated middle of σ and tanh.
            scale = 0.8 / (H + D) ** 0.5
            for w in model.parameters():
                w.uniform_(-scale, scale, generator=g)
            state_dicts[npz_name(name)] = {k: v.numpy().copy() for k, v in model.state_dict().items()}
            x_model = x = torch.randn(T, 1, D, generator=g, dtype=torch.float64)  # (T, batch 1, D)
            for layer in layers:
                hs, _ = _single_layer(torch, model, cell, options, layer, D, H)(x)  # from zero states
                if layer == options.get("num_layers", 1) - 1:  # the top layer: store the model's own output
                    out, _ = model(x_model)
                    assert torch.allclose(hs, out, rtol=0, atol=1e-15), name
                    hs = out
                case = {"name": f"{name}_layer{layer}", "npz": npz_name(name), "cell": cell, "layer": layer,
                        "x": x[:, 0, :].tolist(), "h": hs[:, 0, :].tolist()}
                if cell == "rnn":
                    case["activation"] = options["nonlinearity"]
                    flat = hs.flatten().tolist()
                    if case["activation"] == "relu":  # a relu case that never clips tests nothing of relu
                        assert 0.0 in flat and sum(v > 0 for v in flat) >= 2, f"{name}: pick another SEED"
                cases.append(case)
                x = hs  # the next layer's input is this layer's output
    return cases, state_dicts


def cases():
    """Every reference case, as the list stored in torch_convert.json."""
    return make()[0]


if __name__ == "__main__":
    import numpy as np

    data, arrays = make()
    for file, state_dict in arrays.items():
        np.savez(HERE / file, **state_dict)
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {len(data)} cases to {OUT} and {len(arrays)} .npz files")
