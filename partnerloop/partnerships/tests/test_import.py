"""CSV import of partners: upload, preview, mapping, row errors, all-or-nothing commit."""

from __future__ import annotations

import csv
import random
import time
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse

from partnerloop.accounts.models import Organization
from partnerloop.conftest import World
from partnerloop.partnerships import imports, services
from partnerloop.partnerships.import_models import ImportStatus, PartnerImport
from partnerloop.partnerships.models import Partnership, PartnerType, Stage, Tier

GOOD = (
    "Company,Website,Stage,Tier,Type,Owner,Tags,Notes\n"
    "Alpha Labs,alpha.com,active,Gold,technology,owner@northwind.test,EMEA; fintech,First one\n"
    'Beta Works,https://www.beta.io/about,,,,,"retail, EMEA",\n'
    "Gamma Group,gamma.co.uk,Evaluating,silver,Services / agency,MEMBER@northwind.test,,\n"
)


def url(name: str, world: World, **kwargs: str) -> str:
    return reverse(name, kwargs={"org": world.host.code, **kwargs})


def upload(
    client: Client, world: World, content: bytes | str, name: str = "partners.csv"
) -> HttpResponse:
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        url("partner_import", world),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def uploaded(client: Client, world: World, content: bytes | str) -> PartnerImport:
    response = upload(client, world, content)
    assert response.status_code == 302, response.content.decode()[:2000]
    partner_import = PartnerImport.objects.get(host=world.host)
    assert response["Location"] == url("partner_import_preview", world, code=partner_import.code)
    return partner_import


def preview(client: Client, world: World, partner_import: PartnerImport) -> str:
    response = client.get(url("partner_import_preview", world, code=partner_import.code))
    assert response.status_code == 200
    return response.content.decode()


def commit(client: Client, world: World, partner_import: PartnerImport) -> HttpResponse:
    return client.post(url("partner_import_commit", world, code=partner_import.code))


def flashed(response: HttpResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def owner(world: World) -> Client:
    return world.client("host_owner")


# --- The happy path ---------------------------------------------------------------------


def test_good_file_imports_every_row(world: World, owner: Client) -> None:
    before = Partnership.objects.count()
    partner_import = uploaded(owner, world, GOOD)
    assert partner_import.mapping == {
        "name": 0,
        "website": 1,
        "stage": 2,
        "tier": 3,
        "type": 4,
        "owner": 5,
        "tags": 6,
        "description": 7,
    }
    page = preview(owner, world, partner_import)
    assert "Import 3 partners" in page
    assert "beta.io" in page and "Alpha Labs" in page

    response = commit(owner, world, partner_import)

    assert response.status_code == 302
    assert response["Location"] == url("directory", world)
    assert flashed(response) == ["Imported 3 partners into your directory."]
    assert Partnership.objects.count() == before + 3
    alpha = Partnership.objects.get(host=world.host, partner__domain="alpha.com")
    assert (alpha.stage, alpha.tier, alpha.partner_type) == (
        Stage.ACTIVE,
        Tier.GOLD,
        PartnerType.TECHNOLOGY,
    )
    assert alpha.host_owner == world.host_owner
    assert sorted(t.name for t in alpha.tags.all()) == ["EMEA", "fintech"]
    assert alpha.description == "First one"
    beta = Partnership.objects.get(host=world.host, partner__domain="beta.io")
    assert (beta.stage, beta.tier, beta.partner_type) == (
        Stage.PROSPECT,
        Tier.NONE,
        PartnerType.REFERRAL,
    )
    assert beta.partner.website == "https://www.beta.io"
    gamma = Partnership.objects.get(host=world.host, partner__domain="gamma.co.uk")
    assert gamma.host_owner == world.host_member
    assert gamma.partner_type == PartnerType.SERVICES
    partner_import.refresh_from_db()
    assert partner_import.status == ImportStatus.COMMITTED
    assert partner_import.created_count == 3
    assert partner_import.committed_at is not None


def test_guesses_mapping_from_common_header_names() -> None:
    header = ["Account Name", "Domain", "Partner Tier", "Account Owner", "Labels", "About"]
    assert imports.guess_mapping(header=header) == {
        "name": 0,
        "website": 1,
        "stage": None,
        "tier": 2,
        "type": None,
        "owner": 3,
        "tags": 4,
        "description": 5,
    }
    assert imports.guess_mapping(header=["COMPANY NAME", " url "])["website"] == 1


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected"),
    [
        ("utf-8", ";", "UTF-8"),
        ("utf-8", "\t", "UTF-8"),
        ("utf-8-sig", ",", "UTF-8 with BOM"),
        ("utf-16", ",", "UTF-16"),
        ("utf-16", "\t", "UTF-16"),
    ],
)
def test_dialects_and_encodings(
    world: World, owner: Client, encoding: str, delimiter: str, expected: str
) -> None:
    rows = [
        ["Partner", "URL", "Description"],
        ["Crème Brûlée SA", "creme.fr", "Pâtisserie, Paris; since 1900"],
        ["Zürich AG", "zurich-ag.ch", ""],
    ]
    buffer = StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    text = buffer.getvalue()
    partner_import = uploaded(owner, world, text.encode(encoding))
    assert partner_import.delimiter == delimiter
    assert partner_import.encoding_label == expected
    assert "Import 2 partners" in preview(owner, world, partner_import)

    commit(owner, world, partner_import)

    creme = Partnership.objects.get(host=world.host, partner__domain="creme.fr")
    assert creme.partner.name == "Crème Brûlée SA"
    assert creme.description == "Pâtisserie, Paris; since 1900"


def test_excel_sep_line_is_honoured(world: World, owner: Client) -> None:
    partner_import = uploaded(owner, world, "sep=;\nName;Website\nAlpha;alpha.com\nBeta;\n")
    assert partner_import.delimiter == ";"
    page = preview(owner, world, partner_import)
    # Excel hides the sep= line, so the header is row 1 and Beta is row 3.
    assert "Row 3" in page and "The website is empty" in page


def test_sample_csv_imports_as_is(world: World, owner: Client) -> None:
    response = owner.get(url("partner_import_sample", world))
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    partner_import = uploaded(owner, world, content)
    assert partner_import.encoding == "utf-8-sig"
    commit(owner, world, partner_import)
    assert Partnership.objects.filter(host=world.host, partner__domain="example.org").exists()
    assert Partnership.objects.get(partner__domain="example.com").host_owner == world.host_owner


def test_change_the_mapping_on_the_preview(world: World, owner: Client) -> None:
    partner_import = uploaded(owner, world, "Org,Homepage,Segment\nAlpha,alpha.com,EMEA\n")
    assert partner_import.mapping["name"] is None
    page = preview(owner, world, partner_import)
    assert "No column is chosen for name (required)" in page
    assert "Columns found in the file: Org, Homepage, Segment" in page
    assert '<option value="0">Org</option>' in page

    response = owner.post(
        url("partner_import_preview", world, code=partner_import.code),
        {"name": "0", "website": "1", "tags": "2"},
    )

    assert response.status_code == 302
    partner_import.refresh_from_db()
    assert partner_import.mapping["name"] == 0 and partner_import.mapping["tags"] == 2
    assert "Import 1 partner" in preview(owner, world, partner_import)
    commit(owner, world, partner_import)
    alpha = Partnership.objects.get(host=world.host, partner__domain="alpha.com")
    assert [t.name for t in alpha.tags.all()] == ["EMEA"]


def test_mapping_form_requires_name_and_website(world: World, owner: Client) -> None:
    partner_import = uploaded(owner, world, GOOD)
    response = owner.post(
        url("partner_import_preview", world, code=partner_import.code), {"name": "0"}
    )
    assert response.status_code == 200
    assert "Choose the column that holds the website." in response.content.decode()
    partner_import.refresh_from_db()
    assert partner_import.mapping["website"] == 1


# --- Files refused before anything is stored --------------------------------------------


def assert_refused(response: HttpResponse, *fragments: str) -> None:
    assert response.status_code == 200
    page = response.content.decode()
    for fragment in fragments:
        assert fragment in page, fragment
    assert PartnerImport.objects.count() == 0


def test_latin1_file_is_refused(world: World, owner: Client) -> None:
    before = Partnership.objects.count()
    response = upload(owner, world, "name,website\nCafé Noir,cafe.fr\n".encode("latin-1"))
    assert_refused(
        response, "The file is not UTF-8 text", "byte 0xE9", "In Excel use Save As › CSV UTF-8"
    )
    assert Partnership.objects.count() == before


@pytest.mark.parametrize(
    "content",
    [
        random.Random(7).randbytes(4096),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "name,website\nAlpha,alpha.com\n".encode("utf-16-le"),  # UTF-16 without a BOM
    ],
    ids=["random", "png", "utf16-no-bom"],
)
def test_binary_file_is_refused(world: World, owner: Client, content: bytes) -> None:
    before = Partnership.objects.count()
    response = upload(owner, world, content)
    assert_refused(response, "The file is not UTF-8 text", "Save As › CSV UTF-8")
    assert Partnership.objects.count() == before


def test_empty_and_header_only_files_are_refused(world: World, owner: Client) -> None:
    assert_refused(upload(owner, world, b""), "The file is empty.")
    assert_refused(upload(owner, world, "\n \n"), "The file is empty.")
    assert_refused(
        upload(owner, world, "name,website\n,\n"),
        "The file has a header row but no partner rows below it.",
    )


@override_settings(IMPORT_MAX_BYTES=100)
def test_file_over_the_limit_is_refused(world: World, owner: Client) -> None:
    content = "name,website\n" + "".join(f"P{i},p{i}.com\n" for i in range(20))
    assert len(content) > 100
    response = upload(owner, world, content)
    assert_refused(response, f"The file is {len(content)} bytes, larger than the 100 bytes limit")


def test_size_is_checked_before_the_file_is_read(world: World) -> None:
    class Unreadable:
        def read(self, size: int = -1) -> bytes:
            raise AssertionError("the file was read")

    with pytest.raises(imports.ImportFileRefused, match=r"The file is 50\.0 MB.*10\.0 MB limit"):
        imports.partner_import_create(
            actor=world.actor("host_owner"),
            stream=Unreadable(),  # type: ignore[arg-type]
            size=50 * 1024 * 1024,
            filename="big.csv",
        )


def test_real_50_mb_upload_is_refused_quickly(world: World, owner: Client) -> None:
    row = b"Partner with a long name,partner.example.com,active,gold,technology\n"
    content = b"name,website,stage,tier,type\n" + row * (50 * 1024 * 1024 // len(row))
    started = time.monotonic()
    response = upload(owner, world, content)
    elapsed = time.monotonic() - started
    assert_refused(response, "MB, larger than the 10.0 MB limit")
    assert elapsed < 5, elapsed


@override_settings(IMPORT_MAX_ROWS=2)
def test_too_many_rows_for_the_web(world: World, owner: Client) -> None:
    assert_refused(upload(owner, world, GOOD), "The file has 3 partner rows", "at most 2")


# --- Row errors -------------------------------------------------------------------------


def assert_not_importable(
    world: World, owner: Client, content: str, *fragments: str
) -> PartnerImport:
    before = Partnership.objects.count()
    partner_import = uploaded(owner, world, content)
    page = preview(owner, world, partner_import)
    for fragment in fragments:
        assert fragment in page, fragment
    assert "Nothing can be imported while a row has an error" in page
    assert "partner_import_commit" not in page

    response = commit(owner, world, partner_import)

    assert response.status_code == 302
    assert any(m.startswith("Nothing was imported") for m in flashed(response))
    assert Partnership.objects.count() == before
    partner_import.refresh_from_db()
    assert partner_import.status == ImportStatus.UPLOADED
    return partner_import


def test_missing_required_column(world: World, owner: Client) -> None:
    before = Partnership.objects.count()
    partner_import = uploaded(owner, world, "Company,Country\nAlpha,FR\n")
    page = preview(owner, world, partner_import)
    assert "No column is chosen for website (required)" in page
    assert "Columns found in the file: Company, Country" in page
    response = commit(owner, world, partner_import)
    assert flashed(response)[0].startswith(
        "Nothing was imported. No column is chosen for website (required)."
    )
    assert Partnership.objects.count() == before


def test_duplicate_rows_name_both_rows(world: World, owner: Client) -> None:
    assert_not_importable(
        world,
        owner,
        "name,website\nAlpha,alpha.com\nBeta,beta.com\nAlpha again,https://www.alpha.com/x\n",
        "Rows 2 and 4 are the same partner (alpha.com); keep only one of them.",
    )


def test_formula_in_a_cell(world: World, owner: Client) -> None:
    assert_not_importable(
        world,
        owner,
        'name,website,description\n=HYPERLINK("http://evil.test"),alpha.com,ok\n'
        "Beta,beta.com,@SUM(A1)\nGamma,gamma.com,ok\n",
        "Row 2",
        "Column “name”: The cell starts with “=”, which spreadsheets run as a formula. "
        "Remove the formula",
        "Row 3",
        "Column “description”: The cell starts with “@”",
    )


def test_each_row_error_names_row_column_and_fix(world: World, owner: Client) -> None:
    content = (
        "name,website,stage,tier,type,owner,tags\n"
        ",alpha.com,,,,,\n"  # row 2
        "Beta,not a website,,,,,\n"  # row 3
        "Gamma,gamma.com,launched,,,,\n"  # row 4
        "Delta,delta.com,,diamond,,,\n"  # row 5
        "Epsilon,epsilon.com,,,franchise,,\n"  # row 6
        "Zeta,zeta.com,,,,admin@acme.test,\n"  # row 7
        "Existing again,https://www.existing.com,,,,,\n"  # row 8: already in the directory
        "Ourselves,northwind.com,,,,,\n"  # row 9: the host itself
        "\n"  # row 10: blank, skipped
        "Eta,eta.com,,,,,-minus\n"  # row 11
    )
    Organization.objects.filter(pk=world.host.pk).update(domain="northwind.com")
    world.host.refresh_from_db()
    services.partnership_create(
        actor=world.actor("host_owner"), name="Existing Co", website="existing.com"
    )
    partner_import = assert_not_importable(world, owner, content)
    check = imports.partner_import_check(
        actor=world.actor("host_owner"), partner_import=partner_import
    )
    errors = {(e.row, e.column): e.message for e in check.errors}
    assert errors[(2, "name")] == "The name is empty; enter the partner's name."
    assert "“not a website” is not a website with a public domain" in errors[(3, "website")]
    assert errors[(4, "stage")].startswith(
        "Unknown stage “launched”; use one of: prospect, evaluating, onboarding, active, "
        "strategic, paused, ended"
    )
    assert "use one of: registered, silver, gold, platinum" in errors[(5, "tier")]
    assert "Unknown type “franchise”; use one of: referral, reseller" in errors[(6, "type")]
    assert errors[(7, "owner")].startswith("admin@acme.test is not a member of Northwind Analytics")
    assert errors[(8, "website")] == (
        "Existing Co (existing.com) is already in your directory; remove this row."
    )
    assert "your own organization's domain" in errors[(9, "website")]
    assert "starts with “-”" in errors[(11, "tags")]
    assert check.total == 9 and check.invalid == 9 and check.valid == 0
    assert str(check.errors[0]) == (
        "Row 2, column “name”: The name is empty; enter the partner's name."
    )


def test_preview_shows_first_20_rows_and_all_errors(
    world: World, owner: Client, django_assert_max_num_queries: object
) -> None:
    rows = "".join(f"Partner {i},p{i}.com,{'bogus' if i % 10 == 0 else ''}\n" for i in range(60))
    partner_import = uploaded(owner, world, "name,website,stage\n" + rows)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        page = preview(owner, world, partner_import)
    assert "The first 20 of 60 rows, as they will be imported" in page
    assert "p19.com" in page and "p20.com" not in page
    # Errors beyond the first 20 rows are listed too (rows 2, 12, …, 52).
    assert 'id="row-52"' in page and "Errors to fix (6 rows)" in page
    assert "<dt>With errors</dt><dd><strong>6</strong></dd>" in page


# --- The commit -------------------------------------------------------------------------


def test_failure_in_the_middle_of_the_commit_leaves_nothing(
    world: World, owner: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    partnerships, organizations = Partnership.objects.count(), Organization.objects.count()
    real_create = services.partnership_create
    calls = []

    def flaky_create(**kwargs: object) -> Partnership:
        calls.append(kwargs["name"])
        if len(calls) == 3:
            raise ValidationError({"website": "The database said no."})
        return real_create(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "partnership_create", flaky_create)
    content = GOOD + "Delta,delta.com,,,,,,\n"
    partner_import = uploaded(owner, world, content)

    response = commit(owner, world, partner_import)

    assert calls == ["Alpha Labs", "Beta Works", "Gamma Group"]
    assert flashed(response) == [
        "Nothing was imported: row 4 (Gamma Group) could not be created: The database said no."
    ]
    assert Partnership.objects.count() == partnerships
    assert Organization.objects.count() == organizations
    partner_import.refresh_from_db()
    assert partner_import.status == ImportStatus.UPLOADED
    assert partner_import.committed_at is None

    # Once the cause is gone the same import can be committed.
    monkeypatch.setattr(services, "partnership_create", real_create)
    commit(owner, world, partner_import)
    assert Partnership.objects.count() == partnerships + 4


def test_unexpected_crash_in_the_commit_rolls_back(
    world: World, owner: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = Partnership.objects.count()
    partner_import = uploaded(owner, world, GOOD)
    real_create = services.partnership_create
    calls = []

    def crashing_create(**kwargs: object) -> Partnership:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real_create(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(services, "partnership_create", crashing_create)
    with pytest.raises(RuntimeError):
        imports.partner_import_commit(
            actor=world.actor("host_owner"), partner_import=partner_import
        )
    assert Partnership.objects.count() == before
    partner_import.refresh_from_db()
    assert partner_import.status == ImportStatus.UPLOADED


def test_commit_revalidates_against_the_directory(world: World, owner: Client) -> None:
    partner_import = uploaded(owner, world, GOOD)
    assert "Import 3 partners" in preview(owner, world, partner_import)
    # Someone adds one of the partners by hand after the preview.
    services.partnership_create(actor=world.actor("host_owner"), name="Beta", website="beta.io")
    before = Partnership.objects.count()

    response = commit(owner, world, partner_import)

    assert flashed(response) == [
        "Nothing was imported: 1 row has errors. Fix them in the file and upload it again, "
        "or change the column mapping."
    ]
    assert Partnership.objects.count() == before
    assert "Beta (beta.io) is already in your directory" in preview(owner, world, partner_import)


def test_second_commit_does_nothing(world: World, owner: Client) -> None:
    partner_import = uploaded(owner, world, GOOD)
    commit(owner, world, partner_import)
    after_first = Partnership.objects.count()

    response = commit(owner, world, partner_import)

    assert response["Location"] == url("partner_import_preview", world, code=partner_import.code)
    assert flashed(response)[-1] == (
        "This import was already committed (3 partners); nothing was imported again."
    )
    assert Partnership.objects.count() == after_first
    assert "3 partners added to your directory" in preview(owner, world, partner_import)


def test_stale_commit_is_refused_by_the_conditional_update(world: World) -> None:
    actor = world.actor("host_owner")
    from io import BytesIO

    content = GOOD.encode()
    partner_import = imports.partner_import_create(
        actor=actor, stream=BytesIO(content), size=len(content), filename="p.csv"
    )
    stale = PartnerImport.objects.get(pk=partner_import.pk)
    assert imports.partner_import_commit(actor=actor, partner_import=partner_import) == 3
    # A second request that loaded the import before the first commit finished.
    assert stale.status == ImportStatus.UPLOADED
    with pytest.raises(imports.ImportAlreadyDone):
        imports.partner_import_commit(actor=actor, partner_import=stale)
    assert Partnership.objects.filter(host=world.host).count() == 2 + 3


def test_discard(world: World, owner: Client) -> None:
    partner_import = uploaded(owner, world, GOOD)
    response = owner.post(url("partner_import_discard", world, code=partner_import.code))
    assert response["Location"] == url("partner_import", world)
    partner_import.refresh_from_db()
    assert partner_import.status == ImportStatus.DISCARDED
    assert partner_import.text == ""
    before = Partnership.objects.count()
    commit(owner, world, partner_import)
    assert Partnership.objects.count() == before
    assert "This import was discarded" in preview(owner, world, partner_import)


# --- Who may import ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("host_viewer", 403),
        ("host_member", 403),
        ("partner_user", 404),
        ("other_host", 404),
    ],
)
def test_only_host_managers_import(world: World, persona: str, status: int) -> None:
    partner_import = uploaded(world.client("host_owner"), world, GOOD)
    client = world.client(persona)
    urls = [
        ("get", url("partner_import", world)),
        ("get", url("partner_import_sample", world)),
        ("get", url("partner_import_preview", world, code=partner_import.code)),
        ("post", url("partner_import_preview", world, code=partner_import.code)),
        ("post", url("partner_import_commit", world, code=partner_import.code)),
        ("post", url("partner_import_discard", world, code=partner_import.code)),
    ]
    for method, address in urls:
        assert getattr(client, method)(address).status_code == status, address
    assert upload(client, world, GOOD).status_code == status
    partner_import.refresh_from_db()
    assert partner_import.status == ImportStatus.UPLOADED
    assert not Partnership.objects.filter(partner__domain="alpha.com").exists()


def test_anonymous_is_sent_to_log_in(world: World) -> None:
    response = world.client("anonymous").get(url("partner_import", world))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_another_hosts_import_is_404_in_its_own_org(world: World) -> None:
    partner_import = uploaded(world.client("host_owner"), world, GOOD)
    client = world.client("other_host")
    org = world.other_host_org.code
    for name in ("partner_import_preview", "partner_import_commit", "partner_import_discard"):
        address = reverse(name, kwargs={"org": org, "code": partner_import.code})
        assert client.post(address).status_code == 404
    assert client.get(reverse("partner_import", kwargs={"org": org})).status_code == 200
    assert Partnership.objects.filter(host=world.other_host_org).count() == 1


def test_upload_page_explains_the_columns(world: World, owner: Client) -> None:
    uploaded(owner, world, GOOD)
    page = owner.get(url("partner_import", world)).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="id_file">CSV file' in page
    assert "Download a sample CSV" in page
    assert "registered, silver, gold, platinum" in page
    assert "Recent imports" in page and "partners.csv" in page


# --- The command line -------------------------------------------------------------------


def test_command_imports_with_a_mapping(world: World, tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text("Org;Homepage;Owner\nAlpha;alpha.com;owner@northwind.test\nBeta;beta.com;\n")
    out = StringIO()
    call_command(
        "import_partners",
        str(path),
        org=world.host.code,
        user="OWNER@northwind.test",
        mapping="name=org,website=Homepage",
        stdout=out,
    )
    assert "Imported 2 partners into Northwind Analytics." in out.getvalue()
    alpha = Partnership.objects.get(host=world.host, partner__domain="alpha.com")
    assert alpha.host_owner == world.host_owner
    assert PartnerImport.objects.get().status == ImportStatus.COMMITTED


def test_command_reports_row_errors_and_imports_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("name,website\nAlpha,alpha.com\nBeta,\nAlpha,alpha.com\n")
    before = Partnership.objects.count()
    err = StringIO()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command(
            "import_partners",
            str(path),
            org=world.host.code,
            user="owner@northwind.test",
            stdout=StringIO(),
            stderr=err,
        )
    assert "Row 3, column “website”: The website is empty" in err.getvalue()
    assert "Rows 2 and 4 are the same partner (alpha.com)" in err.getvalue()
    assert Partnership.objects.count() == before
    assert PartnerImport.objects.get().status == ImportStatus.DISCARDED


def test_command_refuses_bad_input(world: World, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("name,website\nAlpha,alpha.com\n")
    base = {"org": world.host.code, "stdout": StringIO(), "stderr": StringIO()}
    with pytest.raises(CommandError, match="not a member"):
        call_command("import_partners", str(path), user="owner@initech.test", **base)
    with pytest.raises(CommandError, match="cannot import"):
        call_command("import_partners", str(path), user="viewer@northwind.test", **base)
    with pytest.raises(CommandError, match="no column “Company”"):
        call_command(
            "import_partners",
            str(path),
            user="owner@northwind.test",
            mapping="name=Company",
            **base,
        )
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,website\nCafé,cafe.fr\n".encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8 text"):
        call_command("import_partners", str(latin), user="owner@northwind.test", **base)
    out = StringIO()
    call_command(
        "import_partners",
        str(path),
        user="owner@northwind.test",
        dry_run=True,
        **{**base, "stdout": out},
    )
    assert "Dry run" in out.getvalue()
    assert not Partnership.objects.filter(partner__domain="alpha.com").exists()


def test_directory_export_imports_into_another_host(world: World, owner: Client) -> None:
    commit(owner, world, uploaded(owner, world, GOOD))
    Partnership.objects.filter(partner__domain="beta.io").update(description="=1+1")
    exported = owner.get(url("directory_export", world) + "?tag=EMEA")
    content = b"".join(exported.streaming_content)
    assert b"'=1+1" in content  # Disarmed by the export.

    other = world.client("other_host")
    org = world.other_host_org.code
    response = other.post(
        reverse("partner_import", kwargs={"org": org}),
        {"file": SimpleUploadedFile("export.csv", content, content_type="text/csv")},
    )
    partner_import = PartnerImport.objects.get(host=world.other_host_org)
    assert response["Location"] == reverse(
        "partner_import_preview", kwargs={"org": org, "code": partner_import.code}
    )
    mapping = {k: "" if v is None else str(v) for k, v in partner_import.mapping.items()}
    assert mapping["owner"] == "5"
    other.post(response["Location"], {**mapping, "owner": ""})
    commit_url = reverse("partner_import_commit", kwargs={"org": org, "code": partner_import.code})
    assert other.post(commit_url).status_code == 302

    imported = Partnership.objects.filter(host=world.other_host_org, partner__domain="alpha.com")
    alpha = imported.get()
    assert (alpha.stage, alpha.tier, alpha.partner_type) == (
        Stage.ACTIVE,
        Tier.GOLD,
        PartnerType.TECHNOLOGY,
    )
    beta = Partnership.objects.get(host=world.other_host_org, partner__domain="beta.io")
    assert beta.description == "'=1+1"
