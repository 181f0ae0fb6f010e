"""Make the stored reference for converting PyTorch files: state_dicts saved by torch.save as .pt and .pth,
and the models' outputs.

Run with PyTorch 2.13 installed, from the repository root:

    python tests/reference/make_torch_file_reference.py

Every model runs in float64 (model.double()) with seeded random weights on one sequence (batch 1) from zero
initial states, and is saved as a user would, torch.save(model.state_dict(), path). torch_file_reference.json
stores per model: the file name, the cell, the convert flags, x (T, D), and the model's output (T, width):
fc(output) when it has an nn.Linear (fc(cat(h_n[-2], h_n[-1])), (K,), for the classifier), else the recurrent
module's output; or, for a model rnncalc must
refuse, the start of the refusal ("refused"). A model with an nn.Linear also stores a target (T, K) and
autograd's gradient of L = Σ_t ⟨target_t, y_t⟩ for fc.weight, fc.bias and layer 0's first gate block in
torch's order (rows [0, H) of weight_hh_l0 and bias_ih_l0: the LSTM's i, the GRU's r), and for an LSTM with
proj_size > 0 the gradient of each projection weight_hr_l{N} (P, H), layer by layer, each layer's forward
direction before its _reverse one ("projections").
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "torch_file_reference.json"
SEED = 2103
T, D = 4, 2


def main():
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    cases = []

    class Tagger(nn.Module):
        """A recurrent module and an nn.Linear on its output at every step."""

        def __init__(self, rnn, fc):
            super().__init__()
            self.rnn, self.fc = rnn, fc

        def forward(self, x):
            output, _ = self.rnn(x)
            return self.fc(output)

    class Classifier(nn.Module):
        """A bidirectional recurrent module and an nn.Linear on its final states, fc(cat(h_n[-2], h_n[-1]))."""

        def __init__(self, rnn, fc):
            super().__init__()
            self.rnn, self.fc = rnn, fc

        def forward(self, x):
            _, h_n = self.rnn(x)
            return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=1))

    class Encoder(nn.Module):
        """An nn.Embedding before the recurrent module: rnncalc converts what comes after x."""

        def __init__(self):
            super().__init__()
            self.emb, self.rnn = nn.Embedding(5, D), nn.LSTM(D, 2, batch_first=True)

        def forward(self, x):
            return self.rnn(self.emb(x))[0]

    def case(name, cell, model, flags=(), refused=None, suffix=".pt"):
        model = model.double()
        file = f"torch_{name}{suffix}"
        torch.save(model.state_dict(), HERE / file)
        x = torch.rand(1, T, D, dtype=torch.float64) * 2 - 1
        entry = {"name": name, "file": file, "cell": cell, "flags": list(flags), "x": x[0].tolist()}
        if refused:
            entry["refused"] = refused
            cases.append(entry)
            return
        y = model(x)
        y = (y[0] if isinstance(y, tuple) else y)[0]  # (T, width)
        entry["output"] = y.tolist()
        if hasattr(model, "fc"):  # the gradient of L = Σ_t ⟨target_t, y_t⟩, rnncalc's --loss dot
            target = torch.rand(y.shape, dtype=torch.float64) * 2 - 1
            (target * y).sum().backward()
            H = model.rnn.hidden_size
            entry["target"] = target.tolist()
            entry["grad"] = {"W_y": model.fc.weight.grad.tolist(), "b_y": model.fc.bias.grad.tolist(),
                             "first_gate_W_h": model.rnn.weight_hh_l0.grad[:H].tolist(),
                             "first_gate_b_x": model.rnn.bias_ih_l0.grad[:H].tolist()}
            if getattr(model.rnn, "proj_size", 0):
                entry["grad"]["projections"] = [
                    getattr(model.rnn, f"weight_hr_l{n}{suffix}").grad.tolist() for n in range(model.rnn.num_layers)
                    for suffix in ("", "_reverse")[:1 + model.rnn.bidirectional]]
        cases.append(entry)

    case("lstm_linear", "lstm", Tagger(nn.LSTM(D, 3, num_layers=2, batch_first=True), nn.Linear(3, 2)))
    case("gru_bidirectional_linear", "gru",
         Tagger(nn.GRU(D, 2, bidirectional=True, batch_first=True), nn.Linear(4, 3)), flags=["--head", "steps"])
    case("rnn_relu", "rnn", nn.RNN(D, 3, nonlinearity="relu", batch_first=True), flags=["--activation", "relu"],
         suffix=".pth")
    case("embedding", "lstm", Encoder(), refused="comes before the recurrent module")
    case("gru_bidirectional_classifier", "gru",
         Classifier(nn.GRU(D, 2, bidirectional=True, batch_first=True), nn.Linear(4, 3)), flags=["--head", "final"])
    case("lstm_proj", "lstm", Tagger(nn.LSTM(D, 3, proj_size=2, batch_first=True), nn.Linear(2, 2)))
    case("lstm_proj_bidirectional", "lstm",
         Tagger(nn.LSTM(D, 3, proj_size=2, num_layers=2, bidirectional=True, batch_first=True), nn.Linear(4, 3)),
         flags=["--head", "steps"])
    OUT.write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()
