// spcap serve: the page's script. It keeps the options the user edits,
// sends them to the server, which validates them as `spcap check` does and
// runs them as `spcap compare` does, and shows the answer. No library: the
// page works on a machine with no internet.
"use strict";

const state = {
  info: null,      // limits and colours
  base: null,      // {scenario: id} or {upload: {name, text}}
  form: null,      // the starting scenario's form, from the server
  options: [],     // [{name, values: {key: text}, lists: {key: [rows]}}]
  current: 0,
  run: null,       // id of the run being watched
  timer: null,
  lastSpoken: -1,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c.nodeType ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(method, url, body, raw) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.body = raw ? body : JSON.stringify(body);
    init.headers["Content-Type"] = raw ? "text/plain" : "application/json";
  }
  const res = await fetch(url, init);
  let data = null;
  try { data = await res.json(); } catch (e) { data = { error: `the server answered ${res.status}` }; }
  if (!res.ok) { const err = new Error(data.error || `error ${res.status}`); err.data = data; err.status = res.status; throw err; }
  return data;
}

// ---- The starting scenario ----

function formValues(form) {
  const values = {}, lists = {};
  for (const s of form.sections) {
    for (const f of s.fields) values[f.key] = f.value;
    for (const l of s.lists) lists[l.key] = l.rows.map((r) => Object.assign({}, r));
  }
  return { values, lists };
}

function startFrom(base, form) {
  state.base = base;
  state.form = form;
  const v = formValues(form);
  state.options = [{ name: form.name, values: v.values, lists: v.lists }];
  state.current = 0;
  $("scenario-question").textContent = form.question ? `Question: ${form.question}` : (form.description || "");
  clearErrors();
  renderOptions();
  renderEditor();
  const date = $("f-threshold-date");
  date.min = form.start; date.max = form.end;
  if (!date.value || date.value < form.start || date.value > form.end) date.value = form.end;
}

async function loadScenario(id) {
  try {
    const form = await api("GET", `/api/scenarios/${encodeURIComponent(id)}`);
    startFrom({ scenario: id }, form);
  } catch (e) {
    $("e-general").textContent = e.message;
  }
}

async function upload(file) {
  $("e-upload").textContent = "";
  const limit = state.info ? state.info.limits.upload_bytes : Infinity;
  if (file.size > limit) { $("e-upload").textContent = `The file is larger than this server's limit of ${limit} bytes.`; return; }
  const text = await file.text();
  try {
    const answer = await api("POST", `/api/upload?name=${encodeURIComponent(file.name)}`, text, true);
    startFrom({ upload: { name: answer.name, text } }, answer.form);
    $("scenario").value = "";
  } catch (e) {
    $("e-upload").textContent = e.message;
  }
}

// ---- Options ----

function colour(i) {
  const c = state.info ? state.info.colours : ["#0072b2"];
  return c[i % c.length];
}

function renderOptions() {
  const list = $("option-list");
  list.replaceChildren();
  state.options.forEach((o, i) => {
    const pick = el("button", { type: "button", class: "pick", "aria-pressed": i === state.current ? "true" : "false",
      onclick: () => { state.current = i; renderOptions(); renderEditor(); $("f-name").focus(); } },
      el("span", { class: "swatch", style: `background:${colour(i)}`, "aria-hidden": "true" }),
      i === 0 ? `${o.name} (starting point)` : o.name);
    const li = el("li", {}, pick);
    if (i > 0) {
      li.append(el("button", { type: "button", class: "remove", "aria-label": `Remove ${o.name}`, title: `Remove ${o.name}`,
        onclick: () => { state.options.splice(i, 1); state.current = Math.min(state.current, state.options.length - 1); renderOptions(); renderEditor(); $("add-option").focus(); } }, "×"));
    }
    list.append(li);
  });
  const max = state.info ? state.info.limits.options : 6;
  $("add-option").disabled = state.options.length > max;
  $("add-option").title = state.options.length > max ? `At most ${max} options besides the starting one` : "";
}

function addOption() {
  const from = state.options[state.current];
  const copy = JSON.parse(JSON.stringify(from));
  copy.name = `Option ${state.options.length}`;
  state.options.push(copy);
  state.current = state.options.length - 1;
  renderOptions();
  renderEditor();
  $("f-name").focus();
  $("f-name").select();
}

function baseValue(key) {
  const v = formValues(state.form);
  return v.values[key];
}

// ---- The editor of one option ----

function sourceLine(source, id) {
  const word = { evidence: "Evidence", assumption: "Assumption", unrecorded: "No source" }[source.kind] || source.kind;
  // The scenario's own words, unless they only repeat the badge ("assumption").
  const said = source.kind === "unrecorded" || source.text.trim().toLowerCase() === source.kind ? "" : source.text;
  return el("p", { class: "source", id }, el("span", { class: `badge ${source.kind}` }, word), said);
}

function fieldInput(f, option) {
  const id = `f-${f.key}`;
  const value = option.values[f.key];
  const onchange = (e) => { option.values[f.key] = e.target.value; markChanged(f.key, e.target); };
  if (f.kind === "choice") {
    const select = el("select", { id, "aria-describedby": `s-${f.key} e-${f.key}`, onchange });
    for (const c of f.choices) select.append(el("option", { value: c, selected: c === value }, choiceWord(c)));
    return select;
  }
  return el("input", { type: "text", id, value, inputmode: f.kind === "text" ? null : "decimal", autocomplete: "off",
    "aria-describedby": `s-${f.key} w-${f.key} e-${f.key}`, oninput: onchange });
}

function choiceWord(c) {
  return { hold: "hold them on the caseload until a place opens", discharge: "discharge them with the need unmet" }[c] || c;
}

function markChanged(key, input) {
  const wrap = input.closest(".field");
  const base = baseValue(key);
  const changed = state.current > 0 && input.value !== base;
  if (wrap) wrap.classList.toggle("changed", changed);
  const was = $(`w-${key}`);
  if (was) was.textContent = changed ? `Starting scenario: ${base}` : "";
}

function renderEditor() {
  const option = state.options[state.current];
  const name = $("f-name");
  name.value = option.name;
  $("editing-name").textContent = option.name;
  const box = $("sections");
  box.replaceChildren();
  for (const section of state.form.sections) {
    const fs = el("fieldset", { class: "section" }, el("legend", {}, section.title));
    const plain = section.fields.filter((f) => !f.key.startsWith("referrals.seasonality["));
    const months = section.fields.filter((f) => f.key.startsWith("referrals.seasonality["));
    const grid = el("div", { class: "fields" });
    for (const f of plain) {
      const wrap = el("div", { class: "field" },
        el("label", { for: `f-${f.key}` }, f.label, f.unit ? el("span", { class: "unit" }, ` (${f.unit})`) : null),
        fieldInput(f, option),
        el("p", { class: "was", id: `w-${f.key}` }),
        sourceLine(f.source, `s-${f.key}`),
        el("p", { class: "error", id: `e-${f.key}` }));
      grid.append(wrap);
    }
    if (plain.length) fs.append(grid);
    for (const list of section.lists) fs.append(listEditor(list, option));
    if (months.length) {
      const m = el("fieldset", { class: "months-box", "aria-describedby": "h-season e-referrals.seasonality" },
        el("legend", {}, "Seasonality: each month's referrals as a multiple of the rate"));
      m.append(el("p", { class: "help", id: "h-season" }, "1 is an ordinary month; 1.3 is 30% more referrals than the rate."));
      const g = el("div", { class: "months" });
      for (const f of months) {
        const month = f.label.split(" ")[0];
        g.append(el("div", { class: "field" }, el("label", { for: `f-${f.key}` }, month), fieldInput(f, option),
          el("p", { class: "was", id: `w-${f.key}` }), el("p", { class: "error", id: `e-${f.key}` })));
      }
      m.append(g, sourceLine(months[0].source, "s-referrals.seasonality"), el("p", { class: "error", id: "e-referrals.seasonality" }));
      fs.append(m);
    }
    box.append(fs);
  }
  for (const input of box.querySelectorAll("input[id^='f-'], select[id^='f-']")) {
    const key = input.id.slice(2);
    if (key in option.values) markChanged(key, input);
  }
}

function listEditor(list, option) {
  const rows = option.lists[list.key];
  const wrap = el("div", { class: "list", id: `g-${list.key}` });
  const titleId = `t-${list.key}`;
  wrap.append(el("h4", { id: titleId }, list.title), el("p", { class: "help" }, list.help), sourceLine(list.source, `s-${list.key}`));
  const table = el("table", { class: "rows", "aria-labelledby": titleId });
  const head = el("tr", {});
  for (const c of list.columns) head.append(el("th", { scope: "col" }, c.label));
  head.append(el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "Remove")));
  table.append(el("thead", {}, head));
  const body = el("tbody", {});
  rows.forEach((row, r) => {
    const tr = el("tr", {});
    for (const c of list.columns) {
      const key = `${list.key}[${r}].${c.name}`;
      const label = `${list.title}, row ${r + 1}: ${c.label}`;
      let input;
      if (c.kind === "bool") {
        input = el("input", { type: "checkbox", id: `f-${key}`, "aria-label": label, checked: row[c.name] === "true",
          onchange: (e) => { row[c.name] = e.target.checked ? "true" : "false"; } });
      } else {
        input = el("input", { type: "text", id: `f-${key}`, value: row[c.name] || "", "aria-label": label,
          placeholder: c.kind === "date" ? "YYYY-MM-DD" : null, inputmode: c.kind === "integer" || c.kind === "number" ? "decimal" : null,
          "aria-describedby": `e-${key}`, oninput: (e) => { row[c.name] = e.target.value; } });
      }
      tr.append(el("td", { class: c.kind === "bool" ? "bool" : null }, input, el("p", { class: "error", id: `e-${key}` })));
    }
    tr.append(el("td", {}, el("button", { type: "button", class: "secondary small", "aria-label": `Remove row ${r + 1} of ${list.title}`,
      onclick: () => { rows.splice(r, 1); renderEditor(); } }, "Remove")));
    body.append(tr);
  });
  table.append(body);
  wrap.append(el("div", { class: "table-scroll" }, table));
  wrap.append(el("p", { class: "error", id: `e-${list.key}` }));
  wrap.append(el("button", { type: "button", class: "secondary small", onclick: () => {
    const row = {};
    for (const c of list.columns) row[c.name] = c.default;
    rows.push(row);
    renderEditor();
    const first = $(`f-${list.key}[${rows.length - 1}].${list.columns[0].name}`);
    if (first) first.focus();
  } }, `Add a row to “${list.title}”`));
  return wrap;
}

// ---- Errors next to their fields ----

function clearErrors() {
  for (const e of document.querySelectorAll(".error")) if (e.id !== "e-upload") e.textContent = "";
  for (const i of document.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
}

// The element that shows an error about `field`: its own, or that of the nearest list or table holding it.
function errorTarget(field) {
  let key = field;
  while (key) {
    const box = $(`e-${key}`);
    if (box) return { box, input: $(`f-${key}`) };
    const cut = Math.max(key.lastIndexOf("."), key.lastIndexOf("["));
    if (cut <= 0) break;
    key = key.slice(0, cut);
  }
  return null;
}

function showErrors(data) {
  clearErrors();
  const all = data.errors && data.errors.length ? data.errors : [data];
  let focus = null;
  const first = all.find((e) => e.option !== undefined && e.option !== null);
  if (first && first.option !== state.current) { state.current = first.option; renderOptions(); renderEditor(); }
  for (const e of all) {
    const onThisOption = e.option === undefined || e.option === null || e.option === state.current;
    const target = e.field && onThisOption ? errorTarget(e.field) : null;
    if (target) {
      target.box.textContent = e.error;
      if (target.input) { target.input.setAttribute("aria-invalid", "true"); focus = focus || target.input; }
    } else if (e.option !== undefined && e.option !== null) {
      const box = e.option === state.current ? $("e-general") : $("e-options");
      box.textContent = (box.textContent ? box.textContent + " " : "") + `${state.options[e.option].name}: ${e.error}`;
    } else {
      $("e-run").textContent = e.error;
    }
  }
  $("e-run").textContent = $("e-run").textContent || "Nothing was run: correct the value marked in red.";
  if (focus) focus.focus();
}

// ---- Running ----

function request() {
  const base = formValues(state.form);
  const options = state.options.map((o) => {
    const values = {};
    for (const [k, v] of Object.entries(o.values)) if (v !== base.values[k]) values[k] = v;
    const lists = {};
    for (const [k, rows] of Object.entries(o.lists)) if (JSON.stringify(rows) !== JSON.stringify(base.lists[k])) lists[k] = rows;
    return { name: o.name, values, lists };
  });
  const thresholds = [];
  const tv = $("f-threshold-value").value.trim();
  if (tv) thresholds.push(`${$("f-threshold-metric").value}=${tv}@${$("f-threshold-date").value}`);
  const number = (id) => { const t = $(id).value.trim(); return /^\d+$/.test(t) ? Number(t) : t; };
  return { base: state.base, options, replicates: number("f-replicates"), seed: number("f-seed"), thresholds };
}

async function run() {
  clearErrors();
  const body = request();
  if (typeof body.replicates !== "number") { showErrors({ field: "replicates", error: "replicates: a whole number of 2 or more" }); return; }
  if (typeof body.seed !== "number") { showErrors({ field: "seed", error: "seed: a whole number of 0 or more" }); return; }
  if (state.options.length < 2) { $("e-options").textContent = "Add an option to compare with the starting scenario."; $("add-option").focus(); return; }
  try {
    const status = await api("POST", "/api/runs", body);
    watch(status.id);
  } catch (e) {
    if (e.data) showErrors(e.data); else $("e-run").textContent = e.message;
  }
}

function setRunning(running) {
  $("run").disabled = running;
  $("cancel").disabled = !running;
  $("progress-box").hidden = !running && !state.run;
}

function watch(id) {
  state.run = id;
  state.lastSpoken = -1;
  $("results").hidden = true;
  setRunning(true);
  $("progress-box").hidden = false;
  say("The run has started.");
  clearInterval(state.timer);
  state.timer = setInterval(() => poll(id), 400);
  poll(id);
}

function say(text) { $("progress-live").textContent = text; }

function seconds(s) {
  if (s === undefined || s === null) return "";
  if (s < 60) return `about ${Math.max(1, Math.round(s))} s left`;
  return `about ${Math.round(s / 60)} min left`;
}

async function poll(id) {
  let status;
  try { status = await api("GET", `/api/runs/${id}`); } catch (e) { return; }
  if (id !== state.run) return;
  const bar = $("progress");
  bar.max = Math.max(1, status.total); bar.value = status.done;
  const pct = status.total ? Math.floor(100 * status.done / status.total) : 0;
  let text;
  if (status.state === "queued") text = status.position ? `Waiting in the queue: ${status.position} run(s) ahead.` : "Waiting for a worker…";
  else if (status.state === "running") text = `Running: ${status.done} of ${status.total} replicates (${pct}%), ${seconds(status.seconds_left) || "estimating the time left"}.`;
  else if (status.state === "complete") text = `Done: ${status.total} replicates.`;
  else text = status.message || status.state;
  $("progress-text").textContent = text;
  // Screen readers hear the progress every tenth, not every poll.
  const step = status.state === "running" ? Math.floor(pct / 10) : status.state;
  if (step !== state.lastSpoken) { state.lastSpoken = step; say(text); }
  if (["complete", "cancelled", "failed"].includes(status.state)) {
    clearInterval(state.timer);
    setRunning(false);
    if (status.state === "complete") {
      history.replaceState(null, "", `#run-${id}`);
      showResult(status.result);
      refreshEarlier();
    }
    else $("e-run").textContent = status.state === "failed" ? `The run failed: ${status.message}` : "The run was cancelled; nothing was kept.";
  }
}

async function cancel() {
  if (!state.run) return;
  try { await api("POST", `/api/runs/${state.run}/cancel`); } catch (e) { $("e-run").textContent = e.message; }
}

// ---- The answer ----

function pct(x) { return `${Math.round(100 * x)}%`; }

function showResult(r) {
  const box = $("results-body");
  box.replaceChildren();
  const base = r.names[0];
  box.append(el("p", { class: "lead" },
    `${r.names.length} options, each simulated for the same ${r.replicates} replicates of ${r.period} with seed ${r.seed}. Replicate r of every option draws the same random numbers, so each difference from “${base}” is measured replicate by replicate. Intervals are 95% confidence intervals.`));

  box.append(el("h3", {}, "Verdicts"));
  for (let i = 1; i < r.names.length; i++) {
    const ul = el("ul", { class: "verdict", id: `verdicts-${i}`, "aria-label": `Verdicts for ${r.names[i]}` });
    for (const v of r.verdicts.filter((v) => v.option === i)) {
      const word = v.judgement === "better" ? el("strong", { class: "better-word" }, "Better: ") : v.judgement === "worse" ? el("strong", { class: "worse-word" }, "Worse: ") : null;
      ul.append(el("li", { class: v.judgement || null, "data-metric": v.metric, "data-judgement": v.judgement }, word, v.sentence));
    }
    box.append(el("h4", {}, el("span", { class: "swatch-inline", style: `color:${colour(i)}`, "aria-hidden": "true" }, "■ "), r.names[i]), ul);
  }

  // Threshold questions: those asked with the run, and any asked now, answered from the run's weekly counts.
  {
    const t = el("table", { class: "key", id: "thresholds" });
    t.append(el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Question"), el("th", { scope: "col" }, "Option"), el("th", { scope: "col" }, "Probability"), el("th", { scope: "col" }, "95% interval"))));
    const body = el("tbody", {});
    const add = (q) => q.answers.forEach((a, i) => body.append(el("tr", {}, el("td", {}, `${q.question} (weekly count of ${q.snapshot})`), el("td", {}, r.names[i]),
      el("td", { class: "num" }, pct(a[0])), el("td", { class: "num" }, `${pct(a[1])} to ${pct(a[2])}`))));
    r.thresholds.forEach(add);
    t.append(body);
    const wrap = el("div", { class: "table-scroll" }, t);
    wrap.hidden = !r.thresholds.length;
    const [from, to] = r.period.split(" to ");
    const metric = $("f-threshold-metric").cloneNode(true);
    metric.id = "q-metric";
    const ask = el("div", { class: "ask no-print" },
      el("div", { class: "threshold-grid" },
        el("div", { class: "field" }, el("label", { for: "q-metric" }, "Level"), metric),
        el("div", { class: "field" }, el("label", { for: "q-value" }, "is above"), el("input", { type: "text", id: "q-value", inputmode: "decimal", placeholder: "e.g. 200", "aria-describedby": "e-q" })),
        el("div", { class: "field" }, el("label", { for: "q-date" }, "on"), el("input", { type: "date", id: "q-date", min: from, max: to, value: to }))),
      el("button", { type: "button", class: "secondary", id: "q-ask", onclick: async () => {
        $("e-q").textContent = "";
        const threshold = `${$("q-metric").value}=${$("q-value").value.trim()}@${$("q-date").value}`;
        try {
          const q = await api("POST", `/api/runs/${r.id}/threshold`, { threshold });
          add(q);
          wrap.hidden = false;
          say(`${q.question}: ${q.answers.map((a, i) => `${r.names[i]} ${pct(a[0])}`).join(", ")}.`);
        } catch (e) {
          $("e-q").textContent = e.message;
        }
      } }, "Answer"),
      el("p", { class: "error", id: "e-q", role: "alert" }));
    box.append(el("div", { class: "keep" }, el("h3", {}, "Threshold question"),
      el("p", { class: "help" }, "The probability that a weekly level is above a value on a date, from every replicate; ask as many as you like."),
      wrap, ask));
  }

  const t = el("table", { class: "key", id: "key-figures" });
  const head = el("tr", {}, el("th", { scope: "col" }, "Measure"));
  for (const n of r.names) head.append(el("th", { scope: "col" }, n));
  t.append(el("caption", { class: "help" }, "Mean over replicates, with its 95% interval below."), el("thead", {}, head));
  const body = el("tbody", {});
  for (const k of r.key_figures) {
    const tr = el("tr", {}, el("th", { scope: "row" }, k.label));
    for (const v of k.values) tr.append(el("td", { class: "num" }, v.text, el("br"), el("small", {}, v.interval)));
    body.append(tr);
  }
  t.append(body);
  box.append(el("div", { class: "keep" }, el("h3", {}, "Key figures"), el("div", { class: "table-scroll" }, t)));

  // Each heading is kept with what follows it on paper: the charts' with the first chart.
  r.figures.forEach((f, i) => {
    const figure = el("figure", { id: `fig-${f.name}` },
      el("img", { src: `/api/runs/${r.id}/files/comparison/${f.name}.svg`, alt: f.title }),
      el("figcaption", {}, f.reading));
    box.append(i === 0 ? el("div", { class: "keep" }, el("h3", {}, "Charts"), figure) : figure);
  });

  box.append(el("h3", {}, "Downloads"));
  const ul = el("ul", { class: "downloads" });
  r.labels.forEach((label, i) => ul.append(el("li", {}, el("a", { href: `/api/runs/${r.id}/scenarios/${i}`, download: `${label}.toml` },
    `${r.names[i]}: scenario file (${label}.toml)`))));
  ul.append(el("li", {}, el("a", { href: `/api/runs/${r.id}/csv.zip`, download: `spcap-${r.id}.zip` }, "Every CSV, as a zip")));
  ul.append(el("li", {}, el("a", { href: `/api/runs/${r.id}/files/comparison/comparison.html`, target: "_blank", rel: "noopener" }, "The comparison report (opens in a new tab)")));
  box.append(ul);
  const files = r.labels.map((l) => `${l}.toml`).join(" ");
  box.append(el("p", { class: "help" }, "To get the same numbers on the command line: ", el("code", {}, `spcap compare ${files} --replicates ${r.replicates} --seed ${r.seed}`)));
  box.append(el("p", { class: "no-print" },
    el("button", { type: "button", class: "secondary", onclick: () => window.print() }, "Print the answer (A4)"), " ",
    el("a", { href: `#answer-${r.id}` }, "A link to this answer alone"), " · ",
    el("a", { href: "/" }, "Start again")));

  $("results").hidden = false;
  $("results").focus({ preventScroll: document.body.classList.contains("answer-only") });
}

async function refreshEarlier() {
  let runs = [];
  try { runs = await api("GET", "/api/runs"); } catch (e) { return; }
  const ul = $("earlier-list");
  ul.replaceChildren();
  const done = runs.filter((r) => r.state === "complete");
  if (!done.length) { ul.append(el("li", {}, "None yet.")); return; }
  for (const r of done.slice(0, 20)) {
    ul.append(el("li", {}, el("a", { href: `#run-${r.id}` }, `${r.id}: ${r.names.join(" vs ")}`)));
  }
}

// #run-ID shows a run's answer below the form; #answer-ID the answer alone, to share or print.
async function showLinkedRun() {
  const m = /^#(run|answer)-([A-Za-z0-9-]+)$/.exec(location.hash);
  document.body.classList.toggle("answer-only", !!m && m[1] === "answer");
  if (!m) return;
  try {
    const s = await api("GET", `/api/runs/${m[2]}`);
    if (s.result) showResult(s.result);
    else if (["queued", "running"].includes(s.state)) watch(m[2]);
  } catch (e) {
    $("e-run").textContent = e.message;
  }
}

// ---- Start ----

async function init() {
  try { state.info = await api("GET", "/api/limits"); } catch (e) { state.info = null; }
  if (state.info) {
    const l = state.info.limits;
    $("limits").textContent = `This server runs ${l.runs_at_once} comparison(s) at a time with up to ${l.queue} waiting, at most ${l.replicates} replicates of each option, ${l.options} options besides the starting one, scenarios of up to ${l.referrals} referrals per replicate and uploads of up to ${Math.round(l.upload_bytes / 1024)} KB.`;
  }
  let list = [];
  try { list = await api("GET", "/api/scenarios"); } catch (e) { $("e-general").textContent = e.message; }
  const select = $("scenario");
  select.replaceChildren();
  if (!list.length) select.append(el("option", { value: "" }, "(no scenarios offered)"));
  for (const s of list) select.append(el("option", { value: s.id, disabled: !!s.error }, s.error ? `${s.name} (does not load)` : s.name));
  select.addEventListener("change", () => { if (select.value) loadScenario(select.value); });
  $("upload").addEventListener("change", (e) => { if (e.target.files[0]) upload(e.target.files[0]); });
  $("add-option").addEventListener("click", addOption);
  $("f-name").addEventListener("input", (e) => {
    state.options[state.current].name = e.target.value;
    $("editing-name").textContent = e.target.value;
    const pick = document.querySelector("#option-list button.pick[aria-pressed=true]");
    if (pick) pick.lastChild.textContent = state.current === 0 ? `${e.target.value} (starting point)` : e.target.value;
  });
  $("run").addEventListener("click", run);
  $("cancel").addEventListener("click", cancel);
  $("editor").addEventListener("submit", (e) => e.preventDefault());
  const first = list.find((s) => s.id === "baseline" && !s.error) || list.find((s) => !s.error);
  if (first) { select.value = first.id; await loadScenario(first.id); }
  if (state.info) $("f-replicates").value = String(Math.min(200, state.info.limits.replicates));
  refreshEarlier();
  // A finished run's address (#run-ID) shows its answer, so that it can be shared.
  window.addEventListener("hashchange", showLinkedRun);
  await showLinkedRun();
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", init);
