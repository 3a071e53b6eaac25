"""A light validator over GitHub's REST OpenAPI description, plus responses synthesised from it.

Requests: the path must match a documented template and method; query parameters must be
declared (enums honoured); a JSON body must satisfy the operation's ``requestBody`` schema.
Responses: the fake fills every *required* field of the documented response schema with a valid
placeholder and overlays its real values, then checks the result against the schema.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from openapi_schema_validator import OAS30Validator

from opsrunbook_dagster.fakes.reference import github_openapi

_PARAM = re.compile(r"\{([^}]+)\}")


class OpenApiSpec:
    def __init__(self, document: dict[str, Any]) -> None:
        self.doc = document
        self.components = document.get("components", {})
        self._templates: list[tuple[str, re.Pattern[str], int]] = []
        for template, item in document["paths"].items():
            multi = {
                p["name"]
                for op in item.values()
                if isinstance(op, dict)
                for p in map(self.resolve, op.get("parameters", []))
                if p.get("x-multi-segment")
            }
            regex = _PARAM.sub(functools.partial(_group, multi=multi), template)
            literal = len(_PARAM.sub("", template))
            self._templates.append((template, re.compile(f"^{regex}$"), literal))
        self._templates.sort(key=lambda t: -t[2])

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            parts = node["$ref"].lstrip("#/").split("/")
            target: Any = self.doc
            for part in parts:
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def match(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for template, regex, _ in self._templates:
            if regex.match(path):
                operation = self.doc["paths"][template].get(method.lower())
                if operation is not None:
                    return template, operation
        return None

    def _errors(self, schema: Any, value: Any) -> list[str]:
        validator = OAS30Validator({**schema, "components": self.components})
        return [
            f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:200]}"
            for e in validator.iter_errors(value)
        ]

    def check_request(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> list[str]:
        found = self.match(method, path)
        if found is None:
            return [f"{method} {path}: not in GitHub's REST API description"]
        template, operation = found
        where = f"{method} {template}"
        problems: list[str] = []
        declared = {
            p["name"]: p for p in map(self.resolve, operation.get("parameters", [])) if p.get("in") == "query"
        }
        for name, values in query.items():
            if name not in declared:
                problems.append(f"{where}: undeclared query parameter {name!r}")
            elif (
                "enum" in declared[name].get("schema", {})
                and values[0] not in declared[name]["schema"]["enum"]
            ):
                problems.append(f"{where}: {name}={values[0]!r} not in {declared[name]['schema']['enum']}")
        problems += [
            f"{where}: missing query parameter {n!r}"
            for n, p in declared.items()
            if p.get("required") and n not in query
        ]
        request_body = self.resolve(operation.get("requestBody"))
        schema = ((request_body or {}).get("content", {}).get("application/json") or {}).get("schema")
        if schema is not None and body is not None:
            problems += [f"{where} body {e}" for e in self._errors(schema, body)]
        elif request_body and request_body.get("required") and body is None:
            problems.append(f"{where}: request body required")
        return problems

    def response_schema(self, method: str, path: str, status: int) -> Any:
        found = self.match(method, path)
        if found is None:
            return None
        response = self.resolve(found[1].get("responses", {}).get(str(status)))
        return ((response or {}).get("content", {}).get("application/json") or {}).get("schema")

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        found = self.match(method, path)
        if found is None:
            return []
        if str(status) not in found[1].get("responses", {}):
            return [f"{method} {found[0]}: status {status} is not documented"]
        schema = self.response_schema(method, path, status)
        if schema is None or body is None:
            return []
        return [f"{method} {found[0]} -> {status} {e}" for e in self._errors(schema, body)]

    def synthesize(self, schema: Any, depth: int = 0) -> Any:
        """A minimal value satisfying ``schema``: required fields only, placeholders by type."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or depth > 12:
            return None
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for part in schema["allOf"]:
                value = self.synthesize(part, depth + 1)
                if isinstance(value, dict):
                    merged.update(value)
            return merged
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.synthesize(schema[key][0], depth + 1)
        if schema.get("nullable"):
            return None
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            props = schema.get("properties", {})
            return {
                name: self.synthesize(props.get(name, {}), depth + 1) for name in schema.get("required", [])
            }
        if kind == "array":
            return []
        if kind == "string":
            fmt = schema.get("format")
            if fmt == "date-time":
                return "2026-01-01T00:00:00Z"
            if fmt == "uri":
                return "https://example.invalid/"
            return "x" * max(int(schema.get("minLength", 0)), 1)
        if kind in ("integer", "number"):
            return schema.get("minimum", 1)
        if kind == "boolean":
            return False
        return None

    def shaped(self, method: str, path: str, status: int, actual: Any, variant: str | None = None) -> Any:
        """``actual`` completed with every field the documented response requires (``variant``:
        the component schema to use where the response is a ``oneOf``)."""
        schema = self.response_schema(method, path, status)
        if variant is not None:
            schema = {"$ref": f"#/components/schemas/{variant}"}
        return actual if schema is None else self.complete(schema, actual)

    def complete(self, schema: Any, actual: Any, depth: int = 0) -> Any:
        """``actual`` with every missing required field (at any depth) synthesised from ``schema``."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict) or depth > 12:
            return actual
        if "allOf" in schema:
            for part in schema["allOf"]:
                actual = self.complete(part, actual, depth + 1)
            return actual
        for key in ("oneOf", "anyOf"):
            if key in schema:
                options = [self.resolve(o) for o in schema[key]]
                fits = [o for o in options if _kind(o) == _kind_of(actual)] or options
                return self.complete(fits[0], actual, depth + 1)
        if isinstance(actual, dict):
            props = schema.get("properties", {})
            done = {k: self.complete(props[k], v, depth + 1) if k in props else v for k, v in actual.items()}
            for name in schema.get("required", []):
                if name not in done:
                    done[name] = self.synthesize(props.get(name, {}), depth + 1)
            return done
        if isinstance(actual, list):
            return [self.complete(schema.get("items", {}), item, depth + 1) for item in actual]
        return actual


def _kind(schema: Any) -> str | None:
    kind = schema.get("type") if isinstance(schema, dict) else None
    return "object" if kind is None and isinstance(schema, dict) and "properties" in schema else kind


def _kind_of(value: Any) -> str:
    return "object" if isinstance(value, dict) else "array" if isinstance(value, list) else "scalar"


def _group(match: re.Match[str], multi: set[str]) -> str:
    name = match.group(1)
    return f"(?P<{_safe(name)}>{'.+' if name in multi else '[^/]+'})"


def _safe(name: str) -> str:
    return re.sub(r"\W", "_", name)


@functools.cache
def github_spec() -> OpenApiSpec | None:
    document = github_openapi()
    return OpenApiSpec(document) if document is not None else None
