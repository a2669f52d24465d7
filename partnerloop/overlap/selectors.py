"""Reads of account overlap. What crosses to a side is decided here, once:

- A matrix cell (our population × theirs) shows a count only when both populations are
  shared at "counts" or more; a population the other side keeps hidden does not appear at
  all, so neither its name nor any count of it reaches us.
- A cell opens its accounts only when both populations are shared at "accounts"; our own
  records show in full, theirs with the fields they chose and nothing else.

The callers pass the partnership from `partnership_for` (scoped to the actor's
organization) and the side the actor acts on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count
from django.http import Http404

from partnerloop.activities.models import Outcome
from partnerloop.mapping.models import Account, AccountUpload, Population
from partnerloop.overlap.models import (
    LEVEL_RANK,
    AccountMatch,
    Level,
    MatchRejection,
    MatchState,
    OverlapAction,
    OverlapSharing,
    SharedField,
)
from partnerloop.partnerships.models import Partnership, Side, other_side

ACCOUNT_FIELDS = ("name", "domain", "country", "status", "owner", "external_id")


def account_key(domain: str, name_key: str) -> str:
    """The stable identity of an account across uploads: its registrable domain, else its
    folded name ("" when it has neither, and then it is never matched)."""
    if domain:
        return domain
    return f"name:{name_key}" if name_key else ""


@dataclass(frozen=True)
class Sharing:
    population_key: str
    level: str = Level.HIDDEN
    fields: tuple[str, ...] = ()
    version: int = 0

    @property
    def rank(self) -> int:
        return LEVEL_RANK[Level(self.level)]


def sharing_of(*, partnership: Partnership) -> dict[tuple[str, str], Sharing]:
    """(side, population key) -> what that side shares; absent means hidden."""
    return {
        (row.side, row.population_key): Sharing(
            population_key=row.population_key,
            level=row.level,
            fields=tuple(f for f in row.fields if f in SharedField.values),
            version=row.version,
        )
        for row in OverlapSharing.objects.filter(partnership=partnership)
    }


def _share(sharing: dict[tuple[str, str], Sharing], side: str, key: str) -> Sharing:
    return sharing.get((side, key)) or Sharing(population_key=key)


def current_upload_ids(*, organization_id: int) -> list[int]:
    return sorted(
        AccountUpload.objects.filter(
            account_list__organization_id=organization_id, is_current=True
        ).values_list("pk", flat=True)
    )


def signature(*, partnership: Partnership) -> str:
    """Names the current uploads of both sides; matches computed from other uploads are
    stale."""
    host = ",".join(map(str, current_upload_ids(organization_id=partnership.host_id)))
    partner = ",".join(map(str, current_upload_ids(organization_id=partnership.partner_id)))
    return f"h:{host}|p:{partner}"[:500]


def state_of(*, partnership: Partnership) -> MatchState | None:
    return MatchState.objects.filter(partnership=partnership).first()


@dataclass
class Cell:
    ours: str
    theirs: str
    count: int
    opens_accounts: bool


@dataclass
class PopulationShare:
    key: str
    name: str
    sharing: Sharing


@dataclass
class Matrix:
    side: str
    ours: list[PopulationShare]
    # Only the other side's populations shared at "counts" or more.
    theirs: list[PopulationShare]
    # (our key, their key) -> cell; absent when our population is hidden.
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)
    state: MatchState | None = None
    has_our_list: bool = False

    def row(self, ours: str) -> list[Cell | None]:
        return [self.cells.get((ours, p.key)) for p in self.theirs]

    @property
    def rows(self) -> list[tuple[PopulationShare, list[Cell | None]]]:
        return [(p, self.row(p.key)) for p in self.ours]

    @property
    def total(self) -> int:
        """Matches across the visible cells only."""
        return sum(cell.count for cell in self.cells.values())

    @property
    def any_shared_by_us(self) -> bool:
        return any(p.sharing.rank >= 1 for p in self.ours)


def _pairs(side: str, ours: str, theirs: str) -> dict[str, str]:
    if side == Side.HOST:
        return {"host_population": ours, "partner_population": theirs}
    return {"host_population": theirs, "partner_population": ours}


def overlap_matrix(*, partnership: Partnership, side: str) -> Matrix:
    """The matrix as `side` may see it: five queries whatever the data."""
    other = other_side(side)
    sharing = sharing_of(partnership=partnership)
    our_org = partnership.host_id if side == Side.HOST else partnership.partner_id
    their_org = partnership.partner_id if side == Side.HOST else partnership.host_id
    populations = list(
        Population.objects.filter(organization_id__in=[our_org, their_org]).only(
            "organization_id", "key", "name", "position"
        )
    )
    ours = [
        PopulationShare(p.key, p.name, _share(sharing, side, p.key))
        for p in populations
        if p.organization_id == our_org
    ]
    theirs = [
        PopulationShare(p.key, p.name, _share(sharing, other, p.key))
        for p in populations
        if p.organization_id == their_org and _share(sharing, other, p.key).rank >= 1
    ]
    matrix = Matrix(side=side, ours=ours, theirs=theirs, state=state_of(partnership=partnership))
    matrix.has_our_list = bool(current_upload_ids(organization_id=our_org))
    open_ours = [p.key for p in ours if p.sharing.rank >= 1]
    open_theirs = [p.key for p in theirs]
    if not open_ours or not open_theirs:
        return matrix
    our_field, their_field = (
        ("host_population", "partner_population")
        if side == Side.HOST
        else ("partner_population", "host_population")
    )
    counts = (
        AccountMatch.objects.filter(
            partnership=partnership,
            **{f"{our_field}__in": open_ours, f"{their_field}__in": open_theirs},
        )
        .values_list(our_field, their_field)
        .annotate(n=Count("id"))
        .order_by()
    )
    found = {(a, b): n for a, b, n in counts}
    our_rank = {p.key: p.sharing.rank for p in ours}
    their_rank = {p.key: p.sharing.rank for p in theirs}
    for a in open_ours:
        for b in open_theirs:
            matrix.cells[(a, b)] = Cell(
                ours=a,
                theirs=b,
                count=found.get((a, b), 0),
                opens_accounts=our_rank[a] >= 2 and their_rank[b] >= 2,
            )
    return matrix


@dataclass
class OverlapRow:
    match_id: int
    method: str
    confidence: float
    our_key: str
    their_key: str
    # Our account in full; theirs with the fields they share only.
    ours: dict[str, str]
    theirs: dict[str, str]
    actions: list[OverlapAction] = field(default_factory=list)

    @property
    def company(self) -> str:
        return self.theirs.get("name") or self.ours.get("name") or self.ours.get("domain", "")


@dataclass
class CellAccounts:
    ours: PopulationShare
    theirs: PopulationShare
    count: int
    opens_accounts: bool
    their_fields: tuple[str, ...]
    rows: list[OverlapRow] = field(default_factory=list)


def cell_for(
    *,
    partnership: Partnership,
    side: str,
    ours: str,
    theirs: str,
    limit: int | None = 200,
    offset: int = 0,
) -> CellAccounts:
    """One cell of the matrix, with its accounts when both populations share them.

    A cell `side` may not see at all is a 404: the same answer as a population that does
    not exist, so a hidden population's existence does not leak either."""
    matrix = overlap_matrix(partnership=partnership, side=side)
    cell = matrix.cells.get((ours, theirs))
    if cell is None:
        raise Http404("No such overlap.")
    our_share = next(p for p in matrix.ours if p.key == ours)
    their_share = next(p for p in matrix.theirs if p.key == theirs)
    found = CellAccounts(
        ours=our_share,
        theirs=their_share,
        count=cell.count,
        opens_accounts=cell.opens_accounts,
        their_fields=their_share.sharing.fields,
    )
    if cell.opens_accounts:
        found.rows = list(
            overlap_rows(
                partnership=partnership,
                side=side,
                ours=ours,
                theirs=theirs,
                their_fields=their_share.sharing.fields,
                limit=limit,
                offset=offset,
            )
        )
    return found


def _account_values(prefix: str, names: Iterable[str]) -> list[str]:
    return [f"{prefix}__{name}" for name in names]


def overlap_rows(
    *,
    partnership: Partnership,
    side: str,
    ours: str,
    theirs: str,
    their_fields: Iterable[str],
    limit: int | None = None,
    offset: int = 0,
) -> Iterator[OverlapRow]:
    """The matches of one open cell (two queries, or a stream when `limit` is None), from
    the `offset`-th on. Only call it for a cell `cell_for` opened: it reads the other side's
    fields it is given."""
    mine, yours = ("host_account", "partner_account")
    if side != Side.HOST:
        mine, yours = yours, mine
    their_fields = [f for f in their_fields if f in SharedField.values]
    rows = (
        AccountMatch.objects.filter(partnership=partnership, **_pairs(side, ours, theirs))
        .order_by(f"{mine}__name", "id")
        .values(
            "id",
            "method",
            "confidence",
            "host_key",
            "partner_key",
            *_account_values(mine, ACCOUNT_FIELDS),
            *_account_values(yours, their_fields),
        )
    )
    if offset:
        rows = rows[offset:]
    if limit is not None:
        rows = rows[:limit]
        materialized = list(rows)
        actions = actions_by_pair(
            partnership=partnership,
            pairs=[(r["host_key"], r["partner_key"]) for r in materialized],
        )
        source: Iterable[dict[str, object]] = materialized
    else:
        actions = {}
        source = rows.iterator(chunk_size=5000)
    for row in source:
        host_key, partner_key = str(row["host_key"]), str(row["partner_key"])
        yield OverlapRow(
            match_id=int(row["id"]),  # type: ignore[call-overload]
            method=str(row["method"]),
            confidence=float(row["confidence"]),  # type: ignore[arg-type]
            our_key=host_key if side == Side.HOST else partner_key,
            their_key=partner_key if side == Side.HOST else host_key,
            ours={name: str(row[f"{mine}__{name}"] or "") for name in ACCOUNT_FIELDS},
            theirs={name: str(row[f"{yours}__{name}"] or "") for name in their_fields},
            actions=actions.get((host_key, partner_key), []),
        )


def actions_by_pair(
    *, partnership: Partnership, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[OverlapAction]]:
    wanted = set(pairs)
    if not wanted:
        return {}
    found: dict[tuple[str, str], list[OverlapAction]] = {}
    hosts = {h for h, _ in wanted}
    for action in (
        OverlapAction.objects.filter(partnership=partnership, host_key__in=hosts)
        .select_related("activity")
        .prefetch_related("activity__outcomes")
        .order_by("created_at", "id")
    ):
        pair = (action.host_key, action.partner_key)
        if pair in wanted:
            found.setdefault(pair, []).append(action)
    return found


def match_for(*, partnership: Partnership, side: str, match_id: int) -> tuple[AccountMatch, Cell]:
    """A match `side` may see account by account (its cell opens accounts); 404 otherwise."""
    match = AccountMatch.objects.filter(partnership=partnership, pk=match_id).first()
    if match is None:
        raise Http404("No such match.")
    ours, theirs = (
        (match.host_population, match.partner_population)
        if side == Side.HOST
        else (match.partner_population, match.host_population)
    )
    cell = overlap_matrix(partnership=partnership, side=side).cells.get((ours, theirs))
    if cell is None or not cell.opens_accounts:
        raise Http404("No such match.")
    return match, cell


def actions_of(*, partnership: Partnership) -> list[OverlapAction]:
    """Every overlap action of the partnership (both sides see them: their activities are
    shared), with each side's outcome."""
    return list(
        OverlapAction.objects.filter(partnership=partnership)
        .select_related("activity", "created_by")
        .prefetch_related("activity__outcomes")
    )


def action_for(*, partnership: Partnership, code: str) -> OverlapAction:
    """One overlap action of the (already scoped) partnership, with its activity and the
    outcomes of both sides; 404 otherwise."""
    found = (
        OverlapAction.objects.filter(partnership=partnership, code=code)
        .select_related("activity__partnership")
        .prefetch_related("activity__outcomes")
        .first()
    )
    if found is None:
        raise Http404("No such overlap action.")
    return found


def outcome_of(action: OverlapAction, side: str) -> Outcome | None:
    return next((o for o in action.activity.outcomes.all() if o.side == side), None)


def rejections_of(*, partnership: Partnership, side: str) -> list[dict[str, object]]:
    """The matches rejected in the partnership, with our account's key only: the other
    side's key could name an account they no longer share."""
    return [
        {
            "id": r.pk,
            "our_key": r.host_key if side == Side.HOST else r.partner_key,
            "side": r.side,
            "reason": r.reason,
            "created_at": r.created_at,
        }
        for r in MatchRejection.objects.filter(partnership=partnership)
    ]


def matchable_accounts(*, organization_id: int) -> list[tuple[int, str, str, str, str]]:
    """(id, domain, name_key, country, population) of the organization's current rows."""
    return list(
        Account.objects.filter(
            upload__account_list__organization_id=organization_id, upload__is_current=True
        )
        .order_by()
        .values_list("id", "domain", "name_key", "country", "population_key")
    )
