"""Issue 6's routes and commands are all documented: every route of the TSA, priority
documents, product authenticity, credentials and certificates is in ``/openapi.json`` with
an example, its media types and RFC 9457 problem responses; every command has --help."""

from __future__ import annotations

import argparse
from typing import Any

import pytest
from starlette.routing import Route

from ipledger.api import authenticity, certificates, credentials, priority, tsa
from ipledger.api.openapi import SPEC
from ipledger.cli import build_parser
from ipledger.ledger import Rejection
from ipledger.ledger.validation import verify_entry_signatures
from ipledger.registry.engine import RULES
from ipledger.registry.schema import check_object
from ipledger.web.authenticity import routes as authenticity_page

ROUTES: list[Route] = [*tsa.routes, *priority.routes, *authenticity.routes,
                       *certificates.routes, *credentials.routes, *authenticity_page]
# Bodies JSON cannot hold (DER, PEM chains): their operations describe the openssl commands.
BINARY = {"application/timestamp-query", "application/timestamp-reply",
          "application/pem-certificate-chain", "*/*"}
PAGE = "text/html"


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for route in ROUTES:
        for method in sorted((route.methods or set()) - {"HEAD"}):
            out.append((method, route.path,
                        SPEC["paths"].get(route.path, {}).get(method.lower())))
    return out


def has_example(media: dict[str, Any]) -> bool:
    return "example" in media or bool(media.get("examples"))


@pytest.mark.parametrize(("method", "path", "op"), operations(),
                         ids=[f"{m} {p}" for m, p, _ in operations()])
def test_every_route_is_documented_with_examples_and_problems(
        method: str, path: str, op: dict[str, Any] | None) -> None:
    assert op is not None, f"{method} {path} is not in the OpenAPI document"
    assert op.get("summary")
    responses = op["responses"]
    successes = [code for code in responses if code.startswith("2")]
    assert successes, "no success response"
    examples = [p for p in op.get("parameters", []) if "example" in p]
    for code, response in responses.items():
        content = response.get("content", {})
        if code.startswith(("4", "5")):
            if PAGE in content:  # the HTML page answers its errors as pages
                continue
            assert set(content) == {"application/problem+json"}, (code, content)
            assert content["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"}
        else:
            for media_type, media in content.items():
                assert "schema" in media, (code, media_type)
                if media_type not in BINARY | {PAGE}:
                    assert has_example(media), f"{code} {media_type} has no example"
                examples += [media] if has_example(media) else []
    if method == "POST":
        body = op["requestBody"]
        assert body["required"] is True
        for media_type, media in body["content"].items():
            if media_type not in BINARY:
                assert has_example(media), f"request {media_type} has no example"
        assert {"413", "415"} <= set(responses), "a POST must document 413 and 415"
        if "application/json" in body["content"]:
            assert {"400", "422"} <= set(responses)
    else:
        assert "requestBody" not in op
    assert examples or set(op.get("requestBody", {}).get("content", {})) & BINARY, \
        "the operation shows no example at all"


JSON_POSTS = sorted(p for m, p, op in operations() if m == "POST" and op is not None
                    and "application/json" in op["requestBody"]["content"])


def test_the_json_posts_are_known() -> None:
    assert JSON_POSTS == ["/v1/authenticity/batches", "/v1/priority/{office}/{number}/retrieve"]


@pytest.mark.parametrize("path", JSON_POSTS)
def test_request_examples_are_real_signed_entries(path: str) -> None:
    """An envelope example must be one the node could accept: valid body, good signature."""
    content = SPEC["paths"][path]["post"]["requestBody"]["content"]
    envelope = content["application/json"]["example"]
    check_object(envelope["body"], RULES[envelope["type"]].schema, "/body")
    verify_entry_signatures(envelope)
    tampered = {**envelope, "body": {**envelope["body"], "number": "999999999"}}
    with pytest.raises(Rejection, match="signature"):
        verify_entry_signatures(tampered)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return {name: (helps.get(name, ""), sub) for name, sub in action.choices.items()}
    return {}


COMMANDS = [("stamp",), ("tsa",), ("priority",), ("authenticity",), ("certificate",),
            ("credential",), ("verify",)]  # verify certificate FILE: a form of verify


def leaves() -> list[tuple[tuple[str, ...], str, argparse.ArgumentParser]]:
    out = []
    top = build_parser()
    for command in COMMANDS:
        parser, text = top, ""
        for word in command:
            text, parser = subcommands(parser)[word]
        stack = [(command, text, parser)]
        while stack:
            words, text, parser = stack.pop()
            children = subcommands(parser)
            if not children:
                out.append((words, text, parser))
            stack += [((*words, name), h, p) for name, (h, p) in children.items()]
    return sorted(out, key=lambda leaf: leaf[0])


@pytest.mark.parametrize(("words", "text", "parser"), leaves(),
                         ids=[" ".join(w) for w, _, _ in leaves()])
def test_every_command_has_useful_help(words: tuple[str, ...], text: str,
                                       parser: argparse.ArgumentParser,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert len(text) >= 15, f"ipledger {' '.join(words)} has no help line"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        documented = bool(action.help) or (not action.option_strings and (
            action.metavar is not None or bool(action.choices)))
        assert documented, f"{'/'.join(action.option_strings) or action.dest} has no help"
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*words, "--help"])
    assert done.value.code == 0
    assert f"usage: ipledger {' '.join(words)}" in capsys.readouterr().out


def test_the_commands_cover_every_capability() -> None:
    names = {" ".join(words) for words, _, _ in leaves()}
    assert {"stamp", "tsa import", "priority deposit", "priority authorize",
            "priority retrieve", "authenticity batch", "authenticity inspect",
            "authenticity verify", "authenticity check", "certificate get",
            "credential get", "credential verify", "verify"} <= names, names


ENTRY_TYPES = ["authenticity.batch", "authenticity.distributors", "authenticity.inspect",
               "priority.access", "priority.authorize", "priority.claim", "priority.deposit"]


@pytest.mark.parametrize("entry_type", ENTRY_TYPES)
def test_entries_sent_to_post_v1_entries_are_documented_with_valid_examples(
        entry_type: str) -> None:
    """Deposits, authorizations, distributors and inspections go through POST /v1/entries:
    their ``Body.<type>`` schemas carry an example the register's schema accepts."""
    schema = SPEC["components"]["schemas"][f"Body.{entry_type}"]
    assert schema["description"] and schema["examples"]
    for example in schema["examples"]:
        check_object(example, RULES[entry_type].schema, "/body")
