"""Populations without the account-list app: `population_keys` reads a dictionary."""

from __future__ import annotations

from typing import Any

import pytest

from partnerloop.psi import selectors

# The host's customers: 30 domains, company0.com … company29.com.
HOST_CUSTOMERS = [f"company{i}.com" for i in range(30)]


@pytest.fixture
def populations(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[int, str], list[str]]:
    """(organization id, population key) -> domains; the host's customers to start with."""
    lists: dict[tuple[int, str], list[str]] = {}

    def population_keys(*, organization: Any, population_key: str) -> list[str]:
        return sorted(set(lists.get((organization.pk, population_key), [])))

    monkeypatch.setattr(selectors, "population_keys", population_keys)
    return lists


@pytest.fixture
def psi_world(world: Any, populations: dict[tuple[int, str], list[str]]) -> Any:
    """The world, the host's customers as a population, and consent (count only) for them."""
    from partnerloop.psi import services

    populations[(world.host.pk, "customers")] = HOST_CUSTOMERS
    services.consent_set(
        actor=world.actor("host_owner"),
        partnership=world.partnership,
        side="host",
        population="customers",
        allow_reveal=False,
    )
    return world
