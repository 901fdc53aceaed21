"""Discord's command-sync rules that the OpenAPI spec cannot express (or states wrongly).

`PUT /applications/{id}/commands` (and the guild variant) is checked after the spec, against
developers/interactions/application-commands.mdx (tests/sandbox/test_command_rules.py quotes
each line):

- CHAT_INPUT command and option names match ``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$``
  and use the lowercase variant of every letter that has one;
- CHAT_INPUT descriptions are 1-100 characters (USER and MESSAGE commands: empty);
- names are unique per type within the array, option names unique within each option array;
- required options come before optional ones;
- name + description + choice values of a command, its options and choices total at most 8000
  characters (for localized fields, the longest variant counts);
- string choice values are at most 100 characters (the spec says 6000).

A violation is answered as Discord does: 400 / 50035 "Invalid Form Body" with the error tree.
The sync route (`sandbox.routes.commands`) applies `command_problems` first, before the spec
check, so a body that breaks a rule here is refused whatever else is wrong with it.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from sandbox.form_errors import FormError

CHAT_INPUT = 1
SUB_COMMAND, SUB_COMMAND_GROUP, STRING = 1, 2, 3
MAX_COMMAND_SIZE = 8000
MAX_CHOICE_VALUE = 100


def _script_ok(ch: str) -> bool:
    """`\\p{sc=Deva}` or `\\p{sc=Thai}` (their Unicode blocks; marks included)."""
    cp = ord(ch)
    return 0x0900 <= cp <= 0x097F or 0xA8E0 <= cp <= 0xA8FF or 0x0E00 <= cp <= 0x0E7F


def name_problems(name: Any) -> list[str]:
    """Why `name` is not a valid CHAT_INPUT command or option name (empty: it is)."""
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        return ["Must be between 1 and 32 in length."]
    for ch in name:
        category = unicodedata.category(ch)
        if not (ch in "-_'" or category[0] in "LN" or _script_ok(ch)):
            return [f"Command name is invalid: {ch!r} is not allowed."]
        if ch.lower() != ch:
            return ["Command name is invalid: use the lowercase variant of every letter."]
    return []


def _longest(obj: dict[str, Any], key: str) -> int:
    """The length of a field, counting its longest localization (as the 8000 limit does)."""
    values = [obj.get(key), *(obj.get(f"{key}_localizations") or {}).values()]
    return max((len(v) for v in values if isinstance(v, str)), default=0)


def _size(obj: dict[str, Any]) -> int:
    """Combined name, description and value characters of a command or option, recursively."""
    total = _longest(obj, "name") + _longest(obj, "description")
    for choice in obj.get("choices") or []:
        total += _longest(choice, "name")
        value = choice.get("value")
        total += len(value) if isinstance(value, str) else len(str(value))
    return total + sum(_size(o) for o in obj.get("options") or [])


def _options(options: Any, path: list[str | int], chat: bool) -> list[FormError]:
    problems: list[FormError] = []
    if not isinstance(options, list):
        return problems
    seen: set[str] = set()
    optional_seen = False
    for i, option in enumerate(options):
        if not isinstance(option, dict):
            continue
        here = [*path, i]
        name = option.get("name")
        if chat:
            problems += [
                FormError([*here, "name"], "APPLICATION_COMMAND_INVALID_NAME", m)
                for m in name_problems(name)
            ]
        if name in seen:
            problems.append(
                FormError(
                    [*here, "name"],
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    "Option names must be unique.",
                )
            )
        seen.add(str(name))
        kind = option.get("type")
        if kind not in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if option.get("required"):
                if optional_seen:
                    problems.append(
                        FormError(
                            [*here, "required"],
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options.",
                        )
                    )
            else:
                optional_seen = True
        for j, choice in enumerate(option.get("choices") or []):
            value = choice.get("value") if isinstance(choice, dict) else None
            if kind == STRING and isinstance(value, str) and len(value) > MAX_CHOICE_VALUE:
                problems.append(
                    FormError(
                        [*here, "choices", j, "value"],
                        "BASE_TYPE_MAX_LENGTH",
                        f"Must be {MAX_CHOICE_VALUE} or fewer in length.",
                    )
                )
        problems += _options(option.get("options"), [*here, "options"], chat)
    return problems


def command_problems(commands: Any) -> list[FormError]:
    """Every rule a bulk-overwrite body breaks (empty: Discord would accept it)."""
    if not isinstance(commands, list):
        return []
    problems: list[FormError] = []
    seen: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        if not isinstance(command, dict):
            continue
        kind = int(command.get("type") or CHAT_INPUT)
        chat = kind == CHAT_INPUT
        name = command.get("name")
        if chat:
            problems += [
                FormError([i, "name"], "APPLICATION_COMMAND_INVALID_NAME", m)
                for m in name_problems(name)
            ]
            description = command.get("description")
            if not isinstance(description, str) or not 1 <= len(description) <= 100:
                problems.append(
                    FormError(
                        [i, "description"],
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 100 in length.",
                    )
                )
        elif command.get("description"):
            problems.append(
                FormError(
                    [i, "description"],
                    "APPLICATION_COMMAND_INVALID_DESCRIPTION",
                    "USER and MESSAGE commands take an empty description.",
                )
            )
        if (kind, str(name)) in seen:
            problems.append(
                FormError(
                    [i, "name"],
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    "Application command names must be unique",
                )
            )
        seen.add((kind, str(name)))
        problems += _options(command.get("options"), [i, "options"], chat)
        if _size(command) > MAX_COMMAND_SIZE:
            problems.append(
                FormError(
                    [i],
                    "APPLICATION_COMMAND_TOO_LARGE",
                    f"Command exceeds maximum size ({MAX_COMMAND_SIZE})",
                )
            )
    return problems
