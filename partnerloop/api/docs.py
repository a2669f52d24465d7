"""A server-rendered page for /api/v1/docs.

Ninja's Swagger and Redoc pages load their scripts from a CDN and start them with inline
scripts, both refused by our Content-Security-Policy. This page lists the operations of
the OpenAPI schema instead, with a link to the schema itself for tools.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI

METHODS = ("get", "post", "put", "patch", "delete")


def operations_of(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The operations of an OpenAPI schema, in path order, as plain rows for a template."""
    rows = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.get("responses", {})
            rows.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": _markup(operation.get("description", "")),
                    "parameters": [
                        {
                            "name": p["name"],
                            "where": p.get("in", ""),
                            "type": _type_of(schema, p.get("schema", {})),
                            "required": p.get("required", False),
                            "description": _markup(
                                p.get("description", "")
                                or p.get("schema", {}).get("description", "")
                            ),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "body": _body_fields(schema, operation),
                    "statuses": [
                        (code, r.get("description", "")) for code, r in sorted(responses.items())
                    ],
                }
            )
    return rows


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    name = str(ref).rsplit("/", 1)[-1]
    return schema.get("components", {}).get("schemas", {}).get(name, {})


def _type_of(schema: dict[str, Any], node: dict[str, Any]) -> str:
    """A short, readable type: `string`, `integer`, `list of string`, `one of a, b`."""
    node = _resolve(schema, node)
    if "enum" in node:
        return "one of " + ", ".join(repr(v) if v == "" else str(v) for v in node["enum"])
    if len(node.get("allOf", [])) == 1:
        return _type_of(schema, node["allOf"][0])
    if "anyOf" in node:
        kinds = [_type_of(schema, option) for option in node["anyOf"]]
        return " or ".join(k for k in kinds if k)
    if node.get("type") == "array":
        return "list of " + _type_of(schema, node.get("items", {}))
    return str(node.get("type", ""))


def _default(node: dict[str, Any]) -> str:
    if "default" not in node or node["default"] is None:
        return ""
    value = node["default"]
    if isinstance(value, str) and "\n" in value:
        return "(long text)"
    return json.dumps(value)


def _markup(text: str) -> SafeString:
    """Escape a description and show its `backticked` words as code."""
    return mark_safe(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def _body_fields(schema: dict[str, Any], operation: dict[str, Any]) -> list[dict[str, Any]]:
    content = operation.get("requestBody", {}).get("content", {})
    body = _resolve(schema, content.get("application/json", {}).get("schema", {}))
    required = set(body.get("required", []))
    return [
        {
            "name": name,
            "type": _type_of(schema, prop),
            "required": name in required,
            "default": _default(prop),
            "description": _markup(prop.get("description", "")),
        }
        for name, prop in body.get("properties", {}).items()
    ]


class ServerRenderedDocs(DocsBase):
    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        return render(
            request,
            "api/docs.html",
            {
                "api": api,
                "schema": schema,
                "operations": operations_of(schema),
                "openapi_url": self.get_openapi_url(api, kwargs),
                "base_path": api.get_root_path(kwargs),
            },
        )
