"""The distribution pages: the counter (check a voucher, hand out a part, then the rest, then be refused naming who
handed it out), the counters list (an officer opens a counter and assigns a clerk), the unit's voucher sheet (PDF),
the resident's vouchers, and the office's reconciliation with its exports and the conflict form.

Who may open what, and bad input coming back on its field with nothing written."""

import csv
import io
import re
import shutil
import subprocess
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from openpyxl import load_workbook

from inminban.entitlements import reconciliation, redemptions
from inminban.entitlements.models import Counter, CounterClerk, Redemption

from .counter_fixtures import *  # noqa: F403 (fixtures)
from .counter_fixtures import rows


@pytest.fixture(autouse=True)
def root_key(db, keys_dir):
    """The root key is made the first time anything is verified (and audited then): make it before a test counts."""
    from inminban.stamps.documents import root_public_key

    root_public_key()


def _words(response) -> str:
    """The page's main text, tags removed, spaces collapsed."""
    html = response.content.decode()
    main = html.split('<main id="content"', 1)[1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def _check(client, counter, text):
    return client.post(f"/counters/{counter.code}/", {"form": "check", "voucher": text})


def _hand_out(client, counter, text, *, amount=None, uid=None):
    data = {"form": "handout", "voucher": text, "uid": str(uid or uuid.uuid4()), "how": "all"}
    if amount is not None:
        data |= {"how": "part", "amount": amount}
    return client.post(f"/counters/{counter.code}/", data)


# Access ----------------------------------------------------------------------------------------------------------


def test_clerk_of_another_counters_area_gets_404(distribution, client_for):
    assert client_for("ctr-clerk-b").get(f"/counters/{distribution.counter_a.code}/").status_code == 404
    assert client_for("ctr-clerk-a1").get(f"/counters/{distribution.counter_a2.code}/").status_code == 404
    before = rows()
    response = _check(client_for("ctr-clerk-b"), distribution.counter_a, distribution.text(0))
    assert response.status_code == 404
    assert rows() == before


@pytest.mark.parametrize("username", ["resident-a1", "leader-a1"])
def test_resident_or_leader_cannot_open_a_counter(username, distribution, client_for):
    client = client_for(username)
    assert client.get(f"/counters/{distribution.counter_a1.code}/").status_code == 404
    assert client.get("/counters/").status_code == 404
    assert client.get(f"/counters/{distribution.counter_a1.code}/offline-pack.zip").status_code == 404


def test_a_clerk_lists_only_the_counter_they_work_at(distribution, client_for):
    response = client_for("ctr-clerk-a1").get("/counters/")
    assert response.status_code == 200
    text = _words(response)
    assert "Counter A1" in text and "Counter A2" not in text and "Counter B" not in text
    assert "Open a counter" not in text


def test_anonymous_is_sent_to_log_in(distribution, client_for):
    response = client_for(None).get(f"/counters/{distribution.counter_a.code}/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# The counter -----------------------------------------------------------------------------------------------------


def test_a_clerk_hands_out_part_then_the_rest_then_is_refused_naming_who(distribution, client_for):
    client = client_for("ctr-clerk-a1")
    counter, voucher = distribution.counter_a1, distribution.vouchers[0]
    text = distribution.text(0)
    page = client.get(f"/counters/{counter.code}/")
    assert page.status_code == 200
    assert "Serves Songhu-dong unit 1" in _words(page) or "Serves" in _words(page)

    answer = _check(client, counter, text)
    assert answer.status_code == 200
    words = _words(answer)
    assert f"Household {voucher.household.number}" in words
    assert f"{voucher.members_counted} person" in words
    quantity_kg = voucher.quantity / 1000
    assert "kg" in words and str(voucher.unit.name_en or voucher.unit.name_ko) in words
    assert Redemption.objects.count() == 0, "a check writes nothing"

    done = _hand_out(client, counter, text, amount="10")
    assert done.status_code == 200, _words(done)
    assert f"10 kg to household {voucher.household.number}" in _words(done)
    redemption = Redemption.objects.get()
    assert (redemption.quantity, redemption.clerk.username, redemption.counter) == (10_000, "ctr-clerk-a1", counter)

    rest = _hand_out(client, counter, text)
    assert rest.status_code == 200
    assert "Nothing is left on this voucher." in _words(rest)
    voucher.refresh_from_db()
    assert voucher.redeemed == voucher.quantity and quantity_kg > 10

    refused = _check(client_for("ctr-clerk-a"), distribution.counter_a, text)
    assert refused.status_code == 409
    words = _words(refused)
    assert "Do not hand out" in words and "already been handed out" in words
    assert "Clerk CTR-CLERK-A1" in words and "Counter A1" in words
    assert "Record the hand-out" not in words


def test_the_same_form_sent_twice_is_recorded_once(distribution, client_for):
    client, counter, text = client_for("ctr-clerk-a"), distribution.counter_a, distribution.text(1)
    uid = uuid.uuid4()
    assert _hand_out(client, counter, text, amount="1", uid=uid).status_code == 200
    before = rows()
    again = _hand_out(client, counter, text, amount="1", uid=uid)
    assert again.status_code == 422
    assert "This hand-out was already recorded." in _words(again)
    assert rows() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("", "Say how much to hand out."),
        ("a lot", "Write a number, for example 5 or 2.5."),
        ("1.2345", "At most three decimals"),
        ("0", "Hand out more than nothing."),
        ("-5", "Hand out more than nothing."),
        ("99999", "is left on this voucher"),
        ("1e999999999", "Write a number, for example 5 or 2.5."),
        ("sNaN", "Write a number, for example 5 or 2.5."),
        ("Infinity", "Write a number, for example 5 or 2.5."),
    ],
)
def test_bad_amount_shows_the_error_summary_and_writes_nothing(amount, message, distribution, client_for):
    client, counter, text = client_for("ctr-clerk-a"), distribution.counter_a, distribution.text(2)
    before = rows()
    response = _hand_out(client, counter, text, amount=amount)
    assert response.status_code == 422
    html = response.content.decode()
    assert "data-error-summary" in html and 'href="#id_handout-amount"' in html
    assert message in _words(response)
    assert "Record the hand-out" in _words(response), "the form is shown again, with the household"
    assert rows() == before


def test_an_empty_voucher_box_names_the_field_and_writes_nothing(distribution, client_for):
    before = rows()
    response = _check(client_for("ctr-clerk-a"), distribution.counter_a, "  ")
    assert response.status_code == 422
    assert 'href="#id_check-voucher"' in response.content.decode()
    assert "Scan or type the voucher" in _words(response)
    assert rows() == before


@pytest.mark.parametrize(
    "text", ["hello", "INBV1:NOTBASE45!!", "INB1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEMWK4MI$V"]
)
def test_unreadable_text_is_refused_in_words(text, distribution, client_for):
    before = rows()
    response = _check(client_for("ctr-clerk-a"), distribution.counter_a, text)
    assert response.status_code == 409
    words = _words(response)
    assert "Do not hand out" in words and "Record the hand-out" not in words
    assert "malformed" not in words and "bad_prefix" not in words, "no reason codes on the page"
    assert rows() == before


def test_a_voucher_for_households_the_counter_does_not_serve_is_refused(distribution, client_for):
    response = _check(client_for("ctr-clerk-a2"), distribution.counter_a2, distribution.text(0))
    assert response.status_code == 409
    assert "does not serve" in _words(response)


def test_a_scan_answers_in_a_few_queries(distribution, client_for, django_assert_max_num_queries):
    client, text = client_for("ctr-clerk-a"), distribution.text(0)
    client.get(f"/counters/{distribution.counter_a.code}/")
    with django_assert_max_num_queries(25):
        assert _check(client, distribution.counter_a, text).status_code == 200


def test_the_offline_pack_downloads_as_a_zip(distribution, client_for):
    response = client_for("ctr-clerk-a1").get(f"/counters/{distribution.counter_a1.code}/offline-pack.zip")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response.content[:2] == b"PK"


# Counters: opening one and assigning its clerk -------------------------------------------------------------------


def test_an_officer_opens_a_counter_and_assigns_a_clerk(distribution, client_for, unit_a1):
    officer = client_for("officer-a")
    response = officer.post(
        "/counters/",
        {
            "form": "counter",
            "area": unit_a1.pk,
            "code": "PG-NEW",
            "name_ko": "새 배급소",
            "name_en": "New point",
            "opening_hours": "Mon–Sat 08:00–13:00",
        },
    )
    assert response.status_code == 302
    counter = Counter.objects.get(code="PG-NEW")
    assert (counter.area, counter.office.code) == (unit_a1, "HS-A-OFFICE")
    User.objects.create_user("pg-clerk", password="x")
    response = officer.post("/counters/", {"form": "clerk", "counter": counter.pk, "username": "pg-clerk"})
    assert response.status_code == 302
    assert CounterClerk.objects.filter(counter=counter, assignment__user__username="pg-clerk").exists()
    assert client_for("pg-clerk").get("/counters/PG-NEW/").status_code == 200
    assert "Mon–Sat 08:00–13:00" in _words(client_for("pg-clerk").get("/counters/PG-NEW/"))


@pytest.mark.parametrize(
    ("data", "anchor", "message"),
    [
        ({"form": "counter", "code": "", "name_en": "X"}, "id_counter-code", "This field is required."),
        ({"form": "counter", "code": "a b/c", "name_en": "X"}, "id_counter-code", "Letters, digits"),
        ({"form": "counter", "code": "CTR-A", "name_en": "X"}, "id_counter-code", "Another counter has this code."),
        ({"form": "counter", "code": "PG-X"}, "id_counter-name_en", "A name in Korean or English is required."),
        ({"form": "clerk", "username": "nobody-here"}, "id_clerk-username", "No account has this user name."),
    ],
)
def test_bad_counter_or_clerk_input_names_the_field_and_writes_nothing(
    data, anchor, message, distribution, client_for, unit_a1
):
    data = data | ({"area": unit_a1.pk} if data["form"] == "counter" else {"counter": distribution.counter_a1.pk})
    before = rows()
    response = client_for("officer-a").post("/counters/", data)
    assert response.status_code == 422
    assert f'href="#{anchor}"' in response.content.decode()
    assert message in _words(response)
    assert rows() == before


def test_a_clerk_cannot_open_a_counter(distribution, client_for, unit_a1):
    before = rows()
    response = client_for("ctr-clerk-a").post(
        "/counters/", {"form": "counter", "area": unit_a1.pk, "code": "PG-NO", "name_en": "No"}
    )
    assert response.status_code == 403
    assert rows() == before


# Voucher sheets and the resident's voucher -----------------------------------------------------------------------


def _run(*args) -> str:
    assert shutil.which(args[0]), f"{args[0]} is missing: apt-get install poppler-utils"
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60).stdout


def test_the_leader_prints_the_units_vouchers_in_korean(distribution, client_for, tmp_path):
    url = f"/cycles/{distribution.cycle.pk}/units/HS-A1/vouchers.pdf"
    response = client_for("leader-a1").get(url, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "vouchers.pdf"
    path.write_bytes(response.content)
    fonts = [line.split() for line in _run("pdffonts", str(path)).splitlines()[2:] if line.strip()]
    assert fonts and all("NotoSansKR" in row[0] and row[-5] == "yes" for row in fonts), fonts
    text = _run("pdftotext", "-layout", str(path), "-")
    assert "배급소 식량" in text  # the program's Korean name
    for entitlement in distribution.vouchers:
        assert entitlement.household.number in text
    assert "HS-A2-" not in text, "only the unit's own households"


def test_the_units_cycle_page_links_the_sheet(distribution, client_for):
    response = client_for("leader-a1").get(f"/cycles/{distribution.cycle.pk}/units/HS-A1/")
    assert f"/cycles/{distribution.cycle.pk}/units/HS-A1/vouchers.pdf" in response.content.decode()


@pytest.mark.parametrize(
    ("username", "unit", "status"),
    [
        ("leader-a1", "HS-A2", 404),
        ("leader-b1", "HS-A1", 404),
        ("resident-a1", "HS-A1", 404),
        ("ctr-clerk-a", "HS-A1", 404),
        ("auditor", "HS-A1", 403),
        ("officer-a", "HS-A2", 200),
    ],
)
def test_only_the_leader_of_the_unit_and_the_office_get_the_sheet(username, unit, status, distribution, client_for):
    response = client_for(username).get(f"/cycles/{distribution.cycle.pk}/units/{unit}/vouchers.pdf")
    assert response.status_code == status


def test_the_resident_sees_their_voucher_and_what_is_left(distribution, client_for, cast):
    household = cast["resident-a1"].role_assignments.get(role="resident").person.household
    entitlement = distribution.cycle.entitlements.get(household=household)
    redemptions.redemption_record(
        actor=distribution.clerks["a"], counter=distribution.counter_a, text=_text(entitlement), quantity=1000
    )
    response = client_for("resident-a1").get("/my-household/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/stamps/{entitlement.voucher.serial}/" in html and f"/stamps/{entitlement.voucher.serial}.pdf" in html
    words = _words(response)
    left = (entitlement.quantity - 1000) / 1000
    assert "Left to collect:" in words and f"{left:,.1f}".replace(".0", "") in words
    page = client_for("resident-a1").get(f"/stamps/{entitlement.voucher.serial}/")
    assert page.status_code == 200 and "Ration voucher" in _words(page) and "kilograms" in _words(page)


def _text(entitlement):
    from inminban.stamps.services import stamp_encoded

    return stamp_encoded(entitlement.voucher)


# Reconciliation --------------------------------------------------------------------------------------------------


@pytest.fixture
def handed(distribution, cast):
    """One voucher collected in full at counter A, one partly at A1, and a conflict: two offline hand-outs of the
    same voucher at A and A1, the second beyond what was left."""
    officer = cast["officer-a"]
    redemptions.redemption_record(
        actor=distribution.clerks["a"], counter=distribution.counter_a, text=distribution.text(0)
    )
    redemptions.redemption_record(
        actor=distribution.clerks["a1"], counter=distribution.counter_a1, text=distribution.text(1), quantity=5000
    )
    entitlement = distribution.vouchers[2]
    distribution.text(2)  # signed first, then handed out
    now = timezone.now()
    for counter, clerk, seconds in (
        (distribution.counter_a, "ctr-clerk-a", 0),
        (distribution.counter_a1, "ctr-clerk-a1", 1),
    ):
        result = redemptions.redemptions_upload(
            actor=User.objects.get(username=clerk),
            counter=counter,
            items=[
                {
                    "id": str(uuid.uuid4()),
                    "voucher": distribution.text(2),
                    "quantity": entitlement.quantity,
                    "handed_at": (now + timedelta(seconds=seconds)).isoformat(),
                    "clerk": f"{clerk} offline",
                }
            ],
        )
        assert not result.refused, result.refused
    assert officer
    return distribution


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("officer-a", 200),
        ("auditor", 200),
        ("leader-a1", 404),
        ("ctr-clerk-a", 404),
        ("resident-a1", 404),
        ("officer-b", 404),
    ],
)
def test_who_reads_the_reconciliation(username, status, handed, client_for):
    assert client_for(username).get(f"/cycles/{handed.cycle.pk}/reconciliation/").status_code == status
    assert client_for(username).get(f"/cycles/{handed.cycle.pk}/reconciliation.csv").status_code == status


def test_the_reconciliation_counts_per_counter_and_lists_the_conflict(handed, client_for, cast):
    figures = reconciliation.cycle_reconciliation(actor=cast["officer-a"], cycle=handed.cycle)
    total = figures.total
    assert (total.full, total.partial, total.conflicts, total.offline) == (2, 1, 1, 1)
    assert total.unredeemed == total.households - 3
    by_code = {row.counter.code: row.figures for row in figures.rows if row.counter}
    assert by_code["CTR-A"].handouts == 2 and by_code["CTR-A1"].handouts == 1 and by_code["CTR-A1"].conflicts == 1
    assert by_code["CTR-A1"].households == len(handed.vouchers)
    assert "CTR-B" not in by_code, "a counter of the other district is not part of this cycle"
    response = client_for("officer-a").get(f"/cycles/{handed.cycle.pk}/reconciliation/")
    words = _words(response)
    assert "<svg" in response.content.decode()
    conflict = handed.vouchers[2].household.number
    assert f"Household {conflict}" in words
    assert "ctr-clerk-a offline at Counter A" in words and "ctr-clerk-a1 offline at Counter A1" in words


def test_the_exports_match_the_figures(handed, client_for, cast):
    figures = reconciliation.cycle_reconciliation(actor=cast["officer-a"], cycle=handed.cycle)
    client = client_for("officer-a")
    body = client.get(f"/cycles/{handed.cycle.pk}/reconciliation.csv").content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(body)))
    book = load_workbook(io.BytesIO(client.get(f"/cycles/{handed.cycle.pk}/reconciliation.xlsx").content))
    sheet = [list(row) for row in book.active.iter_rows(values_only=True)]
    assert table[0] == sheet[0] and len(table) == len(figures.rows) + 2 == len(sheet)
    expected = [*figures.rows, None]
    for csv_row, xlsx_row, row in zip(table[1:], sheet[1:], expected, strict=True):
        f = figures.total if row is None else row.figures
        numbers = [f.households, f.full, f.partial, f.unredeemed, f.handouts, f.offline, f.conflicts, f.resolved]
        picked = [2, 4, 5, 6, 8, 10, 11, 12]
        assert [int(csv_row[i]) for i in picked] == numbers
        assert [xlsx_row[i] for i in picked] == numbers
        assert float(csv_row[3]) == xlsx_row[3] == f.quantity / 1000
    assert table[-1][0] == "Total"


def test_the_office_resolves_a_conflict_on_the_page(handed, client_for):
    conflict = Redemption.objects.get(status=Redemption.Status.CONFLICT)
    client = client_for("officer-a")
    url = f"/cycles/{handed.cycle.pk}/reconciliation/"
    before = rows()
    response = client.post(url, {"form": "resolve", "redemption": conflict.pk, "note": "  "})
    assert response.status_code == 422
    assert f'href="#id_resolve-{conflict.pk}-note"' in response.content.decode()
    assert rows() == before
    assert (
        client_for("auditor").post(url, {"form": "resolve", "redemption": conflict.pk, "note": "x"}).status_code == 403
    )
    assert rows() == before
    response = client.post(url, {"form": "resolve", "redemption": conflict.pk, "note": "The household returned it."})
    assert response.status_code == 302
    conflict.refresh_from_db()
    assert conflict.status == Redemption.Status.RESOLVED and conflict.resolution == "The household returned it."
    assert "The household returned it." in _words(client.get(url))


def test_the_cycle_page_links_the_reconciliation(handed, client_for):
    response = client_for("officer-a").get(f"/cycles/{handed.cycle.pk}/")
    assert f"/cycles/{handed.cycle.pk}/reconciliation/" in response.content.decode()


def test_a_scan_is_in_the_households_access_log_under_the_clerks_role(distribution, client_for):
    from inminban.audit.models import AccessLogEntry

    entitlement = distribution.vouchers[3]
    before = AccessLogEntry.objects.filter(household=entitlement.household).count()
    client = client_for("ctr-clerk-a")
    response = _check(client, distribution.counter_a, distribution.text(3))
    assert response.status_code == 200 and "Record the hand-out" in _words(response)
    logged = AccessLogEntry.objects.filter(household=entitlement.household).order_by("-at")
    assert logged.count() == before + 1 and logged[0].actor.username == "ctr-clerk-a"
