"""The message-component rules of Discord's documentation that its OpenAPI spec does not express.

components/reference.mdx (discord/discord-api-docs c98d64b):
- :2542 "Legacy messages allow up to 5 action rows as top-level components" (a message without
  IS_COMPONENTS_V2), and :18 "Messages allow up to 40 total components";
- :94-95 an action row holds "Up to 5 contextually grouped buttons" *or* "A single select";
- :185 "Link buttons must have a url, and cannot have a custom_id"; :187 premium buttons
  "cannot have a custom_id" either; every other button needs one (the docs are silent; the
  stricter reading, and the only way a click can be told apart);
- :81 custom_id "must be unique per component. Multiple components on the same message must not
  share the same custom_id".
Each function returns the `FormError`s it finds (empty: the rules hold), with paths under
`components` as Discord reports them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sandbox.form_errors import FormError

MAX_LEGACY_ROWS = 5
MAX_TOTAL = 40
ACTION_ROW = 1
BUTTON = 2
SELECTS = frozenset({3, 5, 6, 7, 8})  # string, user, role, mentionable, channel
LINK_STYLE = 5
PREMIUM_STYLE = 6

Path = list[str | int]


def component_rules(components: Any, *, v2: bool) -> list[FormError]:
    """Every component rule `components` (a message's top-level list) breaks."""
    if not isinstance(components, list):
        return []
    problems: list[FormError] = []
    if not v2 and len(components) > MAX_LEGACY_ROWS:
        problems.append(
            FormError(
                ["components"],
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {MAX_LEGACY_ROWS} or fewer in length.",
            )
        )
    every = list(_walk(components, ["components"]))
    if len(every) > MAX_TOTAL:
        problems.append(
            FormError(
                ["components"],
                "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED",
                f"The message has more than {MAX_TOTAL} components.",
            )
        )
    seen: set[str] = set()
    for path, component in every:
        if component.get("type") == ACTION_ROW:
            problems.extend(_row_rules(path, component))
        elif component.get("type") == BUTTON:
            problems.extend(_button_rules(path, component))
        custom_id = component.get("custom_id")
        if isinstance(custom_id, str):
            if custom_id in seen:
                problems.append(
                    FormError(
                        [*path, "custom_id"],
                        "COMPONENT_CUSTOM_ID_DUPLICATED",
                        "Component custom id cannot be duplicated",
                    )
                )
            seen.add(custom_id)
    return problems


def _walk(components: list[Any], path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every component (a dict) with its path, depth first, containers before their children."""
    for i, component in enumerate(components):
        if not isinstance(component, dict):
            continue
        here: Path = [*path, i]
        yield here, component
        for key in ("components", "accessory"):
            inner = component.get(key)
            if isinstance(inner, list):
                yield from _walk(inner, [*here, key])
            elif isinstance(inner, dict):
                yield from _walk([inner], [*here, key])


def _row_rules(path: Path, row: dict[str, Any]) -> list[FormError]:
    children = [c for c in row.get("components") or [] if isinstance(c, dict)]
    selects = sum(1 for c in children if c.get("type") in SELECTS)
    if selects and len(children) > 1:
        return [
            FormError(
                [*path, "components"],
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "An action row holds up to 5 buttons or a single select, not both.",
            )
        ]
    return []


def _button_rules(path: Path, button: dict[str, Any]) -> list[FormError]:
    style = button.get("style")
    has_id = button.get("custom_id") is not None
    if style == LINK_STYLE:
        problems = []
        if has_id:
            problems.append(
                FormError(
                    [*path, "custom_id"],
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "A link button cannot have a custom_id.",
                )
            )
        if not button.get("url"):
            problems.append(
                FormError([*path, "url"], "BASE_TYPE_REQUIRED", "This field is required")
            )
        return problems
    if style == PREMIUM_STYLE:
        if has_id:
            return [
                FormError(
                    [*path, "custom_id"],
                    "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED",
                    "A premium button cannot have a custom_id.",
                )
            ]
        return []
    if not has_id:
        return [FormError([*path, "custom_id"], "BASE_TYPE_REQUIRED", "This field is required")]
    return []
