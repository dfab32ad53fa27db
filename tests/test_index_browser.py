"""The default batch's index.html in headless Chromium, with the real files imported: no
horizontal overflow at 1,280 px (the page's scroll width), the runs table sorts and filters (its
own JavaScript, run by the browser), and every run card shows its data badge."""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest

from test_report_browser import browse, chromium

pytestmark = pytest.mark.skipif(
    chromium() is None,
    reason="needs Debian's chromium (apt-get install chromium; .ci/run installs it as root)",
)

# run in the page after its own script: measure, click the column titles, type in the filter
PROBE = """<script>
(function () {
  function names() {
    return Array.prototype.filter.call(document.querySelectorAll("#runs-table tbody tr"),
      function (r) { return !r.hidden; }).map(function (r) { return r.cells[0].textContent.trim(); });
  }
  var out = {width: document.documentElement.scrollWidth,
             client: document.documentElement.clientWidth, before: names()};
  var heads = document.querySelectorAll("#runs-table thead th");
  heads[0].click(); out.asc = names();
  heads[0].click(); out.desc = names();
  heads[3].click();
  out.durations = Array.prototype.map.call(document.querySelectorAll("#runs-table tbody tr"),
    function (r) { return parseFloat(r.cells[3].getAttribute("data-value")); });
  var f = document.getElementById("run-filter");
  f.value = "minusca"; f.dispatchEvent(new Event("input"));
  out.filtered = names();
  f.value = ""; f.dispatchEvent(new Event("input"));
  out.cards = document.querySelectorAll("article.run").length;
  out.badged = Array.prototype.filter.call(document.querySelectorAll("article.run"),
    function (a) { return a.querySelector(".data-used .badge.data"); }).length;
  out.badges = Array.prototype.map.call(document.querySelectorAll("article.run"), function (a) {
    return [a.id, Array.prototype.map.call(a.querySelectorAll(".data-used .badge.data"),
      function (b) { return b.textContent; })]; });
  var pre = document.createElement("pre"); pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>
"""


@pytest.mark.slow
def test_default_batch_index_sorts_filters_and_fits_1280px(default_batch, tmp_path):
    # the session's shared default batch (conftest.py), copied: the probe page is written beside
    # its index.html
    out = tmp_path / "reports"
    shutil.copytree(default_batch["reports"], out)
    runs = default_batch["runs"]
    manifest = default_batch["manifest"]
    assert manifest["failed"] == 0
    status = {r["name"]: r["status"] for r in manifest["runs"]}
    assert set(status.values()) == {"ok"}  # the real files are there: nothing incomplete
    page = (out / "index.html").read_text(encoding="utf-8")
    probe = out / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = browse(probe, tmp_path, screenshot=tmp_path / "index.png")
    found = json.loads(html.unescape(re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)[1]))

    assert found["client"] == 1280
    assert found["width"] <= found["client"], found  # no horizontal overflow at 1,280 px
    names = [r.name for r in runs]
    assert found["before"] == names
    assert found["asc"] == sorted(names, key=str.lower)
    assert found["desc"] == sorted(names, key=str.lower, reverse=True)
    assert found["durations"] == sorted(found["durations"])
    assert found["filtered"] == ["allegation-trends-MINUSCA"]
    assert found["cards"] == len(runs) and found["badged"] == len(runs)
    badges = dict(found["badges"])
    assert badges["run-overview"] == ["bundled"]  # reads only the bundled tables
    trends = badges["run-allegation-trends-MINUSCA"]
    assert any(b.startswith("un_allegations ") for b in trends), trends
    women = badges["run-women-and-allegations"]
    assert {b.split()[0] for b in women} == {"un_allegations", "un_contributions_mission_month"}
