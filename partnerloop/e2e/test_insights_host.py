"""The host dashboard in a real browser, on the demo ecosystem: it renders with data, a
click on a quadrant dot opens that partnership's workspace, and a panel's CSV download
holds the rows of its table."""

from __future__ import annotations

import csv
import io
import re

import pytest

from partnerloop.core.demo import DEMO_PASSWORD, HOST_EMAIL, load_demo
from partnerloop.e2e.helpers import log_in
from partnerloop.partnerships.models import Partnership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_host_dashboard(live_server, new_page) -> None:
    load_demo()
    host = Partnership.objects.select_related("host").first().host
    base = live_server.url
    page = new_page()
    log_in(page, base, HOST_EMAIL, DEMO_PASSWORD)
    page.get_by_role("link", name="Insights").click()
    page.wait_for_url(re.compile(rf".*/o/{host.code}/insights/$"))
    page.get_by_role("heading", name="Insights", level=1).wait_for()
    for title in ("Partnerships by stage and fit band", "Fit × MAP health", "Tiny-steps funnel"):
        page.get_by_role("heading", name=title).wait_for()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart("
        "document.querySelector('canvas[data-chart=\"chart-quadrant\"]'))"
    )

    # The table of the quadrant, read as a keyboard user would: the first link.
    quadrant = page.locator("#panel-quadrant")
    first = quadrant.locator("tbody tr th a").first
    name, href = (first.text_content() or "").strip(), first.get_attribute("href")
    assert href and re.fullmatch(rf"/o/{host.code}/p/\w+/", href)

    # A click on that partnership's dot opens its workspace.
    canvas = quadrant.locator("canvas")
    canvas.scroll_into_view_if_needed()
    where = page.evaluate(
        """(name) => {
          const canvas = document.querySelector('canvas[data-chart="chart-quadrant"]');
          const chart = Chart.getChart(canvas);
          for (const [d, dataset] of chart.data.datasets.entries()) {
            const i = dataset.data.findIndex((p) => p && p.label === name);
            if (i >= 0) {
              const el = chart.getDatasetMeta(d).data[i];
              return {x: el.x, y: el.y};
            }
          }
          return null;
        }""",
        name,
    )
    assert where is not None
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + where["x"], box["y"] + where["y"])
    page.wait_for_url(re.compile(rf".*{re.escape(href)}$"))
    assert name in page.content()

    # A filtered CSV download equals its table.
    page.goto(f"{base}/o/{host.code}/insights/?days=365")
    panel = page.locator("#panel-stages")
    panel.locator("summary").click()
    table = [
        [cell.inner_text().strip() for cell in row.locator("th, td").all()]
        for row in panel.locator("tr").all()
    ]
    with page.expect_download() as download_info:
        panel.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.url.endswith("?days=365&csv=stages")
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(io.StringIO(handle.read())))
    assert rows == table
    assert len(rows) > 1
