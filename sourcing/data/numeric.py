"""The one way a number is read from the input: plain decimal text, or a number that is not a
boolean. The decision and its reasons are in :mod:`sourcing.data.schema`'s docstring.

Every number type of the data contract (:mod:`sourcing.data.schema`), of a rule
(:mod:`sourcing.data.rule_specs`) and of a scenario (:mod:`sourcing.scenarios`) starts with
:data:`PlainNumber`, so a CSV cell, a JSON value and a YAML value are read alike.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

#: Plain decimal, as a spreadsheet writes it: an optional sign, digits with an optional decimal
#: point, an optional exponent. ASCII digits only.
PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
#: Spellings of infinity and NaN: let through, so the planner reads "must be a finite number".
NOT_FINITE = re.compile(r"[+-]?(?:inf|infinity|nan)", re.IGNORECASE)
#: The longest number accepted, in characters (text) or digits (an integer). The largest value
#: the schema accepts (1e12) has 13 digits and a double needs at most 17 significant digits;
#: longer text is a mistake, and Python refuses to convert integers of more than 4,300 digits.
MAX_NUMBER_CHARS = 100
#: ``3000,5``: a decimal comma (one comma, not followed by exactly three digits as in 1,000)
DECIMAL_COMMA = re.compile(r"[+-]?\d+,(?!\d{3}$)\d+")
_TOO_LONG = 10**MAX_NUMBER_CHARS


def _plain(value: Any) -> Any:
    """Refuse what pydantic would otherwise coerce: booleans, and text that is not plain decimal
    (``1_000``, ``0x10``, ``1,000``, non-ASCII digits)."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_not_bool", "must be a number, not true or false")
    if isinstance(value, int) and abs(value) >= _TOO_LONG:
        raise PydanticCustomError(
            "number_too_long",
            "is a number of more than {limit} digits",
            {"limit": MAX_NUMBER_CHARS},
        )
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_CHARS:
            raise PydanticCustomError(
                "number_too_long",
                "must be a number of at most {limit} characters",
                {"limit": MAX_NUMBER_CHARS},
            )
        if PLAIN.fullmatch(text) or NOT_FINITE.fullmatch(text):
            return text
        if DECIMAL_COMMA.fullmatch(text):  # 3000,5 from a European spreadsheet
            point = text.replace(",", ".")
            raise PydanticCustomError(
                "number_decimal_comma",
                "must be a number with a decimal point: write {point}, not {text}",
                {"point": point, "text": text},
            )
        if _python_reads(text):  # 1_000, ١٢: read as numbers by Python, not by a spreadsheet
            raise PydanticCustomError(
                "number_spelling", "must be a number written plainly, such as 12, 0.5 or 1e3"
            )
        raise PydanticCustomError("number_parsing", "must be a number")
    return value


def _python_reads(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


#: Put before the bounds of every number type: ``Annotated[float, PlainNumber, Field(...)]``.
PlainNumber = BeforeValidator(_plain)
