"""The PSI wrappers on hand-made sets: both modes, the key kept between setup and request,
the size cap, and messages that must be refused."""

from __future__ import annotations

import pytest

from partnerloop.psi import engine
from partnerloop.psi.engine import ClientSession, Mode, PsiError, ServerSession

SERVER = ["acme.com", "globex.com", "initech.com", "hooli.com", "umbrella.co.uk", "wayne.com"]
CLIENT = ["stark.com", "hooli.com", "acme.com", "oscorp.com", "umbrella.co.uk"]
# Common by hand: acme.com, hooli.com, umbrella.co.uk.
COMMON = ["acme.com", "hooli.com", "umbrella.co.uk"]


def _run(mode: Mode, server: list[str], client: list[str]) -> tuple[ClientSession, bytes, bytes]:
    session = ServerSession(mode)
    setup = session.setup(server, client_set_size=len(client))
    key = session.key
    asking = ClientSession(mode, client)
    request = asking.request()
    # The server resumes from its stored key, as between two HTTP calls.
    response = ServerSession.resume(mode, key).process(request)
    return asking, setup, response


def test_count_mode_learns_the_size_only() -> None:
    asking, setup, response = _run(Mode.COUNT, SERVER, CLIENT)
    assert asking.count(setup, response) == 3
    with pytest.raises(PsiError, match="only the size"):
        asking.intersection(setup, response)


def test_reveal_mode_learns_which_of_its_own_items() -> None:
    asking, setup, response = _run(Mode.REVEAL, SERVER, CLIENT)
    assert asking.intersection(setup, response) == COMMON
    assert asking.count(setup, response) == 3


def test_disjoint_and_empty_sets() -> None:
    asking, setup, response = _run(Mode.COUNT, SERVER, ["a.test", "b.test"])
    assert asking.count(setup, response) == 0
    asking, setup, response = _run(Mode.REVEAL, [], CLIENT)
    assert asking.intersection(setup, response) == []


def test_a_larger_set_with_a_known_overlap() -> None:
    server = [f"company{i}.com" for i in range(0, 600)]
    client = [f"company{i}.com" for i in range(450, 700)]  # 450..599 in common: 150
    asking, setup, response = _run(Mode.COUNT, server, client)
    assert asking.count(setup, response) == 150


def test_no_item_travels_in_the_clear() -> None:
    asking, setup, response = _run(Mode.REVEAL, SERVER, CLIENT)
    for message in (setup, asking.request(), response):
        for domain in SERVER + CLIENT:
            assert domain.encode() not in message


def test_a_fresh_key_per_server_session() -> None:
    assert ServerSession(Mode.COUNT).key != ServerSession(Mode.COUNT).key


def test_size_cap_on_both_sides(settings) -> None:
    settings.PSI_MAX_SET_SIZE = 4
    with pytest.raises(PsiError, match="limit is 4"):
        ServerSession(Mode.COUNT).setup(SERVER, client_set_size=3)
    with pytest.raises(PsiError, match="client set has 5"):
        ServerSession(Mode.COUNT).setup(SERVER[:4], client_set_size=5)
    with pytest.raises(PsiError, match="client set has 5"):
        ClientSession(Mode.COUNT, CLIENT)
    settings.PSI_MAX_SET_SIZE = 100
    request = ClientSession(Mode.COUNT, CLIENT).request()
    settings.PSI_MAX_SET_SIZE = 4
    with pytest.raises(PsiError, match="client request has 5"):
        ServerSession(Mode.COUNT).process(request)


def test_default_cap_is_a_million() -> None:
    assert engine.max_set_size() == 1_000_000


def test_request_of_the_other_mode_or_garbage_is_refused() -> None:
    count_request = ClientSession(Mode.COUNT, CLIENT).request()
    assert engine.request_mode(count_request) is Mode.COUNT
    assert engine.request_size(count_request) == 5
    with pytest.raises(PsiError, match="not in reveal mode"):
        ServerSession(Mode.REVEAL).process(count_request)
    with pytest.raises(PsiError, match="not a valid PSI message"):
        ServerSession(Mode.COUNT).process(b"\xff\xff not protobuf")
    with pytest.raises(PsiError, match="this run allows 4"):
        ServerSession(Mode.COUNT).process(count_request, max_items=4)


def test_a_response_for_another_client_does_not_decode_to_the_count() -> None:
    _asking, setup, response = _run(Mode.COUNT, SERVER, CLIENT)
    other = ClientSession(Mode.COUNT, CLIENT)
    # Another client key cannot remove the encryption layer: it finds nothing in common.
    assert other.count(setup, response) == 0


def test_no_plain_hashing_mode_is_offered() -> None:
    assert {m.value for m in Mode} == {"count", "reveal"}


@pytest.mark.parametrize("mode", [Mode.COUNT, Mode.REVEAL])
def test_several_processes_give_the_same_messages_and_result(monkeypatch, mode) -> None:
    monkeypatch.setattr(engine, "PARALLEL_FROM", 10)
    server = [f"company{i}.com" for i in range(0, 60)]
    client = [f"company{i}.com" for i in range(45, 75)]  # 45..59: 15 in common
    session = ServerSession(mode)
    setup = session.setup(server, client_set_size=len(client))
    asking = ClientSession(mode, client, workers=2)
    request = asking.request()
    asking.workers = 1
    assert request == asking.request()  # the same key: the same request, whoever computes it
    alone = ServerSession.resume(mode, session.key).process(request)
    together = ServerSession.resume(mode, session.key, workers=3).process(request)
    assert together == alone
    asking.workers = 2
    assert asking.count(setup, together) == 15
    if mode is Mode.REVEAL:
        assert asking.intersection(setup, together) == sorted(client[:15])
