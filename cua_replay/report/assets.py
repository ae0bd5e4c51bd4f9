"""The report's inline stylesheet and script: constants, so the HTML needs no other file.

The script reads only the DOM (never cassette data), so no cassette text ever lands
inside a ``<script>``; the page's Content-Security-Policy allows exactly this script
by its hash.
"""

from __future__ import annotations

__all__ = ["CSS", "SCRIPT"]

CSS = """
:root { color-scheme: light dark; --bg:#f6f6f7; --card:#fff; --ink:#1c1c1f; --dim:#6f6e77;
  --line:#dcdce0; --accent:#3e63dd; --ok:#2b9a66; --bad:#e5484d; --warn:#d97706; }
@media (prefers-color-scheme: dark) { :root { --bg:#111113; --card:#1c1c1f; --ink:#ededef;
  --dim:#a0a0a8; --line:#2e2e33; } }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif;
  background:var(--bg); color:var(--ink); }
code, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size:12.5px; }
header.run { padding:16px 24px 8px; }
header.run h1 { font-size:18px; margin:0 0 8px; white-space:pre-wrap; }
header.run h1 small { display:block; color:var(--dim); font-weight:normal; font-size:12px; }
dl.manifest { display:grid; grid-template-columns:repeat(auto-fill, minmax(170px, 1fr));
  gap:4px 16px; margin:0; }
dl.manifest div { min-width:0; } dl.manifest dt { color:var(--dim); font-size:11px;
  text-transform:uppercase; letter-spacing:.04em; }
dl.manifest dd { margin:0; overflow-wrap:anywhere; }
.final { margin:10px 0 0; padding:8px 12px; background:var(--card); border-left:4px solid var(--ok);
  border-radius:4px; white-space:pre-wrap; }
.final.bad { border-left-color:var(--bad); }
.warn { color:var(--warn); }
nav.filmstrip { position:sticky; top:0; z-index:5; display:flex; gap:8px; overflow-x:auto;
  padding:8px 24px; background:var(--bg); border-bottom:1px solid var(--line); }
nav.filmstrip a { flex:0 0 auto; width:132px; color:inherit; text-decoration:none;
  border:2px solid transparent; border-radius:6px; padding:3px; background:var(--card); }
nav.filmstrip a.current { border-color:var(--accent); }
nav.filmstrip a.has-safety { box-shadow: inset 0 -3px 0 var(--warn); }
nav.filmstrip span { display:block; font-size:11px; white-space:nowrap; overflow:hidden;
  text-overflow:ellipsis; }
.noshot { display:flex; align-items:center; justify-content:center; aspect-ratio:4/3;
  color:var(--dim); font-size:11px; background:var(--bg); border-radius:3px; }
main { padding:8px 24px 40vh; }
section.step { background:var(--card); border:2px solid var(--line); border-radius:8px;
  padding:12px 16px; margin:0 0 16px; scroll-margin-top:120px; }
section.step:focus { outline:none; }
section.step.current { border-color:var(--accent); box-shadow:0 0 0 3px rgba(62,99,221,.25); }
section.step h2 { font-size:15px; margin:0 0 6px; display:flex; gap:12px; flex-wrap:wrap;
  align-items:baseline; }
section.step h2 .facts { font-weight:normal; color:var(--dim); font-size:12px; }
.url { color:var(--dim); overflow-wrap:anywhere; }
.reasoning { margin:6px 0; padding:6px 10px; border-left:3px solid var(--line); color:var(--dim);
  white-space:pre-wrap; }
.reasoning p { margin:0 0 4px; }
.message { margin:6px 0; padding:8px 12px; border-radius:6px; background:rgba(43,154,102,.12);
  white-space:pre-wrap; }
.error { margin:6px 0; padding:8px 12px; border-radius:6px; background:rgba(229,72,77,.12);
  white-space:pre-wrap; }
.safety { margin:8px 0; padding:8px 12px; border-radius:6px; border:1px solid var(--warn);
  background:rgba(217,119,6,.08); }
.safety .decision { font-weight:600; } .safety .approved { color:var(--ok); }
.safety .denied { color:var(--bad); }
.safety ul { margin:4px 0 0; padding-left:18px; }
.call { margin-top:10px; }
.pair { display:grid; grid-template-columns:1fr 1fr; gap:12px; }
@media (max-width: 900px) { .pair { grid-template-columns:1fr; } }
figure { margin:0; min-width:0; } figcaption { font-size:12px; color:var(--dim); margin:0 0 3px;
  overflow-wrap:anywhere; }
.shot { position:relative; width:100%; background-size:100% 100%; background-repeat:no-repeat;
  border:1px solid var(--line); border-radius:3px; }
.shot svg.overlay { position:absolute; inset:0; width:100%; height:100%; overflow:visible; }
ol.actions { margin:8px 0 0; padding-left:22px; }
ol.actions li { margin:2px 0; } ol.actions .typed { white-space:pre-wrap; }
.kbd { display:inline-block; padding:0 5px; border:1px solid var(--line); border-bottom-width:2px;
  border-radius:4px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size:12px; }
footer { position:fixed; right:12px; bottom:8px; font-size:12px; color:var(--dim);
  background:var(--card); border:1px solid var(--line); border-radius:6px; padding:4px 8px; }
"""

SCRIPT = """
(function () {
  "use strict";
  var steps = Array.prototype.slice.call(document.querySelectorAll("section.step"));
  var thumbs = Array.prototype.slice.call(document.querySelectorAll("nav.filmstrip a"));
  var current = -1;
  function select(index, scroll) {
    if (!steps.length) { return; }
    index = Math.max(0, Math.min(steps.length - 1, index));
    if (current >= 0) {
      steps[current].classList.remove("current");
      if (thumbs[current]) { thumbs[current].classList.remove("current"); }
    }
    current = index;
    steps[index].classList.add("current");
    document.body.setAttribute("data-current", String(index + 1));
    if (thumbs[index]) {
      thumbs[index].classList.add("current");
      thumbs[index].scrollIntoView({block: "nearest", inline: "nearest"});
    }
    if (scroll) { steps[index].scrollIntoView({block: "start"}); }
    if (history.replaceState) { history.replaceState(null, "", "#" + steps[index].id); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) { return; }
    var key = event.key;
    if (key === "j" || key === "ArrowDown" || key === "ArrowRight") { select(current + 1, true); }
    else if (key === "k" || key === "ArrowUp" || key === "ArrowLeft") { select(current - 1, true); }
    else if (key === "Home") { select(0, true); }
    else if (key === "End") { select(steps.length - 1, true); }
    else { return; }
    event.preventDefault();
  });
  thumbs.forEach(function (thumb, index) {
    thumb.addEventListener("click", function (event) {
      event.preventDefault();
      select(index, true);
    });
  });
  steps.forEach(function (step, index) {
    step.addEventListener("click", function () { select(index, false); });
  });
  var start = 0;
  var wanted = location.hash ? document.getElementById(location.hash.slice(1)) : null;
  if (wanted && steps.indexOf(wanted) >= 0) { start = steps.indexOf(wanted); }
  select(start, start > 0);
})();
"""
