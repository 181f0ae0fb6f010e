"""Make the stored reference for converting Keras and TensorFlow weights: arrays saved as .npz, and outputs.

Run with TensorFlow 2.21 and tf-keras 2.21 installed (the TF1 LSTMCell runs only with tf-keras and
TF_USE_LEGACY_KERAS=1, which this script sets), from the repository root:

    python tests/reference/make_keras_reference.py

Every model runs in float64 with seeded random weights on one sequence (batch 1) from zero initial states,
and is saved as a user would:
- keras_bidirectional_lstm: Bidirectional(LSTM(3, return_sequences=True)), as np.savez(p, *layer.get_weights());
- keras_sequential_gru: Sequential of two Bidirectional(GRU(2, return_sequences=True)) and Dense(3, softmax),
  by weight path, np.savez(p, **{w.path: w.numpy() for w in model.weights});
- keras_sequential_rnn: Sequential of SimpleRNN(3, relu) twice and Dense(2), by weight path;
- keras_bidirectional_gru_reset_before: Bidirectional(GRU(2, reset_after=False)), by get_weights();
- keras_bidirectional_rnn_by_path: Sequential of Bidirectional(SimpleRNN(2, relu)), by weight path;
- tf1_lstm: tf.compat.v1.nn.rnn_cell.LSTMCell(2) with the default forget_bias, 1.0, by variable name;
- tf1_peephole_lstm: tf.compat.v1.nn.rnn_cell.LSTMCell(3, use_peepholes=True, forget_bias=0.5), its variables
  by name ({v.name: v.numpy() for v in cell.weights}), stepped by hand over the sequence.
(Keras-2's PeepholeLSTMCell is gone from tf-keras 2.21; tests/test_keras_models.py checks its names against
its published equations.)
keras_reference.json stores per model: the npz file name, the cell, the convert flags, x (T, D) and the
framework's output (T, width).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "keras_reference.json"
SEED = 2101


def main():
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    keras.backend.set_floatx("float64")
    rng = np.random.default_rng(SEED)
    cases = []

    def save(name, arrays, positional=False):
        file = f"convert_{name}.npz"
        if positional:
            np.savez(HERE / file, *arrays)
        else:
            np.savez(HERE / file, **arrays)
        return file

    def randomize(weights):
        return [rng.uniform(-0.6, 0.6, w.shape) for w in weights]

    # Bidirectional LSTM, positional get_weights()
    T, D = 4, 2
    x = rng.normal(size=(1, T, D))
    layer = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))
    layer(x)
    layer.set_weights(randomize(layer.get_weights()))
    cases.append({"name": "keras_bidirectional_lstm", "cell": "lstm", "flags": [],
                  "npz": save("keras_bidirectional_lstm", layer.get_weights(), positional=True),
                  "x": x[0].tolist(), "output": np.asarray(layer(x))[0].tolist()})

    # Sequential: two bidirectional GRUs and a softmax Dense, by weight path
    model = keras.Sequential([keras.Input((T, D)),
                              keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True)),
                              keras.layers.Bidirectional(keras.layers.GRU(2, return_sequences=True)),
                              keras.layers.Dense(3, activation="softmax")])
    model.set_weights(randomize(model.get_weights()))
    cases.append({"name": "keras_sequential_gru", "cell": "gru", "flags": ["--output", "softmax", "--head", "steps"],
                  "npz": save("keras_sequential_gru", {w.path: np.asarray(w) for w in model.weights}),
                  "x": x[0].tolist(), "output": np.asarray(model(x))[0].tolist()})

    # Sequential: two relu SimpleRNNs and a linear Dense, by weight path
    model = keras.Sequential([keras.Input((T, D)),
                              keras.layers.SimpleRNN(3, activation="relu", return_sequences=True),
                              keras.layers.SimpleRNN(3, activation="relu", return_sequences=True),
                              keras.layers.Dense(2)])
    model.set_weights(randomize(model.get_weights()))
    cases.append({"name": "keras_sequential_rnn", "cell": "rnn", "flags": ["--activation", "relu"],
                  "npz": save("keras_sequential_rnn", {w.path: np.asarray(w) for w in model.weights}),
                  "x": x[0].tolist(), "output": np.asarray(model(x))[0].tolist()})

    # Bidirectional GRU with reset_after=False (one bias per gate), positional get_weights()
    layer = keras.layers.Bidirectional(keras.layers.GRU(2, reset_after=False, return_sequences=True))
    layer(x)
    layer.set_weights(randomize(layer.get_weights()))
    cases.append({"name": "keras_bidirectional_gru_reset_before", "cell": "gru", "flags": [],
                  "npz": save("keras_bidirectional_gru_reset_before", layer.get_weights(), positional=True),
                  "x": x[0].tolist(), "output": np.asarray(layer(x))[0].tolist()})

    # Bidirectional SimpleRNN (relu) by weight path, without a Dense layer
    model = keras.Sequential([keras.Input((T, D)), keras.layers.Bidirectional(
        keras.layers.SimpleRNN(2, activation="relu", return_sequences=True))])
    model.set_weights(randomize(model.get_weights()))
    cases.append({"name": "keras_bidirectional_rnn_by_path", "cell": "rnn", "flags": ["--activation", "relu"],
                  "npz": save("keras_bidirectional_rnn_by_path", {w.path: np.asarray(w) for w in model.weights}),
                  "x": x[0].tolist(), "output": np.asarray(model(x))[0].tolist()})

    # TF1 LSTMCell without peepholes, TensorFlow's default forget_bias 1.0, stepped by hand
    cell = tf.compat.v1.nn.rnn_cell.LSTMCell(2, dtype=tf.float64)
    state = cell.zero_state(1, tf.float64)
    cell(tf.constant(x[:, 0]), state)
    for v in cell.weights:
        v.assign(rng.uniform(-0.6, 0.6, v.shape))
    outputs = []
    for t in range(T):
        h, state = cell(tf.constant(x[:, t]), state)
        outputs.append(np.asarray(h)[0].tolist())
    cases.append({"name": "tf1_lstm", "cell": "lstm", "flags": [],
                  "npz": save("tf1_lstm", {v.name: np.asarray(v) for v in cell.weights}),
                  "x": x[0].tolist(), "output": outputs})

    # TF1 LSTMCell with peepholes, stepped by hand
    cell = tf.compat.v1.nn.rnn_cell.LSTMCell(3, use_peepholes=True, forget_bias=0.5, dtype=tf.float64)
    state = cell.zero_state(1, tf.float64)
    cell(tf.constant(x[:, 0]), state)  # builds the variables
    for v in cell.weights:
        v.assign(rng.uniform(-0.6, 0.6, v.shape))
    outputs = []
    for t in range(T):
        h, state = cell(tf.constant(x[:, t]), state)
        outputs.append(np.asarray(h)[0].tolist())
    cases.append({"name": "tf1_peephole_lstm", "cell": "lstm", "flags": ["--forget-bias", "0.5"],
                  "npz": save("tf1_peephole_lstm", {v.name: np.asarray(v) for v in cell.weights}),
                  "x": x[0].tolist(), "output": outputs})

    OUT.write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()
