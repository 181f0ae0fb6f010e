"""The flags' values as the command line reads them: each list of choices as an Enum, whole and decimal numbers
as YAML 1.2 writes them, and whether colour is off."""

from __future__ import annotations

import os
from enum import Enum
from typing import Optional

import typer

from . import choices
from .cells import CELLS, OUTPUTS


def choice_enum(name, values):
    """A list of choices as the Enum Typer offers: each value its own name."""
    return Enum(name, [(v, v) for v in values], type=str)


RoundMode = choice_enum("RoundMode", choices.ROUND_MODES)
Format = choice_enum("Format", choices.FORMATS)
CheckFormat = choice_enum("CheckFormat", choices.CHECK_FORMATS)
Output = choice_enum("Output", OUTPUTS)
LossKind = choice_enum("LossKind", choices.LOSS_KINDS)
Journey = choice_enum("Journey", choices.JOURNEYS)
CellName = choice_enum("CellName", CELLS)
Framework = choice_enum("Framework", choices.FRAMEWORKS)
ConvertCell = choice_enum("ConvertCell", choices.CONVERTED_CELLS)
Direction = choice_enum("Direction", choices.DIRECTIONS)
Activation = choice_enum("Activation", CELLS["rnn"].option("activation").choices)
Head = choice_enum("Head", choices.HEADS)
GruVariant = choice_enum("GruVariant", next(o.choices for o in CELLS["gru"].options if o.key == "variant"))


def whole_number(low: int, high: Optional[int] = None):
    """A parser for a whole-number flag, written as YAML 1.2 writes one: 17 (not 1_7, 0x11 or 17.0)."""
    def parse(text) -> int:
        import re

        from .text import clipped

        if isinstance(text, int):  # a default
            return text
        if re.fullmatch(r"\s*[-+]?[0-9]{1,18}\s*", text):
            n = int(text)
            if low <= n and (high is None or n <= high):
                return n
        span = f"from {low} to {high}" if high is not None else f"≥ {low}"
        raise typer.BadParameter(f"expected a whole number {span}, found '{clipped(text)}'")
    return parse


def decimal_number(text):
    """text as a finite float when YAML 1.2 reads it as a decimal number (1, 1.5, 1e-3; not 1_0 or inf)."""
    import math
    import re

    from .yamlevents import DECIMAL

    if re.fullmatch(rf"\s*{DECIMAL}\s*", text) and math.isfinite(float(text)):
        return float(text)
    return None


def tolerance(text) -> float:
    """--atol: a finite number ≥ 0, as the file's atol: must be."""
    from .text import clipped

    value = text if isinstance(text, float) else decimal_number(text)
    if value is None or value < 0:
        raise typer.BadParameter(f"expected a tolerance, a finite number ≥ 0, found '{clipped(text)}'")
    return value


def finite_number(text) -> float:
    """A real-number flag: a finite number."""
    from .text import clipped

    value = text if isinstance(text, float) else decimal_number(text)
    if value is None:
        raise typer.BadParameter(f"expected a finite number, found '{clipped(text)}'")
    return value


def chosen(enum_or_none):
    """The value of a choice given, or None."""
    return None if enum_or_none is None else enum_or_none.value


def no_color_asked(flag: bool) -> bool:
    """--no-color, or NO_COLOR in the environment."""
    return flag or bool(os.environ.get("NO_COLOR"))
