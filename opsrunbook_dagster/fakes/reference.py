"""Reference specifications the fakes validate against (``$OPSRUNBOOK_REFERENCE_DIR``, default
``../shared/reference``): the Atlassian ADF JSON schema and GitHub's REST OpenAPI description.
Each is loaded once per process. Without the ADF schema file, a structural check is used instead
and ``adf_validator().source`` says so."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import best_match

REPO_ROOT = Path(__file__).resolve().parents[2]
ADF_SCHEMA = "atlassian-adf-schema/full.json"
GITHUB_OPENAPI = "github-rest-openapi/api.github.com.json"
#: Node types the structural fallback accepts.
_ADF_NODES = frozenset(
    [
        "doc",
        "paragraph",
        "text",
        "heading",
        "bulletList",
        "orderedList",
        "listItem",
        "codeBlock",
        "table",
        "tableRow",
        "tableHeader",
        "tableCell",
        "blockquote",
        "rule",
        "hardBreak",
        "panel",
        "mention",
        "emoji",
        "inlineCard",
    ]
)


def reference_dir() -> Path:
    configured = os.environ.get("OPSRUNBOOK_REFERENCE_DIR")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "reference"


@dataclass(frozen=True)
class AdfValidator:
    validator: Draft4Validator | None
    source: str

    def errors(self, document: Any) -> list[str]:
        if self.validator is None:
            return list(_structural(document, "$"))
        errors = list(self.validator.iter_errors(document))
        if not errors:
            return []
        best = best_match(errors)
        where = "/".join(str(p) for p in best.absolute_path)
        return [f"ADF invalid at /{where}: {best.message[:300]}"]


@functools.cache
def _adf_validator(path: str) -> AdfValidator:
    file = Path(path)
    if not file.is_file():
        return AdfValidator(None, f"structural check ({file} absent)")
    schema = json.loads(file.read_text(encoding="utf-8"))
    return AdfValidator(Draft4Validator(schema), f"jsonschema {file}")


def adf_validator() -> AdfValidator:
    return _adf_validator(str(reference_dir() / ADF_SCHEMA))


def _structural(node: Any, where: str) -> Iterator[str]:
    if not isinstance(node, dict) or not isinstance(node.get("type"), str):
        yield f"{where}: not an ADF node"
        return
    kind = node["type"]
    if where == "$" and (kind != "doc" or node.get("version") != 1):
        yield "$: the root must be {type: doc, version: 1}"
    if kind not in _ADF_NODES:
        yield f"{where}: unknown node type {kind!r}"
    if kind == "text":
        if not isinstance(node.get("text"), str) or not node["text"]:
            yield f"{where}: text nodes need non-empty text"
        return
    content = node.get("content", [])
    if not isinstance(content, list):
        yield f"{where}: content must be a list"
        return
    for index, child in enumerate(content):
        yield from _structural(child, f"{where}/content/{index}")


@functools.cache
def _openapi(path: str) -> dict[str, Any] | None:
    file = Path(path)
    if not file.is_file():
        return None
    document: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return document


def github_openapi() -> dict[str, Any] | None:
    """GitHub's OpenAPI document (13 MB; parsed once per process), or ``None`` if absent."""
    return _openapi(str(reference_dir() / GITHUB_OPENAPI))
