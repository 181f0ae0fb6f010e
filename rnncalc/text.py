"""User text made safe to show, and the notation spelled in ASCII for a stream that cannot encode it.

A file name, problem name or value is shown as written, with every character that could act on a
terminal (ESC sequences, newlines, carriage returns, bell, C1 controls, bidirectional overrides)
written as an escape instead:

>>> printable("a\\x1b]0;title\\x07b\\nc")
'a\\\\x1b]0;title\\\\x07b\\\\nc'
>>> printable("\\u202egnp.yaml")
'\\\\u202egnp.yaml'
"""

from __future__ import annotations

import codecs
import re

# C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text; lone
# surrogates stand for bytes of a name that were not UTF-8.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb"
                     "\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m) -> str:
    ch = m.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as os.fsdecode keeps it
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """text with each control or format character written as an escape (\\n, \\x1b, \\u202e), so it
    stays on one line and cannot drive a terminal."""
    return _UNSAFE.sub(_escape, str(text))


# ---------------------------------------------------------------- ASCII spellings

ASCII = {
    "σ": "sigma", "⊙": "*", "·": "*", "×": "x", "−": "-", "✓": "ok", "✗": "FAIL", "‖": "||", "∂": "d",
    "Σ": "sum", "½": "1/2", "⟨": "<", "⟩": ">", "→": "->", "←": "<-", "≤": "<=", "≥": ">=", "…": "...",
    "≈": "~=", "±": "+-", "θ": "theta", "ᵀ": "^T",
    "\u0303": "~",  # the combining tilde of s̃ and c̃
    "█": "#", "▉": "+", "▊": "+", "▋": "+", "▌": "+", "▍": "+", "▎": "+", "▏": "+",
    **{chr(0x2080 + d): str(d) for d in range(10)},  # subscripts ₀..₉
}
_SUPERSCRIPT = dict(zip("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
ERRORS = "rnncalc-ascii"


def spelled(text: str) -> list[str]:
    """Each character of text in ASCII: itself when ASCII, else its spelling (σ → sigma, ⊙ → *, ✓ → ok,
    10⁻⁶ → 10^-6, box lines → - | +), else a \\u escape.

    >>> "".join(spelled("σ(z) ⊙ s̃ · 10⁻⁶"))
    'sigma(z) * s~ * 10^-6'
    """
    out = []
    for n, ch in enumerate(text):
        if ch.isascii():
            out.append(ch)
        elif ch in _SUPERSCRIPT:
            out.append(("" if n and text[n - 1] in _SUPERSCRIPT else "^") + _SUPERSCRIPT[ch])
        elif ch in ASCII:
            out.append(ASCII[ch])
        elif "\u2500" <= ch <= "\u257f":  # box drawing
            out.append("-" if ch in "─━═╌╍┄┅┈┉" else "|" if ch in "│┃║╎╏┆┇┊┋" else "+")
        else:
            escaped, code = printable(ch), ord(ch)
            out.append(escaped if escaped != ch else f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return out


def _ascii_fallback(error: UnicodeEncodeError):
    """The codec error handler: what the stream cannot encode, spelled in ASCII."""
    return "".join(spelled(error.object[error.start:error.end])), error.end


codecs.register_error(ERRORS, _ascii_fallback)


def _ascii_by_another_name(name):
    """ASCII itself, named so that Click does not take the stream for a misconfigured one and write UTF-8."""
    if name.replace("-", "_") == ASCII_CODEC.replace("-", "_"):
        import encodings.ascii as ascii_codec
        return codecs.CodecInfo(codecs.ascii_encode, codecs.ascii_decode, name=ASCII_CODEC,
                                incrementalencoder=ascii_codec.IncrementalEncoder,
                                incrementaldecoder=ascii_codec.IncrementalDecoder,
                                streamwriter=ascii_codec.StreamWriter, streamreader=ascii_codec.StreamReader)
    return None


ASCII_CODEC = "rnncalc-ascii"
codecs.register(_ascii_by_another_name)


def can_encode(stream, text: str = "σ⊙✓─") -> bool:
    """Whether the stream's encoding holds the notation's symbols."""
    try:
        text.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def clipped(text: str, width: int = 60) -> str:
    """text made printable and cut to width characters, an ellipsis marking the cut, so that a value of any
    size fits a message on one line, also where no terminal escapes it (the library's InputError).

    >>> clipped("x" * 100, 10)
    'xxxxxxxxx…'
    >>> print(clipped("a\\nb"))
    a\\nb
    """
    text = printable(text)
    return text if len(text) <= width else text[:width - 1] + "…"


def shape_text(shape) -> str:
    """A shape as the messages and the notation write it: (2, 3), (3,), (H, D).

    >>> shape_text((2, 3)), shape_text((3,)), shape_text(("H", "D"))
    ('(2, 3)', '(3,)', '(H, D)')
    """
    return "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")
