"""The lists of choices the command line offers and the library accepts, each defined once, the default first.

Plain tuples and no imports: the command line builds its options from them without loading numpy.
"""

ROUND_MODES = ("none", "nearest", "sign")  # how σ and tanh are rounded
LOSS_KINDS = ("sum", "mse", "xent", "dot")  # what --grad differentiates
FORMATS = ("table", "json", "jsonl", "csv", "markdown", "latex")  # a cell command's output
CHECK_FORMATS = ("table", "json")  # rnncalc check's output
FRAMEWORKS = ("pytorch", "keras", "tensorflow")  # what rnncalc convert reads; tensorflow is read as keras
CONVERTED_CELLS = ("rnn", "lstm", "gru")  # the cells those frameworks have
DIRECTIONS = ("forward", "backward")  # of a bidirectional layer
MERGES = ("concat", "sum", "ave", "mul")  # how a bidirectional layer joins its directions, as Keras's merge_mode
HEADS = ("steps", "final")  # what an output layer reads: the top output at every step, or the final states
JOURNEYS = ("visible", "every")  # whose ‖∂s_T/∂s_t‖ --grad finds: the visible state's, or every state's (c too)
