"""Importing account lists: encodings, delimiters, CRM headers, mapping, bad files."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from partnerloop.mapping import imports, services
from partnerloop.mapping.models import Account, AccountUpload, UploadStatus
from partnerloop.mapping.tests.lists_support import (
    HUBSPOT_HEADER,
    SALESFORCE_HEADER,
    _media,  # noqa: F401 (autouse fixture)
    csv_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

SIMPLE = [
    ["Company name", "Website URL", "Lifecycle Stage", "Record ID"],
    ["Société Générale", "https://www.societegenerale.fr/en", "Customer", "1"],
    ["Müller GmbH", "mueller.de", "Lead", "2"],
    ["Ørsted A/S", "orsted.com", "Opportunity", "3"],
]


def rows_of(up: AccountUpload) -> list[tuple[str, str, str, str]]:
    return list(
        Account.objects.filter(upload=up)
        .order_by("row")
        .values_list("name", "domain", "population_key", "external_id")
    )


EXPECTED = [
    ("Société Générale", "societegenerale.fr", "customers", "1"),
    ("Müller GmbH", "mueller.de", "prospects", "2"),
    ("Ørsted A/S", "orsted.com", "opportunities", "3"),
]


@pytest.mark.parametrize(
    ("encoding", "bom", "label"),
    [
        ("utf-8", False, "utf-8"),
        ("utf-8", True, "utf-8-sig"),
        ("utf-16", False, "utf-16"),  # Python writes a BOM for "utf-16"
        ("utf-16-le", False, "utf-16-le"),  # no BOM: found by its zero bytes
        ("latin-1", False, "cp1252"),
        ("cp1252", False, "cp1252"),
    ],
)
def test_each_encoding_reads_accents(world, encoding, bom, label):
    data = csv_bytes(SIMPLE, encoding=encoding, bom=bom)
    up = upload(world.actor("host_owner"), data)
    assert up.encoding == label
    assert up.status == UploadStatus.DONE, up.errors
    assert rows_of(up) == EXPECTED


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_each_delimiter(world, delimiter):
    up = upload(world.actor("host_owner"), csv_bytes(SIMPLE, delimiter=delimiter))
    assert up.delimiter == delimiter
    assert rows_of(up) == EXPECTED


def test_excel_sep_line_is_skipped(world):
    data = b"sep=;\r\n" + csv_bytes(SIMPLE, delimiter=";")
    up = upload(world.actor("host_owner"), data)
    assert up.delimiter == ";"
    assert rows_of(up) == EXPECTED


def test_hubspot_export_is_recognized_and_imported_at_once(world):
    rows = [
        HUBSPOT_HEADER,
        ["101", "Acme Corp", "Jo Smith", "2024-01-02", "acme.com", "", "Customer", "Germany", "IT"],
        ["102", "Globex", "", "", "", "https://globex.io/x", "Sales Qualified Lead", "USA", ""],
        ["103", "Initech", "", "", "", "", "Subscriber", "fr", ""],
    ]
    up = upload(world.actor("host_owner"), csv_bytes(rows))
    assert up.source == "hubspot"
    assert up.mapping == {
        "name": 1,
        "domain": 4,
        "website": 5,
        "status": 6,
        "country": 7,
        "external_id": 0,
        "owner": 2,
    }
    assert up.status == UploadStatus.DONE
    accounts = list(Account.objects.filter(upload=up).order_by("row"))
    assert [(a.domain, a.country, a.population_key, a.owner) for a in accounts] == [
        ("acme.com", "DE", "customers", "Jo Smith"),
        ("globex.io", "US", "opportunities", ""),
        ("", "FR", "prospects", ""),
    ]
    # Unmapped columns are kept as extra fields (empty cells left out).
    assert accounts[0].extra == {"Create Date": "2024-01-02", "Industry": "IT"}
    assert accounts[0].row == 2
    assert accounts[0].name_key == "acme"


def test_salesforce_export_is_recognized(world):
    rows = [
        SALESFORCE_HEADER,
        [
            "001A",
            "Umbrella Inc.",
            "Ann Lee",
            "Customer - Direct",
            "umbrella.com",
            "Paris",
            "France",
            "",
        ],
        ["001B", "Hooli", "", "Prospect", "www.hooli.xyz", "", "United States", ""],
    ]
    up = upload(world.actor("host_owner"), csv_bytes(rows))
    assert up.source == "salesforce"
    assert up.status == UploadStatus.DONE
    assert rows_of(up) == [
        ("Umbrella Inc.", "umbrella.com", "customers", "001A"),
        ("Hooli", "hooli.xyz", "prospects", "001B"),
    ]


def test_unknown_headers_go_through_the_mapping_step(world):
    actor = world.actor("host_owner")
    rows = [["Firma", "Netz", "Stufe"], ["Acme", "acme.com", "customer"], ["Beta", "beta.de", "x"]]
    up = upload(actor, csv_bytes(rows))
    assert up.status == UploadStatus.MAPPING
    assert not Account.objects.filter(upload=up).exists()
    with pytest.raises(ValidationError) as exc:
        services.upload_set_mapping(actor=actor, upload=up, mapping={"status": "2"})
    message = " ".join(exc.value.messages)
    assert "“Firma”, “Netz”, “Stufe”" in message and "company name" in message
    services.upload_set_mapping(
        actor=actor, upload=up, mapping={"name": "0", "website": "1", "status": "2"}
    )
    services.upload_run(upload_id=up.pk)
    up.refresh_from_db()
    assert up.status == UploadStatus.DONE and up.is_current
    assert rows_of(up) == [
        ("Acme", "acme.com", "customers", ""),
        ("Beta", "beta.de", "prospects", ""),
    ]


def test_mapping_refuses_one_column_twice(world):
    actor = world.actor("host_owner")
    up = upload(actor, csv_bytes([["A", "B"], ["x", "y"]]))
    with pytest.raises(ValidationError):
        services.upload_set_mapping(actor=actor, upload=up, mapping={"name": "0", "website": "0"})


def test_duplicates_keep_the_first_and_are_counted(world):
    rows = [
        ["Account ID", "Account Name", "Website", "Type"],
        ["1", "Acme", "acme.com", "Customer"],
        ["2", "Acme again", "https://www.acme.com/about", "Prospect"],  # same domain
        ["1", "Acme by id", "", "Prospect"],  # same external id
        ["3", "Beta", "beta.com", "Prospect"],
        ["", "", "", ""],  # blank: ignored
        ["4", "", "", "Prospect"],  # no name, no website: skipped
    ]
    up = upload(world.actor("host_owner"), csv_bytes(rows))
    assert up.status == UploadStatus.DONE
    assert [r[0] for r in rows_of(up)] == ["Acme", "Beta"]
    assert (up.rows_imported, up.duplicates, up.rows_skipped) == (2, 2, 1)
    assert up.errors["duplicates"] == [
        {"row": 3, "first_row": 2, "key": "acme.com"},
        {"row": 4, "first_row": 2, "key": "1"},
    ]
    assert up.errors["skipped"] == [7]


def test_formula_cells_are_stored_as_text(world):
    rows = [
        ["Account Name", "Website", "Account ID"],
        ['=HYPERLINK("http://evil.test","x")', "acme.com", "+1"],
    ]
    up = upload(world.actor("host_owner"), csv_bytes(rows))
    account = Account.objects.get(upload=up)
    assert account.name == '=HYPERLINK("http://evil.test","x")'
    assert account.external_id == "+1"


def test_free_mail_and_email_columns(world):
    rows = [["Company", "Email"], ["Acme", "jane@acme.com"], ["Solo", "bob@gmail.com"]]
    actor = world.actor("host_owner")
    up = upload(actor, csv_bytes(rows))
    assert up.status == UploadStatus.MAPPING  # not a known CRM: the user confirms
    assert up.mapping["name"] == 0 and up.mapping["website"] == 1
    services.upload_set_mapping(actor=actor, upload=up, mapping=up.mapping)
    services.upload_run(upload_id=up.pk)
    assert [r[1] for r in rows_of(up)] == ["acme.com", ""]


# --- Bad files --------------------------------------------------------------------------


def refused(world, data: bytes, size: int | None = None) -> str:
    with pytest.raises(imports.UploadRefused) as exc:
        services.upload_create(
            actor=world.actor("host_owner"),
            stream=io.BytesIO(data),
            size=len(data) if size is None else size,
            filename="x.csv",
        )
    assert not AccountUpload.objects.exists()
    return exc.value.message


def test_empty_file_is_refused(world):
    assert "The file is empty" in refused(world, b"")
    assert "The file is empty" in refused(world, b"\r\n  \r\n")


def test_header_without_rows_is_refused(world):
    assert "no accounts below it" in refused(world, b"Account Name,Website\r\n")


def test_binary_and_excel_files_are_refused(world):
    assert "Excel workbook" in refused(world, b"PK\x03\x04" + b"\x00" * 100)
    assert "binary data" in refused(world, bytes(range(256)) * 4)


def test_size_cap_refuses_before_reading(world, settings):
    settings.MAPPING_MAX_UPLOAD_MB = 1

    class Unreadable(io.BytesIO):
        def read(self, *args):
            raise AssertionError("read a file that is over the limit")

    with pytest.raises(imports.UploadRefused) as exc:
        services.upload_create(
            actor=world.actor("host_owner"),
            stream=Unreadable(b""),
            size=2 * 1024 * 1024 + 1,
            filename="big.csv",
        )
    assert "larger than the 1.0 MB limit" in exc.value.message


def test_encoding_error_late_in_the_file_fails_cleanly(world, settings):
    actor = world.actor("host_owner")
    first = upload(actor, csv_bytes(SIMPLE))
    assert first.is_current
    # UTF-8 for the first 256 KB, then a Latin-1 byte: found by the worker, not the request.
    head = "Account Name,Website,Account ID\r\n" + "".join(
        f"Firm {i},firm{i}.com,{i}\r\n" for i in range(20_000)
    )
    data = head.encode() + "Café,cafe.fr,x\r\n".encode("latin-1")
    second = upload(actor, data)
    assert second.status == UploadStatus.FAILED
    assert "not valid UTF-8" in second.message and "nothing was imported" in second.message
    assert not Account.objects.filter(upload=second).exists()
    first.refresh_from_db()
    assert first.is_current


def test_rows_with_neither_name_nor_website_fail_the_upload(world):
    actor = world.actor("host_owner")
    rows = [["Account Name", "Website", "Account ID"], ["", "", "1"], ["", "n/a", "2"]]
    up = upload(actor, csv_bytes(rows))
    assert up.status == UploadStatus.FAILED
    assert "No row had a company name or a website" in up.message
    assert up.rows_skipped == 2
