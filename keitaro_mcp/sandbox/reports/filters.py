r"""Report and log filters as SQL: ``{name, operator, expression}`` → a parameterised condition.

Text columns compare as strings (unset = ""), the rest as numbers (unset = 0). ``MATCH_REGEXP``
runs the ``regex`` package through the ``regexp_match`` SQL function; ``/pattern/i`` is case-insensitive.
``HAS_LABEL`` reads the campaign's labels (``report/labels``) for the filtered parameter.

A pattern cannot freeze the tracker: it is at most ``MAX_PATTERN`` characters, and all the matching one query does
shares ``REGEXP_BUDGET`` seconds (regex's own timeout stops a catastrophic pattern inside one value); past it the
query stops with a 400. Python's ``re`` has no timeout: ``(\w+)+x`` over the click log held the store lock, and
every other request, for minutes.
"""

from __future__ import annotations

import re
import time
from typing import Any

import regex

from keitaro_mcp.sandbox.errors import bad_request

__all__ = ["MAX_PATTERN", "OPERATORS", "REGEXP_BUDGET", "SqlFilters", "compile_regexp"]

MAX_PATTERN = 200
REGEXP_BUDGET = 1.0
"""Seconds of regular-expression matching one report or log query may spend."""

OPERATORS = (
    "EQUALS", "NOT_EQUAL", "EQUALS_OR_GREATER_THAN", "EQUALS_OR_LESS_THAN", "GREATER_THAN", "LESS_THAN",
    "MATCH_REGEXP", "NOT_MATCH_REGEXP", "BEGINS_WITH", "ENDS_WITH", "CONTAINS", "NOT_CONTAIN", "IN_LIST",
    "NOT_IN_LIST", "BETWEEN", "IS_SET", "IS_NOT_SET", "IS_TRUE", "IS_FALSE", "HAS_LABEL", "NOT_HAS_LABEL",
)  # fmt: skip
COMPARISONS = {"EQUALS": "=", "NOT_EQUAL": "!=", "GREATER_THAN": ">", "LESS_THAN": "<",
               "EQUALS_OR_GREATER_THAN": ">=", "EQUALS_OR_LESS_THAN": "<="}  # fmt: skip


def compile_regexp(pattern: str) -> Any:
    """A filter's regular expression (``/pattern/flags`` or bare), or a 400 naming the bad pattern."""
    if len(pattern) > MAX_PATTERN:
        raise bad_request(f"Regular expression longer than {MAX_PATTERN} characters")
    flags = 0
    m = re.fullmatch(r"/(.*)/([a-z]*)", pattern, re.S)
    if m:
        pattern = m.group(1)
        if "i" in m.group(2):
            flags |= regex.IGNORECASE
    try:
        return regex.compile(pattern, flags)
    except regex.error as exc:
        raise bad_request(f"Invalid regular expression {pattern!r}: {exc}") from None


class RegexpTooSlow(Exception):
    """The query's matching budget ran out (raised inside SQLite: it aborts the statement)."""


class SqlFilters:
    """Filter conditions for one connection, with the compiled patterns ``regexp_match`` uses."""

    def __init__(self) -> None:
        self._patterns: dict[str, Any] = {}
        self._deadline = float("inf")
        self.too_slow = False

    def start(self) -> None:
        """A new query: its regular expressions share a fresh budget."""
        self._deadline = time.monotonic() + REGEXP_BUDGET
        self.too_slow = False

    def check(self, exc: Exception) -> None:
        """Re-raise a query's failure as the 400 it is when the matching budget ran out."""
        if self.too_slow:
            raise bad_request(
                f"Regular expression took more than {REGEXP_BUDGET:g} s over this query; simplify it"
            ) from exc

    def regexp_match(self, pattern: str, value: Any) -> int:
        """SQL function ``regexp_match(pattern, value)``: 1 when the pattern is found in the value."""
        compiled = self._patterns.get(pattern)
        if compiled is None:
            compiled = self._patterns[pattern] = compile_regexp(pattern)
        left = self._deadline - time.monotonic()
        try:
            if left <= 0:
                raise TimeoutError
            return 1 if compiled.search("" if value is None else str(value), timeout=left) else 0
        except TimeoutError:
            self.too_slow = True
            raise RegexpTooSlow from None

    def sql(self, col_sql: str, kind: str, col_name: str, flt: Any, params: list[Any]) -> str:
        """The condition for one filter on a column (``kind`` as in ``Column.kind``, or ``num`` for
        a measure); its values are appended to ``params``."""
        if not isinstance(flt, dict) or "operator" not in flt:
            raise bad_request("Each filter needs name, operator and expression")
        op = flt["operator"]
        if op not in OPERATORS:
            raise bad_request(f"Unknown operator {op!r}; valid: {', '.join(OPERATORS)}")
        expr = flt.get("expression")
        text = kind == "text"
        e = f"COALESCE({col_sql}, '')" if text else f"COALESCE({col_sql}, 0)"

        def scalar(value: Any) -> Any:
            if isinstance(value, (list, dict)):
                raise bad_request(f"Operator {op} needs a single value for {col_name}")
            if text:
                return "" if value is None else str(value)
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, (int, float)):
                return value
            try:
                return float(value) if "." in str(value) else int(str(value))
            except ValueError:
                raise bad_request(f"Filter {col_name} expects a number, got {value!r}") from None

        if op in COMPARISONS:
            params.append(scalar(expr))
            return f"{e} {COMPARISONS[op]} ?"
        if op in ("MATCH_REGEXP", "NOT_MATCH_REGEXP"):
            if not isinstance(expr, str) or not expr:
                raise bad_request(f"Operator {op} needs a regular expression")
            self._patterns.setdefault(expr, compile_regexp(expr))
            params.append(expr)
            return f"regexp_match(?, {col_sql}) = {1 if op == 'MATCH_REGEXP' else 0}"
        if op in ("BEGINS_WITH", "ENDS_WITH", "CONTAINS", "NOT_CONTAIN"):
            needle = str(scalar(expr) if text else expr).lower()
            hay = f"lower(CAST({e} AS TEXT))"
            if op == "BEGINS_WITH":
                params.extend([len(needle), needle])
                return f"substr({hay}, 1, ?) = ?"
            if op == "ENDS_WITH":
                if not needle:
                    return "1"
                params.extend([-len(needle), needle])
                return f"substr({hay}, ?) = ?"
            params.append(needle)
            return f"instr({hay}, ?) {'>' if op == 'CONTAINS' else '='} 0"
        if op in ("IN_LIST", "NOT_IN_LIST"):
            values = expr if isinstance(expr, list) else [v for v in str(expr or "").split(",") if v != ""]
            if not values:
                return "0" if op == "IN_LIST" else "1"
            params.extend(scalar(v) for v in values)
            marks = ", ".join("?" * len(values))
            return f"{e} {'IN' if op == 'IN_LIST' else 'NOT IN'} ({marks})"
        if op == "BETWEEN":
            if not isinstance(expr, list) or len(expr) != 2:
                raise bad_request("Operator BETWEEN needs [from, to]")
            params.extend([scalar(expr[0]), scalar(expr[1])])
            return f"{e} BETWEEN ? AND ?"
        if op in ("IS_SET", "IS_NOT_SET"):
            empty = "''" if text else "0"
            return f"{e} {'!=' if op == 'IS_SET' else '='} {empty}"
        if op in ("IS_TRUE", "IS_FALSE"):
            return f"{e} {'!=' if op == 'IS_TRUE' else '='} 0"
        # HAS_LABEL / NOT_HAS_LABEL: labels are per campaign and parameter (report/labels).
        if expr not in ("whitelist", "blacklist"):
            raise bad_request(f"Operator {op} needs whitelist or blacklist")
        params.extend([col_name, expr])
        exists = (
            f"EXISTS (SELECT 1 FROM labels l WHERE l.campaign_id = c.campaign_id AND l.ref_name = ? "
            f"AND l.value = {e} AND l.label = ?)"
        )
        return exists if op == "HAS_LABEL" else f"NOT {exists}"
