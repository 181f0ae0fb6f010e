"""Make the stored reference for stacked and bidirectional networks: PyTorch models saved as .npz, and their
outputs, final states and autograd gradients.

Each model is a torch.nn.GRU, LSTM or RNN in float64 with seeded random weights, saved as a user would:

    np.savez(path, **{k: v.numpy() for k, v in model.state_dict().items()})

torch_stack.json stores per model: the npz file name, the cell, its layers and directions, an input x (T, D),
random initial states (h0 and, for the LSTM, c0, as torch takes them: (layers·directions, H)), torch's
`output` (T, directions·H) and h_n (and c_n), and for the loss L = Σ_t ⟨target_t, output_t⟩ with a random
target (T, directions·H): L and the autograd gradient of every array of the state_dict and of h0 (and c0).

Rerun, from the repository root, with torch installed:

    python tests/reference/make_torch_stack_reference.py

Importing this module needs no torch; make() returns the cases and the state_dicts written to the .npz files.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "torch_stack.json"
SEED = 1313

# (name, module, options, H, D, T)
SPECS = [
    ("gru_3layers_bidirectional", "GRU", {"num_layers": 3, "bidirectional": True}, 2, 3, 4),
    ("lstm_2layers_bidirectional", "LSTM", {"num_layers": 2, "bidirectional": True}, 3, 2, 5),
    ("rnn_2layers", "RNN", {"num_layers": 2}, 3, 2, 4),
    ("rnn_relu_2layers_bidirectional", "RNN", {"num_layers": 2, "bidirectional": True, "nonlinearity": "relu"},
     2, 2, 3),
]


def npz_name(name):
    return f"stack_{name}.npz"


def make():
    """(cases, state_dicts): the list stored in torch_stack.json and {npz file name: {array name: ndarray}}."""
    import torch

    g = torch.Generator().manual_seed(SEED)
    cases, state_dicts = [], {}
    for name, module, options, H, D, T in SPECS:
        model = getattr(torch.nn, module)(D, H, dtype=torch.float64, **options)
        scale = 0.9 / (H + D) ** 0.5  # pre-activations near the unsaturated middle of σ and tanh
        with torch.no_grad():
            for w in model.parameters():
                w.uniform_(-scale, scale, generator=g)
        state_dicts[npz_name(name)] = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
        directions = 2 if options.get("bidirectional") else 1
        layers = options["num_layers"]
        x = torch.randn(T, D, generator=g, dtype=torch.float64)
        h0 = (0.5 * torch.randn(layers * directions, H, generator=g, dtype=torch.float64)).requires_grad_()
        c0 = (0.5 * torch.randn(layers * directions, H, generator=g, dtype=torch.float64)).requires_grad_()
        target = torch.randn(T, directions * H, generator=g, dtype=torch.float64)
        if module == "LSTM":
            output, (h_n, c_n) = model(x, (h0, c0))
        else:
            output, h_n = model(x, h0)
        loss = (output * target).sum()
        loss.backward()
        case = {"name": name, "npz": npz_name(name), "cell": module.lower(), "layers": layers,
                "directions": directions, "activation": options.get("nonlinearity", "tanh"),
                "x": x.tolist(), "h0": h0.tolist(), "target": target.tolist(),
                "output": output.tolist(), "h_n": h_n.tolist(), "loss": loss.item(),
                "grad": {k: p.grad.tolist() for k, p in model.named_parameters()}, "grad_h0": h0.grad.tolist()}
        if module == "LSTM":
            case.update({"c0": c0.tolist(), "c_n": c_n.tolist(), "grad_c0": c0.grad.tolist()})
        cases.append(case)
    return cases, state_dicts


def main():
    import numpy as np

    cases, state_dicts = make()
    for file, arrays in state_dicts.items():
        np.savez(HERE / file, **arrays)
    OUT.write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()
