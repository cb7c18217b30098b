"use strict";
(function () {
  const payload = JSON.parse(document.getElementById("kgov-data").textContent);
  const report = payload.report;
  const checks = payload.checks;
  const RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };
  const body = document.querySelector("#findings tbody");
  const state = { key: "severity", direction: -1, severities: new Set(Object.keys(RANK)) };

  function where(target) {
    return (target.namespace ? target.namespace + "/" : "") + target.name;
  }
  function location(finding) {
    const loc = finding.location;
    if (!loc) return "";
    return loc.file + (loc.line ? ":" + loc.line : "");
  }
  function text(tag, value, className) {
    const node = document.createElement(tag);
    node.textContent = value;
    if (className) node.className = className;
    return node;
  }
  const rows = report.findings.map(function (finding, index) {
    const row = document.createElement("tr");
    row.className = "finding";
    row.dataset.index = String(index);
    row.dataset.severity = finding.severity;
    row.appendChild(text("td", finding.severity, "severity sev-" + finding.severity));
    row.appendChild(text("td", finding.check, "check"));
    row.appendChild(text("td", finding.target.kind + " " + where(finding.target), "target"));
    row.appendChild(text("td", location(finding), "location"));
    row.appendChild(text("td", finding.message, "message"));
    row.addEventListener("click", function () { toggleDetail(row, finding); });
    return { row: row, finding: finding, detail: null,
      keys: { severity: RANK[finding.severity], check: finding.check, target: where(finding.target),
              location: location(finding), message: finding.message },
      haystack: [finding.check, where(finding.target), finding.target.kind, finding.message,
                 location(finding)].join("\n").toLowerCase() };
  });

  function toggleDetail(row, finding) {
    const item = rows[Number(row.dataset.index)];
    if (item.detail) { item.detail.remove(); item.detail = null; return; }
    const detail = document.createElement("tr");
    detail.className = "detail";
    const cell = document.createElement("td");
    cell.colSpan = 5;
    const list = document.createElement("dl");
    const check = checks[finding.check] || {};
    const entries = [
      ["Check", (check.title || finding.check) + " (" + finding.check + ")"],
      ["Why", check.why || ""],
      ["Fix", finding.remediation],
      ["Evidence", JSON.stringify(finding.evidence, null, 2)],
      ["Reference", check.docs || ""],
    ];
    for (const [term, value] of entries) {
      if (!value) continue;
      list.appendChild(text("dt", term));
      const dd = document.createElement("dd");
      dd.appendChild(text(term === "Evidence" ? "pre" : "span", value));
      list.appendChild(dd);
    }
    cell.appendChild(list);
    detail.appendChild(cell);
    row.after(detail);
    item.detail = detail;
  }

  function fill(select, values) {
    for (const value of Array.from(new Set(values)).sort()) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    }
  }
  const checkFilter = document.getElementById("check-filter");
  const namespaceFilter = document.getElementById("namespace-filter");
  const search = document.getElementById("search");
  fill(checkFilter, report.findings.map(function (f) { return f.check; }));
  fill(namespaceFilter, report.findings.map(function (f) { return f.target.namespace || "(cluster)"; }));
  const severityBox = document.getElementById("severity-filter");
  for (const severity of Object.keys(RANK)) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = severity;
    box.id = "severity-" + severity;
    box.addEventListener("change", function () {
      if (box.checked) state.severities.add(severity); else state.severities.delete(severity);
      render();
    });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + severity));
    severityBox.appendChild(label);
  }
  for (const control of [checkFilter, namespaceFilter]) control.addEventListener("change", render);
  search.addEventListener("input", render);
  for (const header of document.querySelectorAll("#findings th")) {
    header.addEventListener("click", function () {
      const key = header.dataset.sort;
      state.direction = state.key === key ? -state.direction : (key === "severity" ? -1 : 1);
      state.key = key;
      for (const other of document.querySelectorAll("#findings th")) other.removeAttribute("aria-sort");
      header.setAttribute("aria-sort", state.direction > 0 ? "ascending" : "descending");
      render();
    });
  }

  function visible(item) {
    const f = item.finding;
    if (!state.severities.has(f.severity)) return false;
    if (checkFilter.value && f.check !== checkFilter.value) return false;
    if (namespaceFilter.value && (f.target.namespace || "(cluster)") !== namespaceFilter.value) return false;
    const needle = search.value.trim().toLowerCase();
    return !needle || item.haystack.includes(needle);
  }
  function compare(a, b) {
    const x = a.keys[state.key], y = b.keys[state.key];
    if (x < y) return -state.direction;
    if (x > y) return state.direction;
    return a.keys.check < b.keys.check ? -1 : a.keys.check > b.keys.check ? 1 : 0;
  }
  function render() {
    const shown = rows.filter(visible).sort(compare);
    body.replaceChildren();
    for (const item of shown) {
      body.appendChild(item.row);
      if (item.detail) body.appendChild(item.detail);
    }
    document.getElementById("shown").textContent = shown.length + " of " + rows.length + " shown";
    document.getElementById("empty").hidden = shown.length > 0;
  }

  const skipped = document.getElementById("skipped");
  for (const item of report.skipped) {
    skipped.appendChild(text("li", item.check + ": " + item.reason));
  }
  document.getElementById("skipped-section").hidden = report.skipped.length === 0;
  render();
})();
