// Gravewatch review page: plain JavaScript, no build step. Talks to /v1 with the reviewer's key.
//
// Paths: the page may be served under a prefix behind a reverse proxy (GRAVEWATCH_ROOT_PATH:
// https://host/gravewatch/review), so no URL is absolute: review.html names its files relative
// to the page, and the API is called under ROOT, the prefix this script is served at
// (ROOT/review/review.js; empty at the root).
//
// Offsets: the API counts code points (Python str indices); the DOM and JavaScript strings count
// UTF-16 code units, two for every character outside the Basic Multilingual Plane (emoji, many
// symbols). The page holds spans in UTF-16 units and converts at the boundary, in `load`,
// `fromReview` and `submit`, with `toUnits` and `toPoints`.
//
// Every text that comes from the API is put in the page with textContent or as a text node,
// never as HTML.
"use strict";

const COLORS = ["#f4a3a3", "#f6c48f", "#e7a6e0", "#9fd3f0", "#a8dca0", "#e8df8a"];
const state = { key: sessionStorage.getItem("gravewatch-key"), me: null, labels: [], taxonomy: {},
  doc: null, units: [], chosen: new Set(), spans: [], undo: [], current: -1, sentences: [],
  cursor: -1, origin: "queue", reviewed: 0, remaining: null, busy: false };
const ROOT = new URL("..", document.currentScript.src).pathname.replace(/\/$/, "");
const $ = (id) => document.getElementById(id);
const VIEWS = ["login", "workspace", "empty", "list", "stats", "admin"];

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const response = await fetch(ROOT + path, { ...options, headers: {
    "Authorization": `Bearer ${state.key}`, "Content-Type": "application/json" } });
  const body = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(response.status, body.error ? body.error.message : `HTTP ${response.status}`);
  }
  return body;
}

function el(tag, props = {}, ...children) {
  // An element with properties (className, textContent, dataset via data-*) and children.
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name.startsWith("data-") || name.startsWith("aria-") || name === "dir" || name === "role") {
      node.setAttribute(name, value);
    } else {
      node[name] = value;
    }
  }
  node.append(...children);
  return node;
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

function sentencesOf(text) {
  // [start, end) of each sentence in UTF-16 units, without surrounding white space: text up to
  // . ! ? … or the Arabic question mark and the spaces after it, or up to a line break.
  const found = [];
  const pattern = /[^\n.!?…؟]*(?:[.!?…؟]+|\n|$)/gu;
  for (const match of text.matchAll(pattern)) {
    if (!match[0]) { pattern.lastIndex += 1; continue; }
    const lead = match[0].length - match[0].trimStart().length;
    const body = match[0].trim();
    if (body) found.push([match.index + lead, match.index + lead + body.length]);
  }
  return found;
}

// ---- names ------------------------------------------------------------------------------------
const nameOf = (label) => (state.taxonomy[label] ? state.taxonomy[label].name : label);
const numberOf = (label) => state.labels.indexOf(label) + 1;

// ---- what is shown ------------------------------------------------------------------------------
function show(section) {
  // Exactly one view is visible; the navigation shows once signed in.
  for (const id of VIEWS) $(id).hidden = id !== section;
  $("nav").hidden = section === "login";
}

function showLogin(message = "") {
  state.doc = null;
  state.me = null;
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
  return el("span", { className: "swatch", "aria-hidden": "true",
    style: `background: ${COLORS[state.labels.indexOf(label)]}` });
}

const latestPrediction = () => (state.doc.predictions.length ? state.doc.predictions.at(-1) : null);

function renderText() {
  const text = state.doc.text;
  const cuts = new Set([0, text.length]);
  for (const s of state.spans) { cuts.add(s.start); cuts.add(s.end); }
  const sentence = state.cursor >= 0 ? state.sentences[state.cursor] : null;
  if (sentence) { cuts.add(sentence[0]); cuts.add(sentence[1]); }
  const points = [...cuts].sort((a, b) => a - b);
  const box = $("text");
  box.replaceChildren();
  for (let i = 0; i < points.length - 1; i++) {
    const [a, b] = [points[i], points[i + 1]];
    const covering = state.spans.map((s, n) => [s, n]).filter(([s]) => s.start <= a && s.end >= b);
    const on = covering.filter(([s]) => state.chosen.has(s.label));
    // Labels switched off whose spans cover this piece: struck through even under a highlight.
    const off = [...new Set(covering.filter(([s]) => !state.chosen.has(s.label)).map(([s]) => s.label))];
    const inCursor = sentence && sentence[0] <= a && b <= sentence[1];
    if (!covering.length && !inCursor) { box.append(document.createTextNode(text.slice(a, b))); continue; }
    const mark = el("span", { textContent: text.slice(a, b) });
    const classes = [];
    if (on.length) {
      const labels = [...new Set(on.map(([s]) => s.label))];
      classes.push(labels.length > 1 ? "hl multi" : "hl");
      const colours = labels.map((l) => COLORS[state.labels.indexOf(l)]);
      mark.style.background = labels.length > 1
        ? `repeating-linear-gradient(135deg, ${colours.map((c, k) =>
          `${c} ${k * 8}px ${(k + 1) * 8}px`).join(", ")})`
        : colours[0];
      mark.title = labels.map(nameOf).join(" + ");
      mark.dataset.spans = on.map(([, n]) => n).join(" ");
      // The label numbers at the start of each span: meaning not by colour alone.
      const starting = on.filter(([s]) => s.start === a).map(([s]) => numberOf(s.label));
      if (starting.length) mark.dataset.tag = [...new Set(starting)].join("+");
    }
    if (off.length) {
      classes.push("struck");
      const struck = "label switched off: " + off.map(nameOf).join(", ");
      mark.title = mark.title ? `${mark.title}; ${struck}` : struck;
    }
    if (inCursor) classes.push("cursor");
    if (on.some(([, n]) => n === state.current)) classes.push("current");
    mark.className = classes.join(" ");
    box.append(mark);
  }
}

function renderLabels() {
  const prediction = latestPrediction();
  const scores = prediction ? prediction.scores : {};
  const suggested = new Set(prediction ? prediction.labels.map((l) => l.label) : []);
  const thresholds = state.doc.thresholds || {};
  // A label keeps the keyboard focus when the list is drawn again.
  const focused = document.activeElement && document.activeElement.closest("#labels li");
  const keep = focused ? focused.dataset.label : null;
  $("labels").replaceChildren(...state.labels.map((label, i) => {
    const on = state.chosen.has(label);
    const score = scores[label] ?? 0;
    const threshold = thresholds[label];
    const side = threshold === undefined ? "" : score >= threshold ? " ≥ " : " < ";
    const button = el("button", { type: "button", className: "toggle", "aria-pressed": String(on),
      "aria-describedby": "definition" },
    el("kbd", { textContent: String(i + 1) }), swatch(label),
    el("span", { className: "name", textContent: nameOf(label) }),
    el("span", { className: "state", textContent: on ? "✓ on" : "off" }),
    el("span", { className: "score", textContent: threshold === undefined
      ? score.toFixed(2) : `${score.toFixed(2)}${side}${threshold.toFixed(2)}`,
    title: "score and the model's threshold" }),
    el("span", { className: "model", textContent: suggested.has(label) ? "model: yes" : "model: no" }));
    button.addEventListener("click", () => toggle(label));
    button.addEventListener("focus", () => define(label));
    button.addEventListener("mouseenter", () => define(label));
    const li = el("li", { className: on ? "on" : "", "data-label": label,
      title: state.taxonomy[label] ? state.taxonomy[label].definition : "" }, button);
    return li;
  }));
  if (keep) $("labels").querySelector(`li[data-label="${keep}"] button`).focus();
}

function define(label) {
  const entry = state.taxonomy[label];
  if (!entry) return;
  const list = (title, items) => el("div", {}, el("strong", { textContent: title }),
    el("ul", {}, ...items.map((t) => el("li", { textContent: t }))));
  $("definition").replaceChildren(el("p", {}, el("strong", { textContent: entry.name + ": " }),
    entry.definition), list("Includes", entry.includes), list("Excludes", entry.excludes));
}

function renderSpans() {
  const order = evidenceOrder();
  $("spans").replaceChildren(...state.spans.map((s, i) => {
    const on = state.chosen.has(s.label);
    const remove = el("button", { type: "button", textContent: "×",
      "aria-label": `remove evidence ${i + 1}` });
    remove.addEventListener("click", () => edit(() => {
      state.spans.splice(i, 1);
      state.current = -1;
    }));
    const text = state.doc.text.slice(s.start, s.end);
    const quote = el("button", { type: "button", className: "quote", dir: "auto",
      textContent: `“${text.length > 90 ? text.slice(0, 90) + "…" : text}”` });
    quote.addEventListener("click", () => (on ? jump(order.indexOf(i)) : toggle(s.label)));
    const tag = el("span", { className: "tag", textContent: `${numberOf(s.label)} ${nameOf(s.label)}` });
    const origin = el("span", { className: "origin", textContent: s.origin === "model" ? "model" : "yours" });
    const li = el("li", { className: on ? "" : "off" }, remove, swatch(s.label), tag, origin, quote);
    if (!on) {
      const restore = el("button", { type: "button", className: "restore",
        textContent: "restore", "aria-label": `restore ${nameOf(s.label)} with its evidence` });
      restore.addEventListener("click", () => toggle(s.label));
      li.append(el("span", { className: "note", textContent: "label off: not submitted" }), restore);
    }
    if (i === state.current) li.classList.add("current");
    return li;
  }));
}

function renderSuggestion() {
  const prediction = latestPrediction();
  const labels = prediction ? prediction.labels.map((l) => nameOf(l.label)) : [];
  $("suggestion").textContent = prediction
    ? `Model ${prediction.model} suggested: ${labels.length ? labels.join(", ") : "no label"}.`
    : "No model suggestion stored.";
}

function render() { renderText(); renderLabels(); renderSpans(); renderSuggestion(); }

// ---- edits, each undoable -------------------------------------------------------------------------
function snapshot() {
  return { chosen: [...state.chosen], spans: state.spans.map((s) => ({ ...s })) };
}

function edit(change) {
  state.undo.push(snapshot());
  change();
  render();
}

function undo() {
  const last = state.undo.pop();
  if (!last) { say("Nothing to undo."); return; }
  state.chosen = new Set(last.chosen);
  state.spans = last.spans;
  state.current = -1;
  render();
  say("Undone.");
}

function toggle(label) {
  // Switching a label off keeps its spans (struck through, not submitted); switching it on
  // again restores them.
  if (!state.doc) return;
  edit(() => {
    if (state.chosen.has(label)) state.chosen.delete(label); else state.chosen.add(label);
    state.current = -1;
  });
  define(label);
}

function addSpan(label, start, end) {
  edit(() => {
    state.chosen.add(label);
    if (!state.spans.some((s) => s.label === label && s.start === start && s.end === end)) {
      state.spans.push({ label, start, end, origin: "reviewer" });
    }
  });
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
  if (at && at.end > at.start) {
    // A selection that ends inside an emoji takes all of it.
    window.getSelection().removeAllRanges();
    addSpan(label, toUnits(toPoints(at.start + 1) - 1), toUnits(toPoints(at.end)));
    return true;
  }
  if (state.cursor >= 0) {
    const [start, end] = state.sentences[state.cursor];
    addSpan(label, start, end);
    $("sentence-status").textContent = `Sentence ${state.cursor + 1} marked as ${nameOf(label)}.`;
    return true;
  }
  return false;
}

function moveSentence(step) {
  if (!state.sentences.length) return;
  const last = state.sentences.length - 1;
  state.cursor = state.cursor < 0 ? (step > 0 ? 0 : last) : Math.min(last, Math.max(0, state.cursor + step));
  renderText();
  const [a, b] = state.sentences[state.cursor];
  $("sentence-status").textContent = `Sentence ${state.cursor + 1} of ${state.sentences.length}` +
    ` picked: “${state.doc.text.slice(a, b)}”. Press 1–6 to mark it, x to drop it.`;
  const mark = $("text").querySelector(".cursor");
  if (mark) mark.scrollIntoView({ block: "center" });
}

function dropSentence() {
  state.cursor = -1;
  $("sentence-status").textContent = "";
  renderText();
}

// ---- jumping to evidence ---------------------------------------------------------------------------
function evidenceOrder() {
  // Indices of the spans of labels that are on, in text order.
  return state.spans.map((s, i) => [s, i]).filter(([s]) => state.chosen.has(s.label))
    .sort(([a], [b]) => a.start - b.start || a.end - b.end).map(([, i]) => i);
}

function jump(position) {
  const order = evidenceOrder();
  if (!order.length) { say("No evidence to jump to."); return; }
  const at = ((position % order.length) + order.length) % order.length;
  state.current = order[at];
  render();
  const mark = $("text").querySelector(".current");
  if (mark) mark.scrollIntoView({ block: "center" });
  const s = state.spans[state.current];
  say(`Evidence ${at + 1} of ${order.length}: ${nameOf(s.label)}.`);
}

function step(direction) {
  const order = evidenceOrder();
  const at = order.indexOf(state.current);
  jump(at < 0 ? (direction > 0 ? 0 : order.length - 1) : at + direction);
}

// ---- one document view: load, then one submit or one skip ---------------------------------------
function fromPrediction(prediction) {
  return prediction ? prediction.labels.flatMap((l) => l.evidence.map((e) =>
    ({ label: l.label, start: toUnits(e.start), end: toUnits(e.end), origin: "model" }))) : [];
}

function fromReview(review) {
  // The review's labels and spans; the model's spans for the labels it left off stay, struck
  // through, so that switching such a label on again restores them.
  state.chosen = new Set(review.labels);
  const suggested = fromPrediction(latestPrediction());
  const model = new Set(suggested.map((s) => `${s.label}:${s.start}:${s.end}`));
  state.spans = review.evidence.map((e) => {
    const span = { label: e.label, start: toUnits(e.start), end: toUnits(e.end) };
    span.origin = model.has(`${span.label}:${span.start}:${span.end}`) ? "model" : "reviewer";
    return span;
  });
  state.spans.push(...suggested.filter((s) => !state.chosen.has(s.label)));
  $("comment").value = review.comment;
}

function resetToModel() {
  edit(() => {
    const latest = latestPrediction();
    state.chosen = new Set(latest ? latest.labels.map((l) => l.label) : []);
    state.spans = fromPrediction(latest);
    state.current = -1;
  });
  say("Back to the model's suggestion (u undoes it).");
}

function load(doc, origin = "queue") {
  state.doc = doc;
  state.origin = origin;
  state.units = unitOffsets(doc.text);
  state.sentences = sentencesOf(doc.text);
  state.cursor = -1;
  state.current = -1;
  state.undo = [];
  const latest = latestPrediction();
  state.chosen = new Set(latest ? latest.labels.map((l) => l.label) : []);
  state.spans = fromPrediction(latest);
  $("comment").value = "";
  $("sentence-status").textContent = "";
  const mine = doc.reviews.filter((r) => r.reviewer === state.me.name && !r.withdrawn_at);
  if (mine.length) {
    fromReview(mine.at(-1));
    say(`Reopened your review (version ${mine.length}); submitting stores version ${mine.length + 1}.`);
  } else {
    say("");
  }
  $("meta").textContent = [doc.title, doc.source, doc.published, doc.source_id]
    .filter(Boolean).join(" · ");
  $("source-link").replaceChildren(...sourceLink(doc.url));
  $("skip").firstChild.textContent = origin === "queue" ? "Skip " : "Back ";
  show("workspace");
  render();
  loadHistory();
  $("text").focus();
}

function sourceLink(url) {
  // Only an http(s) address becomes a link; anything else is shown as text.
  if (!url) return [];
  let parsed = null;
  try { parsed = new URL(url); } catch { parsed = null; }
  if (!parsed || !["http:", "https:"].includes(parsed.protocol)) {
    return [el("span", { textContent: `Source: ${url} (not a web address)` })];
  }
  return ["Source: ", el("a", { href: parsed.href, textContent: url, target: "_blank", rel: "noopener noreferrer" })];
}

async function loadHistory() {
  const doc = state.doc;
  const history = await api(`/v1/documents/${encodeURIComponent(doc.id)}/history`).catch(failed);
  if (!history || state.doc !== doc) return;
  const STATUS = { unreviewed: "No review stands yet.", waiting: "Waiting for a second reviewer.",
    disputed: "Reviewers disagree: waiting for an admin's adjudication.",
    settled: "Settled: the review marked “trains” is the one the model learns from." };
  $("status").textContent = STATUS[history.status];
  const prediction = history.predictions.at(-1);
  const items = [];
  if (prediction) {
    items.push(el("li", { className: "model-entry" }, `Model ${prediction.model}: `,
      prediction.labels.map((l) => nameOf(l.label)).join(", ") || "no label"));
  }
  for (const entry of history.reviews) {
    const r = entry.review;
    const flags = [r.bulk ? "bulk" : "", r.withdrawn_at ? "withdrawn" : "", entry.trains ? "trains" : ""]
      .filter(Boolean);
    const li = el("li", { className: r.withdrawn_at ? "withdrawn" : "" },
      el("strong", { textContent: `${r.reviewer} v${entry.version}` }),
      ` · ${r.created_at.slice(0, 16).replace("T", " ")} · `,
      r.labels.map(nameOf).join(", ") || "no label",
      ...flags.map((f) => el("span", { className: `flag ${f}`, textContent: f })));
    if (r.comment) li.append(el("div", { className: "comment", dir: "auto", textContent: r.comment }));
    if (!r.withdrawn_at) {
      const use = el("button", { type: "button", className: "use",
        textContent: r.reviewer === state.me.name ? "Edit this review" : "Start from this review" });
      use.addEventListener("click", () => {
        edit(() => fromReview(r));
        say(`Editing from ${r.reviewer}'s version ${entry.version}; submitting adds a new review.`);
      });
      li.append(use);
    }
    items.push(li);
  }
  $("history").replaceChildren(...items);
}

function failed(error) {
  if (error.status === 401) {
    sessionStorage.removeItem("gravewatch-key");
    showLogin("That key is unknown or revoked: enter a reviewer key.");
  } else if (error.status === 403 && !state.me) {
    sessionStorage.removeItem("gravewatch-key");
    showLogin(`${error.message}. Enter a reviewer key.`);
  } else {
    say(error.message);
    $("list-count").textContent = error.message;
    $("bulk-result").textContent = error.message;
  }
}

async function next() {
  say("");
  state.doc = null;
  const queue = await api("/v1/review/queue?limit=1");
  state.remaining = queue.unreviewed;
  progress();
  if (queue.items.length) load(queue.items[0].document, "queue"); else show("empty");
}

async function open(docId, origin) {
  const doc = await api(`/v1/documents/${encodeURIComponent(docId)}`);
  load(doc, origin);
}

async function back() {
  // Where the reviewer goes after a document: the queue's next one, or the view it came from.
  if (state.origin === "list") await showList();
  else if (state.origin === "admin") await showAdmin();
  else await next();
}

async function once(action) {
  // Runs `action` for the current document at most once: a second Enter, click or Esc while it
  // runs does nothing, and the next document starts a new view.
  if (!state.doc || state.busy) return;
  state.busy = true;
  $("submit").disabled = $("skip").disabled = true;
  try {
    await action(state.doc);
    await back();
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

const skip = () => once((doc) => (state.origin === "queue"
  ? api(`/v1/documents/${encodeURIComponent(doc.id)}/skip`, { method: "POST" }) : null));

// ---- the document list ---------------------------------------------------------------------------
async function showList() {
  state.doc = null;
  show("list");
  const params = new URLSearchParams();
  for (const [name, value] of new FormData($("filters"))) if (value !== "") params.set(name, value);
  params.set("limit", "100");
  $("list-count").textContent = "Searching…";
  $("doc-table").tBodies[0].replaceChildren();
  const result = await api(`/v1/documents?${params}`);
  $("list-count").textContent = `${result.total} document(s) match` +
    (result.total > result.items.length ? `; the first ${result.items.length} are shown` : "");
  $("doc-table").tBodies[0].replaceChildren(...result.items.map((d) => {
    const openButton = el("button", { type: "button", textContent: "Open",
      "aria-label": `Open ${d.title || d.source_id || d.id}` });
    openButton.addEventListener("click", () => open(d.id, "list").catch(failed));
    const top = Math.max(0, ...Object.values(d.scores));
    return el("tr", { "data-id": d.id },
      el("td", { dir: "auto" }, el("strong", { textContent: d.title || d.source_id || d.id }),
        el("div", { className: "snippet", dir: "auto", textContent: d.snippet })),
      el("td", { dir: "auto", textContent: [d.source, d.published].filter(Boolean).join(" · ") }),
      el("td", { textContent: (d.labels.map(nameOf).join(", ") || "none") + ` (top ${top.toFixed(2)})` }),
      el("td", { textContent: d.reviewers.join(", ") || (d.reviewed ? "reviewed" : "not yet") }),
      el("td", {}, openButton));
  }));
}

// ---- figures ---------------------------------------------------------------------------------------
async function showStats() {
  state.doc = null;
  show("stats");
  $("reviewer-table").tBodies[0].replaceChildren();
  $("kappa-table").tBodies[0].replaceChildren();
  const s = await api("/v1/review/stats");
  $("stats-summary").textContent = `${s.unreviewed} waiting for review · ${s.disputed} disputed · ` +
    `${s.paired_documents} documents with two reviewers · double review ${s.double_review ? "on" : "off"}`;
  const cell = (t) => el("td", { textContent: String(t) });
  $("reviewer-table").tBodies[0].replaceChildren(...s.reviewers.map((r) =>
    el("tr", {}, cell(r.reviewer), cell(r.documents), cell(r.reviews), cell(r.bulk), cell(r.withdrawn))));
  $("kappa-table").tBodies[0].replaceChildren(...s.agreement.map((a) =>
    el("tr", { "data-label": a.label }, cell(nameOf(a.label)), cell(a.documents),
      cell(a.observed === null ? "–" : `${Math.round(a.observed * 100)}%`),
      cell(a.kappa === null ? "undefined" : a.kappa.toFixed(2)))));
}

// ---- admin: adjudication and bulk acceptance ----------------------------------------------------
async function showAdmin() {
  state.doc = null;
  show("admin");
  $("bulk-rule").textContent = "Accepts the model's labels and evidence, as your reviews flagged " +
    `“bulk”, for unclaimed documents waiting for review whose every score has gone at least ` +
    `${state.me.bulk_accept_margin} of the way from its threshold to 0 or to 1 ` +
    "(GRAVEWATCH_BULK_ACCEPT_MARGIN).";
  $("disputes").replaceChildren(el("li", { textContent: "Loading…" }));
  const result = await api("/v1/review/disputes");
  $("disputes").replaceChildren(...(result.items.length ? result.items.map((d) => {
    const button = el("button", { type: "button", textContent: "Adjudicate" });
    button.addEventListener("click", () => open(d.document.id, "admin").catch(failed));
    return el("li", { "data-id": d.document.id },
      el("strong", { dir: "auto", textContent: d.document.title || d.document.source_id || d.document.id }),
      el("ul", {}, ...d.reviews.map((r) => el("li", {
        textContent: `${r.reviewer}: ${r.labels.map(nameOf).join(", ") || "no label"}` }))), button);
  }) : [el("li", { textContent: "No disagreement waits for you." })]));
}

async function bulkAccept() {
  const result = await api("/v1/review/bulk-accept", { method: "POST", body: JSON.stringify({}) });
  const box = $("bulk-result");
  if (!result.batch) { box.textContent = "No document qualifies."; return; }
  const undoButton = el("button", { type: "button", id: "bulk-undo", textContent: "Undo this bulk acceptance" });
  undoButton.addEventListener("click", async () => {
    try {
      const undone = await api(`/v1/review/bulk-accept/${encodeURIComponent(result.batch)}/undo`,
        { method: "POST" });
      box.textContent = `Undone: ${undone.documents.length} review(s) withdrawn; the documents are back in the queue.`;
    } catch (error) { failed(error); }
  });
  box.replaceChildren(`Accepted ${result.documents.length} document(s) as batch ${result.batch}. `, undoButton);
}

// ---- keys -----------------------------------------------------------------------------------------
const CONTROLS = new Set(["BUTTON", "INPUT", "TEXTAREA", "SELECT", "A", "SUMMARY"]);

document.addEventListener("keydown", (event) => {
  if ($("help").open || event.repeat) return;
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName);
  if (event.key === "?" && !typing && state.me) { event.preventDefault(); $("help").showModal(); return; }
  if (!state.doc || $("workspace").hidden) return;
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
    return;
  }
  const actions = { Enter: submit, Escape: skip, u: undo, n: () => step(1), p: () => step(-1),
    "]": () => moveSentence(1), "[": () => moveSentence(-1), x: dropSentence };
  if (actions[event.key]) { event.preventDefault(); actions[event.key](); }
});

$("submit").addEventListener("click", submit);
$("skip").addEventListener("click", skip);
$("undo").addEventListener("click", undo);
$("reset").addEventListener("click", resetToModel);
$("next-ev").addEventListener("click", () => step(1));
$("prev-ev").addEventListener("click", () => step(-1));
$("to-queue").addEventListener("click", () => next().catch(failed));
$("to-list").addEventListener("click", () => showList().catch(failed));
$("to-stats").addEventListener("click", () => showStats().catch(failed));
$("to-admin").addEventListener("click", () => showAdmin().catch(failed));
$("bulk-accept").addEventListener("click", () => bulkAccept().catch(failed));
$("help-open").addEventListener("click", () => $("help").showModal());
$("help-close").addEventListener("click", () => $("help").close());
$("filters").addEventListener("submit", (event) => { event.preventDefault(); showList().catch(failed); });
$("signout").addEventListener("click", () => {
  sessionStorage.removeItem("gravewatch-key");
  state.key = null;
  state.reviewed = 0;
  $("progress").textContent = "";
  showLogin("Signed out. Enter a key to review as someone else.");
});

async function signIn() {
  state.me = await api("/v1/review/me");
  $("who").textContent = `${state.me.name} (${state.me.role})`;
  $("to-admin").hidden = state.me.role !== "admin";
  await next();
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("api-key").value.trim();
  sessionStorage.setItem("gravewatch-key", state.key);
  signIn().catch(failed);
});

(async function start() {
  const taxonomy = await fetch(`${ROOT}/v1/labels`).then((r) => r.json());
  state.labels = taxonomy.labels.map((l) => l.id);
  state.taxonomy = Object.fromEntries(taxonomy.labels.map((l) => [l.id, l]));
  $("filters").elements.label.append(...taxonomy.labels.map((l) =>
    el("option", { value: l.id, textContent: l.name })));
  if (state.key) signIn().catch(failed); else showLogin();
})();
