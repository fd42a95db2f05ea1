// Gravewatch review page: plain JavaScript, no build step. Talks to /v1 with the reviewer's key.
//
// Offsets: the API counts code points (Python str indices); the DOM and JavaScript strings count
// UTF-16 code units, two for every character outside the Basic Multilingual Plane (emoji, many
// symbols). The page holds spans in UTF-16 units and converts at the boundary, in `load` and
// `submit`, with `toUnits` and `toPoints`.
"use strict";

const COLORS = ["#f4a3a3", "#f6c48f", "#e7a6e0", "#9fd3f0", "#a8dca0", "#e8df8a"];
const state = { key: sessionStorage.getItem("gravewatch-key"), labels: [], doc: null,
  units: [], chosen: new Set(), spans: [], reviewed: 0, remaining: null, busy: false };
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: {
    "Authorization": `Bearer ${state.key}`, "Content-Type": "application/json" } });
  const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, body.error ? body.error.message : `HTTP ${response.status}`);
  }
  return body;
}

// ---- offsets: code points (API) <-> UTF-16 units (DOM) ----------------------------------------
function unitOffsets(text) {
  // unitOffsets(text)[p] is the UTF-16 offset of code point p (and of the end, at p = length).
  const offsets = [0];
  for (const char of text) offsets.push(offsets.at(-1) + char.length);
  return offsets;
}
const toUnits = (point) => state.units[point];
function toPoints(unit) {
  // The code point index at UTF-16 offset `unit` (one inside a surrogate pair counts as its end).
  let lo = 0, hi = state.units.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (state.units[mid] < unit) lo = mid + 1; else hi = mid;
  }
  return lo;
}

// ---- what is shown ------------------------------------------------------------------------------
function show(section) {
  // Exactly one of the login form, the workspace and the empty-queue note is visible.
  for (const id of ["login", "workspace", "empty"]) $(id).hidden = id !== section;
}

function showLogin(message = "") {
  state.doc = null;
  show("login");
  $("login-message").textContent = message;
  $("api-key").value = "";
  $("api-key").focus();
}

function say(text) { $("message").textContent = text; }

function progress() {
  const left = state.remaining === null ? "" : ` · ${state.remaining} left in the queue`;
  $("progress").textContent = `${state.reviewed} reviewed in this session${left}`;
}

function swatch(label) {
  const box = document.createElement("span");
  box.className = "swatch";
  box.style.background = COLORS[state.labels.indexOf(label)];
  return box;
}

function renderText() {
  const text = state.doc.text;
  const cuts = new Set([0, text.length]);
  for (const s of state.spans) { cuts.add(s.start); cuts.add(s.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const box = $("text");
  box.replaceChildren();
  for (let i = 0; i < points.length - 1; i++) {
    const [a, b] = [points[i], points[i + 1]];
    const covering = state.spans.filter((s) => s.start <= a && s.end >= b);
    if (!covering.length) { box.append(document.createTextNode(text.slice(a, b))); continue; }
    const mark = document.createElement("span");
    mark.className = covering.length > 1 ? "hl multi" : "hl";
    mark.style.background = COLORS[state.labels.indexOf(covering[0].label)];
    mark.title = covering.map((s) => s.label).join(", ");
    mark.textContent = text.slice(a, b);
    box.append(mark);
  }
}

function renderLabels() {
  const scores = state.doc.predictions.length ? state.doc.predictions.at(-1).scores : {};
  $("labels").replaceChildren(...state.labels.map((label, i) => {
    const li = document.createElement("li");
    li.className = state.chosen.has(label) ? "on" : "";
    li.dataset.label = label;
    li.setAttribute("role", "checkbox");
    li.setAttribute("aria-checked", state.chosen.has(label));
    const key = document.createElement("kbd");
    key.textContent = i + 1;
    const name = document.createElement("span");
    name.textContent = label.replaceAll("_", " ");
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = (scores[label] ?? 0).toFixed(2);
    li.append(key, swatch(label), name, score);
    li.addEventListener("click", () => toggle(label));
    return li;
  }));
}

function renderSpans() {
  $("spans").replaceChildren(...state.spans.map((s, i) => {
    const li = document.createElement("li");
    const remove = document.createElement("button");
    remove.type = "button";
    remove.textContent = "×";
    remove.setAttribute("aria-label", `remove evidence ${i + 1}`);
    remove.addEventListener("click", () => { state.spans.splice(i, 1); render(); });
    const text = state.doc.text.slice(s.start, s.end);
    li.append(remove, swatch(s.label),
      `${s.label}: “${text.length > 90 ? text.slice(0, 90) + "…" : text}”`);
    return li;
  }));
}

function render() { renderText(); renderLabels(); renderSpans(); }

function toggle(label) {
  if (!state.doc) return;
  if (state.chosen.has(label)) {
    state.chosen.delete(label);
    state.spans = state.spans.filter((s) => s.label !== label);
  } else {
    state.chosen.add(label);
  }
  render();
}

function selectionOffsets() {
  // The selection inside the text, in UTF-16 units, or null.
  const selection = window.getSelection();
  if (!selection.rangeCount || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  const box = $("text");
  if (!box.contains(range.startContainer) || !box.contains(range.endContainer)) return null;
  const before = document.createRange();
  before.setStart(box, 0);
  before.setEnd(range.startContainer, range.startOffset);
  const start = before.toString().length;
  return { start, end: start + range.toString().length };
}

function addEvidence(label) {
  const at = selectionOffsets();
  if (!at || at.end <= at.start) return false;
  // A selection that ends inside an emoji takes all of it.
  const span = { label, start: toUnits(toPoints(at.start + 1) - 1), end: toUnits(toPoints(at.end)) };
  state.chosen.add(label);
  state.spans.push(span);
  window.getSelection().removeAllRanges();
  render();
  return true;
}

// ---- one document view: load, then one submit or one skip ---------------------------------------
function load(doc) {
  state.doc = doc;
  state.units = unitOffsets(doc.text);
  const latest = doc.predictions.at(-1);
  state.chosen = new Set(latest ? latest.labels.map((l) => l.label) : []);
  state.spans = latest ? latest.labels.flatMap((l) => l.evidence.map((e) =>
    ({ label: l.label, start: toUnits(e.start), end: toUnits(e.end) }))) : [];
  $("comment").value = "";
  $("meta").textContent = [doc.title, doc.source, doc.published, doc.source_id]
    .filter(Boolean).join(" · ");
  show("workspace");
  render();
  $("text").focus();
}

function failed(error) {
  if (error.status === 401) {
    sessionStorage.removeItem("gravewatch-key");
    showLogin("That key is unknown or revoked: enter a reviewer key.");
  } else if (error.status === 403) {
    sessionStorage.removeItem("gravewatch-key");
    showLogin(`${error.message}. Enter a reviewer key.`);
  } else {
    say(error.message);
  }
}

async function next() {
  say("");
  state.doc = null;
  const queue = await api("/v1/review/queue?limit=1");
  state.remaining = queue.unreviewed;
  progress();
  if (queue.items.length) load(queue.items[0].document); else show("empty");
}

async function once(action) {
  // Runs `action` for the current document at most once: a second Enter, click or Esc while it
  // runs does nothing, and the next document starts a new view.
  if (!state.doc || state.busy) return;
  state.busy = true;
  $("submit").disabled = $("skip").disabled = true;
  try {
    await action(state.doc);
    await next();
  } catch (error) {
    failed(error);
  } finally {
    state.busy = false;
    $("submit").disabled = $("skip").disabled = false;
  }
}

const submit = () => once(async (doc) => {
  const body = { labels: state.labels.filter((l) => state.chosen.has(l)),
    evidence: state.spans.filter((s) => state.chosen.has(s.label)).map((s) =>
      ({ label: s.label, start: toPoints(s.start), end: toPoints(s.end) })),
    comment: $("comment").value };
  await api(`/v1/documents/${encodeURIComponent(doc.id)}/reviews`,
    { method: "POST", body: JSON.stringify(body) });
  state.reviewed += 1;
});

const skip = () => once((doc) =>
  api(`/v1/documents/${encodeURIComponent(doc.id)}/skip`, { method: "POST" }));

// ---- keys -----------------------------------------------------------------------------------------
const CONTROLS = new Set(["BUTTON", "INPUT", "TEXTAREA", "SELECT", "A"]);

document.addEventListener("keydown", (event) => {
  if (!state.doc || $("workspace").hidden || event.repeat) return;
  if (event.target === $("comment")) {
    if (event.key === "Enter" && event.ctrlKey) { event.preventDefault(); submit(); }
    return;
  }
  // A focused button or field keeps its own keys (Enter on Skip skips, on × removes a span).
  if (CONTROLS.has(event.target.tagName) || event.altKey || event.ctrlKey || event.metaKey) return;
  const n = Number(event.key);
  if (n >= 1 && n <= state.labels.length) {
    event.preventDefault();
    const label = state.labels[n - 1];
    if (!addEvidence(label)) toggle(label);
  } else if (event.key === "Enter") { event.preventDefault(); submit(); }
  else if (event.key === "Escape") { event.preventDefault(); skip(); }
});

$("submit").addEventListener("click", submit);
$("skip").addEventListener("click", skip);
$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("api-key").value.trim();
  sessionStorage.setItem("gravewatch-key", state.key);
  next().catch(failed);
});

(async function start() {
  const taxonomy = await fetch("/v1/labels").then((r) => r.json());
  state.labels = taxonomy.labels.map((l) => l.id);
  if (state.key) next().catch(failed); else showLogin();
})();
