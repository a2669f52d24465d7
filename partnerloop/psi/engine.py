"""Private set intersection: thin, typed wrappers around `openmined-psi` for both roles.

The protocol is ECDH-PSI (elliptic-curve Diffie-Hellman, P-256) with the server's encrypted
set sent as a Golomb-compressed set:

1. The server encrypts its items with its secret key and sends them, compressed, in a
   *setup* message sized for the client's declared set size (`fpr` is the chance that any
   query of that size gets a false positive).
2. The client encrypts its items with its own secret key and sends the *request*.
3. The server encrypts the client's (already encrypted) items again with its key and sends
   the *response* (sorted, so unlinkable to the client's order, in count mode).
4. The client removes its own layer and looks the doubly-encrypted values up in the setup:
   it learns the intersection size (count mode) or which of its items are in it (reveal).

Neither side ever sends an item in the clear or a plain hash of one (a hash of a domain is
not private: anyone can hash a dictionary of domains and compare). This module offers no
such mode. Messages travel as bytes (serialized protobufs); the server's secret key can be
kept between the setup and the request with `ServerSession.key` / `ServerSession.resume`.
"""

from __future__ import annotations

import enum
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings

DEFAULT_FPR = 1e-9
DEFAULT_MAX_SET_SIZE = 1_000_000
# Below this many items, starting processes costs more than it saves.
PARALLEL_FROM = 20_000
T = TypeVar("T")
R = TypeVar("R")


class Mode(enum.StrEnum):
    """What the client learns: the intersection size only, or which of its items match."""

    COUNT = "count"
    REVEAL = "reveal"

    @property
    def reveal(self) -> bool:
        return self is Mode.REVEAL


class PsiError(ValueError):
    """A message that cannot be used: malformed, of the other mode, or over the size cap."""


def max_set_size() -> int:
    """The largest set either side may bring (setting `PSI_MAX_SET_SIZE`).

    The client also runs outside a configured Django project (`partnerloop psi`), where the
    environment variable of the same name is read instead.
    """
    if settings.configured:
        return int(getattr(settings, "PSI_MAX_SET_SIZE", DEFAULT_MAX_SET_SIZE))
    return int(os.environ.get("PSI_MAX_SET_SIZE", DEFAULT_MAX_SET_SIZE))


def server_workers() -> int:
    """Processes the server uses to answer a large request (setting `PSI_WORKERS`, 1)."""
    return max(1, int(getattr(settings, "PSI_WORKERS", 1)))


def check_size(count: int, *, what: str = "set") -> None:
    cap = max_set_size()
    if count > cap:
        raise PsiError(f"The {what} has {count:,} items; the limit is {cap:,}.")


def _psi():  # type: ignore[no-untyped-def]
    import private_set_intersection.python as psi

    return psi


def _parse(message_type: type, data: bytes, what: str):  # type: ignore[no-untyped-def]
    message = message_type()
    try:
        message.ParseFromString(bytes(data))
    except Exception as exc:  # protobuf's DecodeError and friends
        raise PsiError(f"The {what} message is not a valid PSI message.") from exc
    return message


def request_size(request: bytes) -> int:
    """How many encrypted items a client request carries."""
    return len(_parse(_psi().Request, request, "request").encrypted_elements)


def request_mode(request: bytes) -> Mode:
    reveal = _parse(_psi().Request, request, "request").reveal_intersection
    return Mode.REVEAL if reveal else Mode.COUNT


@dataclass
class Setup:
    message: bytes
    key: bytes


class ServerSession:
    """The server role: the side whose set is compressed into the setup message."""

    def __init__(self, mode: Mode, key: bytes | None = None, *, workers: int = 1) -> None:
        psi = _psi()
        self.mode = Mode(mode)
        self.workers = max(1, workers)
        if key is None:
            self._server = psi.server.CreateWithNewKey(self.mode.reveal)
        else:
            try:
                self._server = psi.server.CreateFromKey(bytes(key), self.mode.reveal)
            except Exception as exc:
                raise PsiError("The stored server key is not valid.") from exc

    @classmethod
    def resume(cls, mode: Mode, key: bytes, *, workers: int = 1) -> ServerSession:
        """The same server after the setup, from the key kept by `key`."""
        return cls(mode, key=key, workers=workers)

    @property
    def key(self) -> bytes:
        """The secret key: keep it server-side only, and delete it once the run is over."""
        return bytes(self._server.GetPrivateKeyBytes())

    def setup(
        self, items: Sequence[str], *, client_set_size: int, fpr: float = DEFAULT_FPR
    ) -> bytes:
        """The setup message for a client that declared `client_set_size` items."""
        check_size(len(items), what="server set")
        check_size(client_set_size, what="client set")
        if client_set_size < 1:
            raise PsiError("The client set must have at least one item.")
        psi = _psi()
        message = self._server.CreateSetupMessage(
            fpr, client_set_size, list(items), psi.DataStructure.GCS
        )
        return bytes(message.SerializeToString())

    def process(self, request: bytes, *, max_items: int | None = None) -> bytes:
        """The response to a client request (refused over the cap, or of the other mode)."""
        psi = _psi()
        parsed = _parse(psi.Request, request, "request")
        count = len(parsed.encrypted_elements)
        check_size(count, what="client request")
        if max_items is not None and count > max_items:
            raise PsiError(f"The request has {count:,} items; this run allows {max_items:,}.")
        if bool(parsed.reveal_intersection) != self.mode.reveal:
            raise PsiError(f"The request is not in {self.mode.value} mode, as this run is.")
        workers = self.workers if count >= PARALLEL_FROM else 1
        try:
            if workers == 1:
                return bytes(self._server.ProcessRequest(parsed).SerializeToString())
            parts = _map(
                workers,
                _server_chunk,
                [
                    (self.key, self.mode.reveal, c)
                    for c in _split(parsed.encrypted_elements, workers)
                ],
            )
        except Exception as exc:
            raise PsiError("The request could not be processed: it is not a PSI request.") from exc
        elements = [e for part in parts for e in part]
        if not self.mode.reveal:
            # As the library does for a whole request: sorted, unlinkable to the request.
            elements.sort()
        response = _psi().Response()
        response.encrypted_elements.extend(elements)
        return bytes(response.SerializeToString())


class ClientSession:
    """The client role: the side that learns the count (or its own matching items).

    With `workers` > 1, large sets are encrypted and decrypted in that many processes, each
    with the same key: the messages are the same as from one process.
    """

    def __init__(self, mode: Mode, items: Sequence[str], *, workers: int = 1) -> None:
        check_size(len(items), what="client set")
        self.mode = Mode(mode)
        self.items = list(items)
        self.workers = max(1, workers)
        self._client = _psi().client.CreateWithNewKey(self.mode.reveal)
        self._key = bytes(self._client.GetPrivateKeyBytes())

    def _workers(self, count: int) -> int:
        return self.workers if count >= PARALLEL_FROM else 1

    def request(self) -> bytes:
        workers = self._workers(len(self.items))
        if workers == 1:
            return bytes(self._client.CreateRequest(self.items).SerializeToString())
        parts = _map(
            workers,
            _client_request_chunk,
            [(self._key, self.mode.reveal, c) for c in _split(self.items, workers)],
        )
        request = _psi().Request()
        request.reveal_intersection = self.mode.reveal
        request.encrypted_elements.extend(e for part in parts for e in part)
        return bytes(request.SerializeToString())

    def _messages(self, setup: bytes, response: bytes):  # type: ignore[no-untyped-def]
        psi = _psi()
        return _parse(psi.ServerSetup, setup, "setup"), _parse(psi.Response, response, "response")

    def count(self, setup: bytes, response: bytes) -> int:
        """The size of the intersection (both modes)."""
        parsed_setup, parsed_response = self._messages(setup, response)
        workers = self._workers(len(parsed_response.encrypted_elements))
        try:
            if workers == 1:
                return int(self._client.GetIntersectionSize(parsed_setup, parsed_response))
            chunks = _split(parsed_response.encrypted_elements, workers)
            args = [(self._key, self.mode.reveal, bytes(setup), c) for c in chunks]
            return sum(_map(workers, _client_count_chunk, args))
        except Exception as exc:
            raise PsiError("The server's messages do not answer this request.") from exc

    def intersection(self, setup: bytes, response: bytes) -> list[str]:
        """The client's own items that are in the server's set (reveal mode only), sorted."""
        if not self.mode.reveal:
            raise PsiError("Count mode reveals only the size of the intersection.")
        parsed_setup, parsed_response = self._messages(setup, response)
        workers = self._workers(len(parsed_response.encrypted_elements))
        try:
            if workers == 1:
                indexes = list(self._client.GetIntersection(parsed_setup, parsed_response))
            else:
                chunks = _split(parsed_response.encrypted_elements, workers)
                args = [(self._key, True, bytes(setup), c) for c in chunks]
                indexes, offset = [], 0
                for chunk, found in zip(
                    chunks, _map(workers, _client_index_chunk, args), strict=True
                ):
                    indexes.extend(offset + i for i in found)
                    offset += len(chunk)
        except Exception as exc:
            raise PsiError("The server's messages do not answer this request.") from exc
        return sorted({self.items[i] for i in indexes})


# --- processes -----------------------------------------------------------------------------
# Each chunk is handled by a fresh instance made from the same key, in a spawned process
# (never forked from a web server's threads). The functions take and return plain bytes.


def _split(items: Sequence[T], parts: int) -> list[list[T]]:
    size = -(-len(items) // parts)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


def _map(workers: int, function: Callable[..., R], args: list[tuple[Any, ...]]) -> list[R]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(function, *zip(*args, strict=True)))


def _server_chunk(key: bytes, reveal: bool, elements: list[bytes]) -> list[bytes]:
    psi = _psi()
    request = psi.Request()
    request.reveal_intersection = reveal
    request.encrypted_elements.extend(elements)
    server = psi.server.CreateFromKey(key, reveal)
    return list(server.ProcessRequest(request).encrypted_elements)


def _client_request_chunk(key: bytes, reveal: bool, items: list[str]) -> list[bytes]:
    client = _psi().client.CreateFromKey(key, reveal)
    return list(client.CreateRequest(items).encrypted_elements)


def _client_messages(setup: bytes, elements: list[bytes]):  # type: ignore[no-untyped-def]
    psi = _psi()
    response = psi.Response()
    response.encrypted_elements.extend(elements)
    return _parse(psi.ServerSetup, setup, "setup"), response


def _client_count_chunk(key: bytes, reveal: bool, setup: bytes, elements: list[bytes]) -> int:
    client = _psi().client.CreateFromKey(key, reveal)
    return int(client.GetIntersectionSize(*_client_messages(setup, elements)))


def _client_index_chunk(key: bytes, reveal: bool, setup: bytes, elements: list[bytes]) -> list[int]:
    client = _psi().client.CreateFromKey(key, reveal)
    return list(client.GetIntersection(*_client_messages(setup, elements)))
