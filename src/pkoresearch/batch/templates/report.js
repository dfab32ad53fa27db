// The runs table: click a column title to sort (again to reverse), type to filter. Plain
// JavaScript, no library and no network: the page works offline.
(function () {
  var table = document.getElementById("runs-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  function key(row, i, kind) {
    var cell = row.cells[i];
    var raw = cell.getAttribute("data-value");
    var text = raw !== null ? raw : cell.textContent.trim();
    if (kind === "num") { var x = parseFloat(text); return isNaN(x) ? -Infinity : x; }
    return text.toLowerCase();
  }
  Array.prototype.forEach.call(heads, function (th, i) {
    var kind = th.getAttribute("data-sort");
    if (!kind) { return; }
    th.setAttribute("tabindex", "0");
    th.title = "sort by " + th.textContent;
    function sort() {
      var asc = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = key(a, i, kind), y = key(b, i, kind);
        return (x < y ? -1 : x > y ? 1 : 0) * (asc ? 1 : -1);
      });
      rows.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sort(); } });
  });
  var filter = document.getElementById("run-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(body.rows, function (r) {
        var text = r.textContent.toLowerCase();
        r.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
      });
    });
  }
})();
