"""A small checker of JSON values against atproto lexicons (the files we ship, nothing else).

Enough of the lexicon language (https://atproto.com/specs/lexicon) to say whether a fixture
could have come from Bluesky: objects (required fields, property types), strings (formats
datetime, uri, at-uri, did, handle, cid, maxLength), integers (minimum, maximum), booleans,
arrays (items, maxLength), refs (`#def`, `nsid#def`, `nsid` = main), unions (a `$type` among
the refs; open unions accept another `$type`, as the spec says), unknown, blob. A ref or
union member whose lexicon is not shipped is not checked further (said in `unchecked`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMATS = {
    "datetime": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "uri": re.compile(r"^[a-z][a-z0-9+.-]*:\S+$"),
    "at-uri": re.compile(r"^at://[^/\s]+(/[^/\s]+(/[^/\s]+)?)?$"),
    "did": re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]+$"),
    "handle": re.compile(
        r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
    ),
    "cid": re.compile(r"^[A-Za-z0-9+/=]{8,}$"),
    "at-identifier": re.compile(r"^(did:\S+|[A-Za-z0-9.-]+)$"),
    "language": re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]+)*$"),
}


@dataclass
class Lexicons:
    """The lexicon documents of a folder, by id."""

    docs: dict[str, dict[str, Any]]
    unchecked: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, folder: Path) -> Lexicons:
        docs = {}
        for path in sorted(folder.glob("*.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            docs[doc["id"]] = doc
        return cls(docs)

    def resolve(self, ref: str, base: str) -> tuple[str, dict[str, Any]] | None:
        """The definition a ref names, with its lexicon id; None when not shipped."""
        nsid, _, name = ref.partition("#")
        nsid = nsid or base
        doc = self.docs.get(nsid)
        if doc is None:
            self.unchecked.add(ref)
            return None
        return nsid, doc["defs"][name or "main"]

    def check(self, value: Any, ref: str) -> list[str]:
        """Every way `value` breaks the definition `ref` ("nsid#def"), as "path: why"."""
        found = self.resolve(ref, "")
        if found is None:
            raise KeyError(f"{ref} is not shipped")
        errors: list[str] = []
        self._check(value, found[1], found[0], "$", errors)
        return errors

    def _check(self, value: Any, d: dict[str, Any], base: str, at: str, errors: list[str]) -> None:
        kind = d.get("type")
        if kind == "ref":
            found = self.resolve(d["ref"], base)
            if found is not None:
                self._check(value, found[1], found[0], at, errors)
        elif kind == "union":
            self._union(value, d, base, at, errors)
        elif kind == "record":
            self._check(value, d["record"], base, at, errors)
        elif kind in ("object", "params"):
            self._object(value, d, base, at, errors)
        elif kind == "array":
            if not isinstance(value, list):
                errors.append(f"{at}: expected an array, got {type(value).__name__}")
                return
            if "maxLength" in d and len(value) > d["maxLength"]:
                errors.append(f"{at}: more than {d['maxLength']} items")
            for i, item in enumerate(value):
                self._check(item, d["items"], base, f"{at}[{i}]", errors)
        elif kind == "string":
            self._string(value, d, at, errors)
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(f"{at}: expected an integer, got {type(value).__name__}")
            elif value < d.get("minimum", value) or value > d.get("maximum", value):
                errors.append(f"{at}: {value} out of range")
        elif kind == "boolean":
            if not isinstance(value, bool):
                errors.append(f"{at}: expected a boolean, got {type(value).__name__}")
        elif kind == "blob":
            if not isinstance(value, dict) or value.get("$type") != "blob":
                errors.append(f"{at}: expected a blob")
        elif kind == "unknown":
            if not isinstance(value, dict):
                errors.append(f"{at}: expected an object (unknown), got {type(value).__name__}")
        else:  # cid-link, bytes, token …: not used by our fixtures
            self.unchecked.add(f"{base}:{kind}")

    def _object(self, value: Any, d: dict[str, Any], base: str, at: str, errors: list[str]) -> None:
        if not isinstance(value, dict):
            errors.append(f"{at}: expected an object, got {type(value).__name__}")
            return
        for name in d.get("required", []):
            if name not in value:
                errors.append(f"{at}: missing required {name!r}")
        for name, prop in d.get("properties", {}).items():
            if name in value and not (value[name] is None and name in d.get("nullable", [])):
                self._check(value[name], prop, base, f"{at}.{name}", errors)

    def _union(self, value: Any, d: dict[str, Any], base: str, at: str, errors: list[str]) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("$type"), str):
            errors.append(f"{at}: a union member needs a $type")
            return
        wanted = value["$type"].removesuffix("#main")
        for ref in d["refs"]:
            full = (base if ref.startswith("#") else "") + ref
            if full.removesuffix("#main") == wanted:
                found = self.resolve(full, base)
                if found is not None:
                    self._check(value, found[1], found[0], at, errors)
                return
        if d.get("closed"):
            errors.append(f"{at}: $type {wanted} is not one of {d['refs']}")

    @staticmethod
    def _string(value: Any, d: dict[str, Any], at: str, errors: list[str]) -> None:
        if not isinstance(value, str):
            errors.append(f"{at}: expected a string, got {type(value).__name__}")
            return
        if "maxLength" in d and len(value.encode()) > d["maxLength"]:
            errors.append(f"{at}: longer than {d['maxLength']} bytes")
        pattern = FORMATS.get(d.get("format", ""))
        if pattern is not None and not pattern.match(value):
            errors.append(f"{at}: {value[:60]!r} is not a {d['format']}")

    def check_output(self, value: Any, nsid: str) -> list[str]:
        """How a query's or procedure's answer breaks its `output.schema`."""
        return self._io(value, nsid, "output")

    def check_input(self, value: Any, nsid: str) -> list[str]:
        """How a procedure's request body breaks its `input.schema`."""
        return self._io(value, nsid, "input")

    def check_params(self, params: dict[str, list[str]], nsid: str) -> list[str]:
        """How a query string breaks a query's `parameters` (values arrive as strings)."""
        spec = self.docs[nsid]["defs"]["main"]["parameters"]
        errors = [f"$: missing required {n!r}" for n in spec.get("required", []) if n not in params]
        for name, values in params.items():
            prop = spec["properties"].get(name)
            if prop is None:
                errors.append(f"$: {name!r} is not a parameter of {nsid}")
                continue
            for raw in values:
                value: Any = raw
                if prop["type"] == "integer":
                    value = int(raw) if raw.lstrip("-").isdigit() else raw
                self._check(value, prop, nsid, f"$.{name}", errors)
        return errors

    def _io(self, value: Any, nsid: str, which: str) -> list[str]:
        errors: list[str] = []
        self._check(value, self.docs[nsid]["defs"]["main"][which]["schema"], nsid, "$", errors)
        return errors
