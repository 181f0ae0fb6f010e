"""Make the stored reference for converting Keras 3 files: models saved by model.save (.keras) and
model.save_weights (.weights.h5), and their outputs.

Run with TensorFlow 2.21 (Keras 3) and h5py installed, from the repository root:

    python tests/reference/make_keras_file_reference.py

Every model runs in float64 with seeded random weights (biases too) on one sequence (batch 1) from zero
initial states. keras_file_reference.json stores per model: the file name, the cell, the convert flags,
x (T, D), the model's output (T, width) or (width,) when it returns one vector, and for the models
rnncalc must refuse, the start of the refusal ("refused"). A model ending in a Dense
layer also stores a target the shape of its output and TensorFlow's gradient of L = Σ ⟨target, y⟩ for the
Dense layer (W_y = kernelᵀ, b_y) and the first recurrent layer's first gate block in Keras's order (columns
[0, H) of recurrent_kernel, transposed, and of the input-side bias: the LSTM's i, the GRU's z, the
SimpleRNN's s).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "keras_file_reference.json"
SEED = 2102
T, D = 4, 2


def main():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    keras.backend.set_floatx("float64")
    rng = np.random.default_rng(SEED)
    L = keras.layers
    cases = []

    def model_of(layers, functional=False):
        if functional:
            x = inputs = keras.Input((T, D))
            for layer in layers:
                x = layer(x)
            model = keras.Model(inputs, x)
        else:
            model = keras.Sequential([keras.Input((T, D)), *layers])
        model.set_weights([rng.uniform(-0.7, 0.7, w.shape) for w in model.get_weights()])
        return model

    def case(name, cell, layers, flags=(), refused=None, functional=False, weights_only=False):
        model = model_of(layers, functional)
        file = f"keras_{name}." + ("weights.h5" if weights_only else "keras")
        if weights_only:
            model.save_weights(HERE / file)
        else:
            model.save(HERE / file)
        x = rng.uniform(-1, 1, (1, T, D))
        entry = {"name": name, "file": file, "cell": cell, "flags": list(flags), "x": x[0].tolist()}
        if refused:
            entry["refused"] = refused
            entry["output"] = np.asarray(model(x))[0].tolist()
            cases.append(entry)
            return
        dense = model.layers[-1]
        if not isinstance(dense, L.Dense):
            entry["output"] = np.asarray(model(x))[0].tolist()
            cases.append(entry)
            return
        # The gradient of L = Σ ⟨target, y⟩ (rnncalc's --loss dot) for the Dense layer and the first recurrent
        # layer's first gate block in Keras's order (the LSTM's i, the GRU's z, the SimpleRNN's one block).
        first = next(layer for layer in model.layers if not isinstance(layer, (L.Dropout, L.InputLayer)))
        cell = (first.forward_layer if isinstance(first, L.Bidirectional) else first).cell
        with tf.GradientTape() as tape:
            y = model(x)[0]
            target = tf.constant(rng.uniform(-1, 1, y.shape))
            loss = tf.reduce_sum(target * y)
        H = cell.units
        weights = [dense.kernel, dense.bias, cell.recurrent_kernel, cell.bias]
        dK, db, dU, dbias = (np.asarray(g) for g in tape.gradient(loss, weights))
        entry["output"] = np.asarray(y).tolist()
        entry["target"] = np.asarray(target).tolist()
        entry["grad"] = {"W_y": dK.T.tolist(), "b_y": db.tolist(), "first_gate_W_h": dU[:, :H].T.tolist(),
                         "first_gate_b_x": (dbias[0] if dbias.ndim == 2 else dbias)[:H].tolist()}
        cases.append(entry)

    # Converted exactly: the structure and options read from config.json.
    case("bidirectional_named_backward", "lstm",
         [L.Bidirectional(L.LSTM(3, return_sequences=True),
                          backward_layer=L.LSTM(3, return_sequences=True, go_backwards=True, name="bw")),
          L.Dense(2, activation="softmax")])
    case("gru_reset_before_no_bias", "gru",
         [L.GRU(2, use_bias=False, reset_after=False, return_sequences=True), L.GRU(3, return_sequences=True)])
    case("simple_rnn_relu", "rnn", [L.SimpleRNN(3, activation="relu", return_sequences=True), L.Dense(2)])
    case("names_are_not_structure", "lstm",
         [L.LSTM(3, return_sequences=True, name="backward_enc"), L.LSTM(3, return_sequences=True, name="forward_dec")])
    case("functional_classifier", "lstm",
         [L.LSTM(3, name="enc: #1\nx"), L.Dropout(0.5), L.Dense(2, activation="sigmoid", name="head'\x1b[31m")],
         functional=True)
    case("time_distributed_softmax", "lstm",
         [L.Bidirectional(L.LSTM(2, return_sequences=True)), L.TimeDistributed(L.Dense(3)), L.Activation("softmax")])
    case("weights_only", "gru", [L.GRU(2, return_sequences=True), L.GRU(2, return_sequences=True), L.Dense(2)],
         weights_only=True)
    # Refused: what an rnncalc stack cannot express.
    case("go_backwards", "lstm", [L.LSTM(2, return_sequences=True, go_backwards=True)],
         refused="LSTM(go_backwards=True) reads x_T first")
    case("merge_sum", "lstm", [L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="sum")])
    case("bidirectional_classifier", "gru", [L.Bidirectional(L.GRU(2)), L.Dense(2)])
    OUT.write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()
