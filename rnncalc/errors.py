"""The errors rnncalc reports to its user: one line each, naming where and what."""


class InputError(Exception):
    """Bad input or usage. str() is the whole message: where it is, what was expected, what was found."""

    def __init__(self, where: str, message: str):
        self.where, self.message = where, message
        super().__init__(f"{where}: {message}" if where else message)
