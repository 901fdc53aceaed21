"""Post-process the generated schema: TypeScript flag enums become bit fields.

`ts-json-schema-generator` turns `enum UserFlags { Staff = 1, Partner = 2, ... }` into
`{"enum": [1, 2, ...]}`, but a `flags` field holds any combination of those bits (0 included),
so every definition named `*Flags` becomes a non-negative integer. Run by generate.sh.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(path: str) -> None:
    """Rewrite the schema file at `path` in place."""
    file = Path(path)
    schema = json.loads(file.read_text("utf-8"))
    for name, definition in schema["definitions"].items():
        if name.endswith("Flags") and ("enum" in definition or "const" in definition):
            bits = definition.get("enum") or [definition.get("const")]
            schema["definitions"][name] = {
                "type": "integer",
                "minimum": 0,
                "description": f"bit field of {name}: any combination of {bits}",
            }
    file.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", "utf-8")


if __name__ == "__main__":
    main(sys.argv[1])
