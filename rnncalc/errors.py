"""The errors rnncalc reports to its user: one line each, naming where and what; and the exit statuses."""

EXIT_OK, EXIT_EXPECTATION, EXIT_INPUT, EXIT_NONFINITE = 0, 1, 2, 3


class InputError(Exception):
    """Bad input or usage. str() is the whole message: where it is, what was expected, what was found."""

    def __init__(self, where: str, message: str):
        self.where, self.message = where, message
        super().__init__(f"{where}: {message}" if where else message)


class NonFiniteError(ArithmeticError):
    """A result went non-finite (inf or NaN). str() names the first step and quantity it appeared in."""

    def __init__(self, message: str):
        super().__init__(message)

    @classmethod
    def at(cls, t: int, key: str):
        return cls(f"{key} is not finite at step {t}; the weights or inputs are too large for float64")


class ExpectationError(AssertionError):
    """An expected value the user gave does not hold. str() says how many of how many, and the first."""

    def __init__(self, checks, digits, atol=None):
        failed = [c for c in checks if not c.ok]
        super().__init__(f"{len(failed)} of {len(checks)} expected values do not hold; first: "
                         f"{failed[0].describe(digits, atol)}")
