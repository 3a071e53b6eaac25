"""A Microsoft Teams Workflows webhook fake: checks the signature, validates the message envelope
and the Adaptive Card (v1.5 structure, element and action types, 28 KB limit), keeps the cards."""

from __future__ import annotations

from typing import Any

from opsrunbook_dagster.fakes.base import FakeApp, Request, Response

MAX_BYTES = 28 * 1024
CARD = "application/vnd.microsoft.card.adaptive"
VERSIONS = frozenset({"1.0", "1.1", "1.2", "1.3", "1.4", "1.5"})
SPACING = {"None", "Small", "Default", "Medium", "Large", "ExtraLarge", "Padding"}
ENUMS: dict[str, set[str]] = {
    "size": {"Small", "Default", "Medium", "Large", "ExtraLarge"},
    "weight": {"Lighter", "Default", "Bolder"},
    "color": {"Default", "Dark", "Light", "Accent", "Good", "Warning", "Attention"},
    "spacing": SPACING,
}
COMMON = {"type", "id", "spacing", "separator", "isVisible", "height", "requires", "fallback"}
ELEMENTS: dict[str, set[str]] = {
    "TextBlock": COMMON
    | {
        "text",
        "size",
        "weight",
        "color",
        "wrap",
        "isSubtle",
        "maxLines",
        "horizontalAlignment",
        "fontType",
        "style",
    },
    "FactSet": COMMON | {"facts"},
    "Container": COMMON
    | {"items", "style", "selectAction", "bleed", "minHeight", "verticalContentAlignment"},
    "ColumnSet": COMMON | {"columns", "style", "selectAction", "bleed", "minHeight", "horizontalAlignment"},
    "Image": COMMON | {"url", "altText", "size", "style", "width", "horizontalAlignment", "selectAction"},
    "ActionSet": COMMON | {"actions"},
}
ACTIONS = {
    "Action.OpenUrl": {"url"},
    "Action.ShowCard": {"card"},
    "Action.ToggleVisibility": {"targetElements"},
}


class TeamsFake(FakeApp):
    name = "teams"

    def __init__(self, signature: str, workflow: str = "opsrunbook") -> None:
        super().__init__()
        self.signature = signature
        self.cards: list[dict[str, Any]] = []
        self.route("POST", f"/workflows/{workflow}", self.post)

    def error_body(self, message: str) -> Any:
        return {"error": {"code": "InvalidRequest", "message": message}}

    def post(self, request: Request) -> Response:
        if request.arg("sig") != self.signature:
            return Response(401, self.error_body("signature invalid"))
        if len(request.raw) > MAX_BYTES:
            raise self.reject(413, f"message is {len(request.raw)} bytes; the limit is {MAX_BYTES}")
        try:
            message = request.json()
        except ValueError:
            raise self.reject(400, "body is not JSON") from None
        problems = list(self._envelope(message))
        if problems:
            raise self.reject(400, "; ".join(problems[:5]))
        self.cards.append(message["attachments"][0]["content"])
        return Response(202)

    def _envelope(self, message: Any) -> Any:
        if not isinstance(message, dict) or message.get("type") != "message":
            yield "envelope: type must be 'message'"
            return
        attachments = message.get("attachments")
        if not isinstance(attachments, list) or len(attachments) != 1:
            yield "envelope: exactly one attachment expected"
            return
        attachment = attachments[0]
        if attachment.get("contentType") != CARD:
            yield f"attachment: contentType must be {CARD}"
        yield from self._card(attachment.get("content"))

    def _card(self, card: Any) -> Any:
        if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
            yield "card: type must be AdaptiveCard"
            return
        if card.get("version") not in VERSIONS:
            yield f"card: version {card.get('version')!r} is not supported by Teams (1.0-1.5)"
        unknown = set(card) - {
            "type",
            "version",
            "$schema",
            "body",
            "actions",
            "msteams",
            "fallbackText",
            "lang",
        }
        if unknown:
            yield f"card: unknown properties {sorted(unknown)}"
        body = card.get("body")
        if not isinstance(body, list) or not body:
            yield "card: body must be a non-empty list"
        else:
            for index, element in enumerate(body):
                yield from self._element(element, f"body/{index}")
        for index, action in enumerate(card.get("actions") or []):
            yield from self._action(action, f"actions/{index}")

    def _element(self, element: Any, where: str) -> Any:
        kind = element.get("type") if isinstance(element, dict) else None
        if kind not in ELEMENTS:
            yield f"{where}: unknown element type {kind!r}"
            return
        extra = set(element) - ELEMENTS[kind]
        if extra:
            yield f"{where}: {kind} has unknown properties {sorted(extra)}"
        for name, allowed in ENUMS.items():
            if name in element and element[name] not in allowed:
                yield f"{where}: {name}={element[name]!r} not in {sorted(allowed)}"
        if kind == "TextBlock" and (not isinstance(element.get("text"), str) or not element["text"]):
            yield f"{where}: TextBlock needs text"
        if kind == "FactSet":
            facts = element.get("facts")
            if not isinstance(facts, list) or not all(
                isinstance(f, dict)
                and set(f) == {"title", "value"}
                and all(isinstance(v, str) for v in f.values())
                for f in facts
            ):
                yield f"{where}: facts must be a list of {{title, value}} strings"
        if kind == "Container":
            for index, item in enumerate(element.get("items") or []):
                yield from self._element(item, f"{where}/items/{index}")
        if kind == "ActionSet":
            for index, action in enumerate(element.get("actions") or []):
                yield from self._action(action, f"{where}/actions/{index}")

    def _action(self, action: Any, where: str) -> Any:
        kind = action.get("type") if isinstance(action, dict) else None
        if kind not in ACTIONS:
            yield f"{where}: action type {kind!r} is not supported in a Workflows card"
            return
        missing = ACTIONS[kind] - set(action)
        if missing:
            yield f"{where}: {kind} needs {sorted(missing)}"
        if kind == "Action.OpenUrl" and not str(action.get("url", "")).startswith(("https://", "http://")):
            yield f"{where}: url must be absolute http(s)"
        if not action.get("title"):
            yield f"{where}: actions need a title"
