"""Pydantic's validation errors in a planner's words, located by table, row and field."""

from __future__ import annotations

from typing import Any, get_args

from sourcing.data.numeric import MAX_NUMBER_CHARS
from sourcing.data.rule_specs import Rule
from sourcing.data.schema import TABLES, Instance, ModelSpec
from sourcing.errors import Problem

#: rule type -> its parameter names, to list the allowed keys of a rule
_RULE_KEYS = {
    cls.model_fields["rule"].annotation.__args__[0]: list(cls.model_fields)
    for cls in get_args(get_args(Rule)[0])
}

#: pydantic error type -> what a planner reads (``{...}`` filled from the error's context)
_WORDING = {
    "missing": "a value is required here",
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "finite_number": "must be a finite number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "string_type": "must be text",
    "string_too_short": "must not be empty",
    "list_type": "must be a list",
    "too_short": "must have at least {min_length} item(s)",
    "dict_type": "must be a mapping of keys to values",
    "model_type": "must be a mapping of keys to values",
    "model_attributes_type": "must be a mapping of keys to values",
    "extra_forbidden": "unknown key",
}


def _shown(value: Any) -> str:
    """The planner's value, short: as JSON/YAML spell booleans, and never a 5,000-digit integer
    (Python refuses to print those)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int) and abs(value) >= 10**40:
        return "a number of more than 40 digits"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _is_percent(value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return 1 < number <= 100


def problem_from(default_table: str, error: Any) -> Problem:
    """Turn a pydantic error into (table, row, field) and a message a planner reads."""
    loc = list(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    message = error["msg"]
    if kind in _WORDING:
        message = _WORDING[kind].format(
            **{k: f"{v:g}" if isinstance(v, float) else v for k, v in ctx.items()}
        )
    if kind == "less_than_equal" and ctx.get("le") == 1 and _is_percent(error.get("input")):
        # a share written as a percentage: 65 for 0.65
        message += f"; a share is a fraction: did you mean {float(error['input']) / 100:g}?"
    cause = ctx.get("error")
    if kind == "value_error" and cause is not None:
        message = str(cause)
        if getattr(cause, "field", None):
            loc.append(cause.field)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        key = str(ctx.get("discriminator", "")).strip("'")
        loc.append(key)
        message = (
            f"unknown {key} '{ctx.get('tag')}' (one of: {ctx.get('expected_tags')})"
            if kind == "union_tag_invalid"
            else f"'{key}' is required"
        )
    elif kind not in (
        "missing",
        "value_error",
        "extra_forbidden",
        "number_too_long",
    ) and not isinstance(error.get("input"), (dict, list)):
        message += f" (got {_shown(error['input'])})"

    if loc and loc[0] in TABLES:
        if len(loc) >= 2 and isinstance(loc[1], int):
            field = str(loc[2]) if len(loc) > 2 else None
            return Problem(str(loc[0]), loc[1] + 1, field, message)
        if kind == "too_short":
            message = "has no rows (at least one is required)"
        elif kind == "list_type":
            message = "must be a list of rows"
        return Problem(str(loc[0]), None, None, message)
    if loc and loc[0] == "rules" and len(loc) >= 2 and isinstance(loc[1], int):
        rule = loc[2] if len(loc) > 2 and loc[2] in _RULE_KEYS else None
        rest = loc[3:] if rule else loc[2:]
        if kind == "extra_forbidden" and rule:
            message += f" (allowed for {rule}: {', '.join(_RULE_KEYS[rule])})"
        field = ".".join(str(x) for x in rest) or None
        return Problem(
            f"{default_table} rules",
            loc[1] + 1,
            field,
            f"{rule}: {message}" if rule and not message.startswith(rule) else message,
        )
    if kind == "extra_forbidden" and len(loc) == 1:
        allowed = (ModelSpec if default_table == "model" else Instance).model_fields
        message += f" (allowed: {', '.join(allowed)})"
    field = ".".join(str(x) for x in loc) or None
    return Problem(default_table, None, field, message)


def huge_integer(default_table: str, document: Any) -> Problem:
    """Where a mapping given in Python holds an integer Python cannot turn into text (more than
    4,300 digits), which pydantic meets as a plain ValueError where a name belongs. Only called
    after that error, so the walk costs nothing on valid input."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), document)]
    found: tuple[Any, ...] = ()
    while stack:
        loc, value = stack.pop()
        if isinstance(value, dict):
            stack += [((*loc, k), v) for k, v in reversed(value.items())]
        elif isinstance(value, list):
            stack += [((*loc, i), v) for i, v in reversed(list(enumerate(value)))]
        elif isinstance(value, int) and value.bit_length() > 14_000:  # about 4,300 digits
            found = loc
            break
    message = f"is a number of more than {MAX_NUMBER_CHARS} digits"
    error = {"loc": found, "type": "number_too_long", "msg": message, "input": None}
    return problem_from(default_table, error)
