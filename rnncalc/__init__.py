"""rnncalc: a calculator and step tracer for recurrent-network equations."""

__version__ = "0.1.0"
