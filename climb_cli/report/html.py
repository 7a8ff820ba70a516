"""One self-contained HTML file: tables (sortable by clicking a header) and embedded figures.
Every string that came from data or config is escaped."""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:1400px}
h1{font-size:1.6em}h2{font-size:1.3em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.1em}
table{border-collapse:collapse;margin:0.5em 0 1.5em;font-size:0.85em}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right;vertical-align:top}
td.text{min-width:8em;max-width:40em}
th{background:#f3f3f3;cursor:pointer;user-select:none;white-space:nowrap}
th::after{content:" \\21C5";color:#aaa;font-size:0.8em}
th[data-order=asc]::after{content:" \\25B2";color:#333}
th[data-order=desc]::after{content:" \\25BC";color:#333}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid #ccc;padding:0.4em 0;z-index:1}
nav a{margin-right:1em}
.incomplete{background:#fff3cd;border:1px solid #e0c060;padding:0.5em}
td:first-child,th:first-child,td.text{text-align:left}
td.best{font-weight:bold;background:#e6f4e6}
img{max-width:100%;border:1px solid #eee;margin:0.5em 0}
.note{color:#555;font-size:0.9em}
"""

_SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function(table){
  table.querySelectorAll('th').forEach(function(th, col){
    th.addEventListener('click', function(){
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var asc = th.getAttribute('data-order') !== 'asc';
      rows.sort(function(a, b){
        var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
        var nx = parseFloat(x), ny = parseFloat(y);
        var r = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return asc ? r : -r;
      });
      rows.forEach(function(r){ body.appendChild(r); });
      table.querySelectorAll('th').forEach(function(o){ o.removeAttribute('data-order');
        o.removeAttribute('aria-sort'); });
      th.setAttribute('data-order', asc ? 'asc' : 'desc');
      th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
    });
  });
});
window.addEventListener('load', function(){
  var imgs = Array.prototype.slice.call(document.images);
  document.body.setAttribute('data-images-loaded',
    imgs.filter(function(i){ return i.complete && i.naturalWidth > 0; }).length);
  document.body.setAttribute('data-tables', document.querySelectorAll('table.sortable').length);
});
"""


def _cell(value: Any, best: bool = False) -> str:
    if isinstance(value, float | np.floating):
        text = "" if np.isnan(value) else f"{value:.4f}"
        sort = "" if np.isnan(value) else repr(float(value))
        cls = ' class="best"' if best else ""
    else:
        text = sort = str(value)
        cls = ' class="text best"' if best else ' class="text"'
    return f'<td{cls} data-v="{html.escape(sort)}">{html.escape(text)}</td>'


def table(df: pd.DataFrame, best: pd.DataFrame | None = None, index: bool = False) -> str:
    """A sortable HTML table; ``best`` marks cells in bold."""
    if index:
        df = df.reset_index()
    head = "".join(f'<th title="click to sort">{html.escape(str(c))}</th>' for c in df.columns)
    body = []
    for i, rec in enumerate(df.itertuples(index=False)):
        cells = []
        for j, v in enumerate(rec):
            col = df.columns[j]
            is_best = bool(best is not None and col in best.columns and best.iloc[i][col])
            cells.append(_cell(v, is_best))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def image(path: Path, alt: str) -> str:
    """A PNG embedded as a data URI."""
    data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def page(title: str, sections: list[tuple[str, str]], notes: list[str] | None = None) -> str:
    """The whole document with a navigation bar; titles and notes are escaped, bodies are
    already-safe HTML."""
    nav = "".join(f'<a href="#s{i}">{html.escape(t)}</a>' for i, (t, _) in enumerate(sections))
    warn = "".join(f'<p class="incomplete">{html.escape(n)}</p>' for n in notes or [])
    parts = [f'<h2 id="s{i}">{html.escape(t)}</h2>\n{b}' for i, (t, b) in enumerate(sections)]
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{warn}<nav>{nav}</nav>{''.join(parts)}"
        f"<script>{_SCRIPT}</script></body></html>"
    )


def escape(s: str) -> str:
    """HTML-escaped text."""
    return html.escape(s)


def text(s: str) -> str:
    """An escaped paragraph."""
    return f'<p class="note">{html.escape(s)}</p>'
