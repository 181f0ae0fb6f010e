"""rnncalc: a calculator and step tracer for recurrent-network equations.

    import rnncalc
    t = rnncalc.trace("lstm", weights=1, h0=1, c0=1, x=[5], round="sign")
    t.final["h"]             # array([1.])
    rnncalc.check("samples/")

The library loads numpy and the rest on first use, so `import rnncalc` and `rnncalc --help` stay fast.
"""

from .errors import InputError, NonFiniteError

__version__ = "0.1.0"
__all__ = ["trace", "check", "Trace", "InputError", "NonFiniteError", "__version__"]


def __getattr__(name):
    if name in ("trace", "check", "Trace"):
        from . import api
        return getattr(api, name)
    raise AttributeError(f"module 'rnncalc' has no attribute {name!r}")
