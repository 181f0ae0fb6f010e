"""Arrays as numpy and PyTorch print them, read back as nested lists of numbers.

    [0 0 1 1 1 0]                                   numpy, integers
    [[1. 0.]
     [0. 1.]]                                        numpy, floats, a row a line
    array([[1., 0.], [0., 1.]])                     repr() of a numpy array
    tensor([0.5000, -0.5000], dtype=torch.float64)  a PyTorch tensor
    Parameter containing:
    tensor([[0.1, 0.2]], requires_grad=True)         a PyTorch parameter, print(model.weight_hh_l0)

Only the brackets and the numbers matter: commas and line breaks are optional separators, and the
array(...) or tensor(...) around them, its keywords (dtype=, device=, requires_grad=) and a parameter's
"Parameter containing:" line are dropped.
"""

from __future__ import annotations

import math
import re

_WRAPPER = re.compile(r"^\s*(?:Parameter containing:\s*)?(?:np\.|numpy\.|torch\.)?(array|tensor)\((.*)\)\s*$", re.S)
_KEYWORDS = re.compile(r",\s*(?:dtype|device|requires_grad|grad_fn)\s*=.*$", re.S)
_TOKEN = re.compile(r"\[|\]|[^\s,\[\]]+")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|[-+]?(?:nan|inf)")  # ASCII digits only, as YAML 1.2 reads them


class NotPrinted(ValueError):
    """The text is not an array as numpy or PyTorch print it; the message says why."""


class OverLimit(ValueError):
    """A printed array past the limits of a YAML value (its numbers, its nesting), refused as it is read."""


def looks_printed(text: str) -> bool:
    """Whether text is worth reading as a printed array: array(...), tensor(...), or brackets holding
    numbers separated by spaces alone somewhere (which YAML's flow syntax cannot read)."""
    if _WRAPPER.match(text):
        return True
    stripped = text.strip()
    return stripped.startswith("[") and re.search(r"[\d.]\s+[-+\d.]", stripped) is not None


def read_printed(text: str, max_numbers=math.inf, max_depth=math.inf):
    """The numbers of a printed array as nested lists of floats, in its shape.

    >>> read_printed("[0 0 1 1 1 0]")
    [0.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    >>> read_printed("[[1. 0.]\\n [0. 1.]]")
    [[1.0, 0.0], [0.0, 1.0]]
    >>> read_printed("tensor([0.5000, -0.5000], dtype=torch.float64)")
    [0.5, -0.5]
    >>> read_printed("Parameter containing:\\ntensor([[0.1000, 0.2000]], requires_grad=True)")
    [[0.1, 0.2]]
    >>> read_printed("array(3.)")
    3.0
    """
    body = text
    wrapped = _WRAPPER.match(text)
    if wrapped:
        body = _KEYWORDS.sub("", wrapped.group(2))
    if "..." in body or "…" in body:
        raise NotPrinted("numpy left numbers out (...); print the whole array, e.g. after "
                         "np.set_printoptions(threshold=sys.maxsize)")
    stack, top, count = [[]], None, 0
    for match in _TOKEN.finditer(body):  # one token at a time: the limits stop a long text early
        token = match.group()
        if token == "[":
            if len(stack) > max_depth:
                raise OverLimit(f"lists nested more than {max_depth} deep")
            stack.append([])
        elif token == "]":
            if len(stack) == 1:
                raise NotPrinted("a ] closes no [")
            done = stack.pop()
            stack[-1].append(done)
        elif _NUMBER.fullmatch(token):
            count += 1
            if count > max_numbers:
                raise OverLimit(f"holds more than {max_numbers:,} values, the limit for one key")
            stack[-1].append(float(token))
        else:
            raise NotPrinted(f"expected numbers and brackets, found '{token[:20]}'")
    if len(stack) != 1:
        raise NotPrinted("a [ is not closed")
    top = stack[0]
    if len(top) != 1:
        raise NotPrinted("expected one array" if top else "expected numbers, found none")
    return top[0]


def unprinted(value, **limits):
    """A YAML value with printed arrays read back: a text such as 'array([1., 2.])' or '[1 2]' held by a
    key, a list holding one text of numbers ([1. 0.] reads in YAML as the list ['1. 0.']), a list of
    such lists, and each of these one mapping down (expect: {h: [0 1 1]}). Anything else, or text that does not read as an array, is returned as it is."""
    if isinstance(value, str) and looks_printed(value):
        try:
            return read_printed(value, **limits)
        except NotPrinted:
            return value
    if isinstance(value, dict):  # expect: {h: [0 1 1]}
        return {key: unprinted(item, **limits) if not isinstance(item, dict) else item for key, item in value.items()}
    if _one_text(value):
        return _row(value[0], value, limits)
    if isinstance(value, list) and value and all(_one_text(item) for item in value):
        rows = {}  # by id: a YAML alias repeats one list, read once
        return [rows.setdefault(id(item), _row(item[0], item, limits)) for item in value]
    return value


def _one_text(value):
    return isinstance(value, list) and len(value) == 1 and isinstance(value[0], str)


def _row(text, otherwise, limits):
    try:
        return read_printed(f"[{text}]", **limits)
    except NotPrinted:
        return otherwise
