// Gravewatch review page: plain JavaScript, no build step. Talks to /v1 with the reviewer's key.
"use strict";

const COLORS = ["#f4a3a3", "#f6c48f", "#e7a6e0", "#9fd3f0", "#a8dca0", "#e8df8a"];
const state = { key: sessionStorage.getItem("gravewatch-key"), labels: [], doc: null,
  chosen: new Set(), spans: [], reviewed: 0, remaining: null };
const $ = (id) => document.getElementById(id);

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: {
    "Authorization": `Bearer ${state.key}`, "Content-Type": "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) { sessionStorage.removeItem("gravewatch-key"); showLogin(); }
  if (!response.ok) throw new Error(body.error ? body.error.message : `HTTP ${response.status}`);
  return body;
}

function showLogin() { $("workspace").hidden = true; $("login").hidden = false; $("api-key").focus(); }

function say(text) { $("message").textContent = text; }

function progress() {
  const left = state.remaining === null ? "" : ` · ${state.remaining} left in the queue`;
  $("progress").textContent = `${state.reviewed} reviewed in this session${left}`;
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
    li.innerHTML = `<kbd>${i + 1}</kbd><span class="swatch" style="background:${COLORS[i]}"></span>` +
      `<span>${label.replaceAll("_", " ")}</span><span class="score">${(scores[label] ?? 0).toFixed(2)}</span>`;
    li.addEventListener("click", () => toggle(label));
    return li;
  }));
}

function renderSpans() {
  $("spans").replaceChildren(...state.spans.map((s, i) => {
    const li = document.createElement("li");
    const remove = document.createElement("button");
    remove.textContent = "×";
    remove.setAttribute("aria-label", `remove evidence ${i + 1}`);
    remove.addEventListener("click", () => { state.spans.splice(i, 1); render(); });
    const text = state.doc.text.slice(s.start, s.end);
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = COLORS[state.labels.indexOf(s.label)];
    li.append(remove, swatch, `${s.label}: “${text.length > 90 ? text.slice(0, 90) + "…" : text}”`);
    return li;
  }));
}

function render() { renderText(); renderLabels(); renderSpans(); }

function toggle(label) {
  if (state.chosen.has(label)) {
    state.chosen.delete(label);
    state.spans = state.spans.filter((s) => s.label !== label);
  } else {
    state.chosen.add(label);
  }
  render();
}

function selectionOffsets() {
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
  state.chosen.add(label);
  state.spans.push({ label, ...at });
  window.getSelection().removeAllRanges();
  render();
  return true;
}

async function next() {
  say("");
  try {
    const queue = await api("/v1/review/queue?limit=1");
    state.remaining = queue.unreviewed;
    progress();
    if (!queue.items.length) { $("workspace").hidden = true; $("empty").hidden = false; return; }
    state.doc = queue.items[0].document;
    const latest = state.doc.predictions.at(-1);
    state.chosen = new Set(latest ? latest.labels.map((l) => l.label) : []);
    state.spans = latest ? latest.labels.flatMap((l) =>
      l.evidence.map((e) => ({ label: l.label, start: e.start, end: e.end }))) : [];
    $("comment").value = "";
    $("meta").textContent = [state.doc.title, state.doc.source, state.doc.published, state.doc.id]
      .filter(Boolean).join(" · ");
    $("empty").hidden = true;
    $("workspace").hidden = false;
    render();
    $("text").focus();
  } catch (error) { say(error.message); }
}

async function submit() {
  const body = { labels: state.labels.filter((l) => state.chosen.has(l)),
    evidence: state.spans.filter((s) => state.chosen.has(s.label)), comment: $("comment").value };
  try {
    await api(`/v1/documents/${encodeURIComponent(state.doc.id)}/reviews`,
      { method: "POST", body: JSON.stringify(body) });
    state.reviewed += 1;
    await next();
  } catch (error) { say(error.message); }
}

document.addEventListener("keydown", (event) => {
  if ($("workspace").hidden) return;
  const typing = event.target === $("comment");
  if (typing) {
    if (event.key === "Enter" && event.ctrlKey) { event.preventDefault(); submit(); }
    return;
  }
  const n = Number(event.key);
  if (n >= 1 && n <= state.labels.length) {
    event.preventDefault();
    const label = state.labels[n - 1];
    if (!addEvidence(label)) toggle(label);
  } else if (event.key === "Enter") { event.preventDefault(); submit(); }
  else if (event.key === "Escape") { event.preventDefault(); next(); }
});

$("submit").addEventListener("click", submit);
$("skip").addEventListener("click", next);
$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("api-key").value.trim();
  sessionStorage.setItem("gravewatch-key", state.key);
  $("login").hidden = true;
  next();
});

(async function start() {
  const taxonomy = await fetch("/v1/labels").then((r) => r.json());
  state.labels = taxonomy.labels.map((l) => l.id);
  if (state.key) next(); else showLogin();
})();
