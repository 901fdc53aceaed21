"""`FormError`: one broken rule at one place in a request body, and Discord's `errors` tree.

Every rule module (`sandbox.validation`, `sandbox.message_rules`, `sandbox.command_rules`)
reports with these, and the routes answer 400 / 50035 "Invalid Form Body" with `errors_tree`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class FormError:
    """One failed rule at one place in the body, as Discord words it."""

    def __init__(self, path: Iterable[str | int], code: str, message: str) -> None:
        self.path = [str(p) for p in path]
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"FormError({'.'.join(self.path) or '<body>'}: {self.code})"


def errors_tree(problems: list[FormError]) -> dict[str, Any]:
    """Discord's nested `errors` object: {"embeds": {"0": {"description": {"_errors": [...]}}}}."""
    tree: dict[str, Any] = {}
    for problem in problems:
        node = tree
        for part in problem.path:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": problem.code, "message": problem.message})
    return tree


def too_long(path: list[str | int], limit: int) -> FormError:
    """Discord's error for a string or array over its limit."""
    return FormError(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")
