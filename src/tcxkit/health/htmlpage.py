"""The one-page HTML health report: a summary, then a section per PBX with a sortable
table of its checks.  No external asset; every value escaped (see :mod:`.report`)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from .model import SEVERITIES, STATUSES, status_rank
from .report import HealthRun

__all__ = ["html_report"]

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f3f3f3;cursor:pointer;user-select:none}
.pass{background:#e6f4ea}.warn{background:#fff4e0}.unknown{background:#f0f0f0}
.fail{background:#fde7e9}.error{background:#fde7e9}
.badge{font-weight:bold;text-transform:uppercase}code{font-size:12px;white-space:pre-wrap}
"""

# Sorts the clicked table by the clicked column (status and severity by rank, not text).
_JS = """
document.querySelectorAll("table.sortable th").forEach(function (th, col) {
  th.addEventListener("click", function () {
    var table = th.closest("table"), body = table.tBodies[0];
    var up = th.dataset.dir !== "asc"; th.dataset.dir = up ? "asc" : "desc";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.key || a.cells[col].textContent;
      var y = b.cells[col].dataset.key || b.cells[col].textContent;
      return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"""


def _row(r: Any) -> str:
    evidence = escape(json.dumps(r.evidence, indent=1, default=str, ensure_ascii=False))
    return (
        f'<tr class="{escape(r.status)}">'
        f'<td data-key="{status_rank(r.status)}" class="badge">{escape(r.status)}</td>'
        f'<td data-key="{SEVERITIES.index(r.severity)}">{escape(r.severity)}</td>'
        f"<td>{escape(r.title)}<br><small>{escape(r.check)}</small></td>"
        f"<td>{escape(r.summary)}</td><td><code>{evidence}</code></td>"
        f"<td>{escape(r.fix)}</td></tr>"
    )


def html_report(run: HealthRun) -> str:
    """The whole page as text."""
    counts = run.counts()
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        f"<title>3CX health: {escape(run.status)}</title><style>{_CSS}</style></head><body>",
        f'<h1>3CX fleet health: <span class="badge {escape(run.status)}">'
        f"{escape(run.status)}</span></h1>",
        f"<p>{len(run.pbxs) + len(run.errors)} PBX(s), checked "
        f"{escape(run.when.isoformat(timespec='seconds'))}: {escape(summary)}; "
        f"{len(run.errors)} not reachable.</p>",
    ]
    by_name = {p.pbx: p for p in run.pbxs}
    for name in run.order or [*by_name, *run.errors]:
        parts.append(f'<section id="pbx-{escape(name)}"><h2>{escape(name)}: ')
        if name in run.errors:
            err = run.errors[name]
            parts.append(
                f'<span class="badge error">error</span></h2><p class="error">'
                f"{escape(str(err.get('message', '')))}<br>Hint: {escape(str(err.get('hint', '')))}"
                "</p></section>"
            )
            continue
        p = by_name[name]
        parts.append(
            f'<span class="badge {escape(p.status)}">{escape(p.status)}</span></h2>'
            '<table class="sortable"><thead><tr><th>Status</th><th>Severity</th>'
            "<th>Check</th><th>Found</th><th>Evidence</th><th>Fix</th></tr></thead><tbody>"
        )
        parts.extend(_row(r) for r in p.results)
        parts.append("</tbody></table></section>")
    parts.append(f"<script>{_JS}</script></body></html>\n")
    return "\n".join(parts)
