"""The one error of the FHIRPath compiler, apart so that the parser and compiler share it."""

from __future__ import annotations


class UnsupportedExpression(ValueError):
    """An expression, or the branch of it for one type, the gateway cannot evaluate exactly.

    `str(error)` is the reason, in words a reader of the README's table of unsupported
    search parameters understands.
    """
