"""``conformance suites list``: every shipped suite and check, as text or JSON."""

from __future__ import annotations

import json

import click

from conformance.cli.common import guard, main


@main.group()
def suites() -> None:
    """Inspect the shipped suites."""


@suites.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def suites_list(as_json: bool) -> None:
    """Every suite and check with id, title, requirements, capabilities."""

    def body() -> int:
        from conformance.runner import load_suites

        registry = load_suites()
        described = [s.describe() for s in registry.suites.values()]
        if as_json:
            click.echo(json.dumps(described, indent=2))
        else:
            for s in described:
                click.echo(f"{s['id']}  {s['title']}  ({len(s['checks'])} checks)")
                for c in s["checks"]:
                    flag = "" if c["required"] else "  [optional]"
                    tags = "; ".join(x for x in (", ".join(c["requirements"]), ", ".join(c["capabilities"])) if x)
                    click.echo(f"  {c['id']}  {c['title']}{flag}{f'  ({tags})' if tags else ''}")
        return 0

    guard(body)
