"use strict";
// Everything from the trace reaches the page as text: textContent, never innerHTML.
(() => {
  const report = JSON.parse(document.getElementById("report-data").textContent);
  const details = report.details;
  const left = report.models[0] ?? "left";
  const right = report.models[1] ?? "right";
  const containers = new Map(report.containers.map(c => [c.host + "\u0000" + c.id, c]));
  const format = new Intl.NumberFormat("en-US");
  const PAGE = 100;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function containerOf(d) {
    const c = containers.get(d.host + "\u0000" + d.container);
    return c ? d.container + " (" + c.name + ")" : d.container;
  }

  function category(name) {
    const td = el("td");
    td.append(el("span", null, "swatch c-" + name), name);
    return td;
  }

  // Sortable tables: one pass to read the keys, one sort, one fragment appended.
  function sortTable(table, col, th) {
    const numeric = th.classList.contains("n");
    const ascending = numeric ? th.classList.contains("desc") : !th.classList.contains("asc");
    const body = table.tBodies[0];
    const rows = Array.from(body.rows, (r, i) => {
      const cell = r.cells[col];
      const raw = cell.dataset.v ?? cell.textContent;
      return { r, i, k: numeric ? Number(raw.replace(/,/g, "")) : raw };
    });
    const dir = ascending ? 1 : -1;
    rows.sort((a, b) => (a.k < b.k ? -dir : a.k > b.k ? dir : a.i - b.i));
    const frag = document.createDocumentFragment();
    for (const x of rows) frag.append(x.r);
    body.append(frag);
    for (const h of th.parentElement.cells) h.classList.remove("asc", "desc");
    th.classList.add(ascending ? "asc" : "desc");
  }

  for (const table of document.querySelectorAll("table.sortable")) {
    Array.from(table.tHead.rows[0].cells).forEach((th, col) => {
      th.classList.add("sort");
      th.addEventListener("click", () => sortTable(table, col, th));
    });
  }

  // The list of divergences: filtered in one pass, shown a page at a time.
  const list = document.getElementById("list");
  const byCategory = document.getElementById("f-cat");
  const byText = document.getElementById("f-text");
  const pagerText = document.getElementById("pager-text");
  const prev = document.getElementById("prev");
  const next = document.getElementById("next");
  const haystacks = details.map(d =>
    [d.host, containerOf(d), d.event.comm, d.kind, d.event.text, d.left, d.right].join("\n").toLowerCase());
  let shown = [];
  let page = 0;

  function listRow(i) {
    const d = details[i];
    const tr = el("tr");
    tr.dataset.d = String(i);
    tr.append(el("td", "#" + i, "n"), el("td", d.host, "host"), el("td", containerOf(d)),
      el("td", format.format(d.event.position), "n"), el("td", d.event.comm), el("td", d.kind),
      category(d.category), el("td", d.left), el("td", d.right));
    return tr;
  }

  function renderPage() {
    const start = page * PAGE;
    const end = Math.min(shown.length, start + PAGE);
    const frag = document.createDocumentFragment();
    for (let k = start; k < end; k++) frag.append(listRow(shown[k]));
    list.tBodies[0].replaceChildren(frag);
    pagerText.textContent = shown.length === 0 ? "none"
      : format.format(start + 1) + "\u2013" + format.format(end) + " of " + format.format(shown.length);
    prev.disabled = page === 0;
    next.disabled = end >= shown.length;
  }

  function filter() {
    const cat = byCategory.value;
    const q = byText.value.trim().toLowerCase();
    shown = [];
    for (let i = 0; i < details.length; i++)
      if ((cat === "" || details[i].category === cat) && (q === "" || haystacks[i].includes(q))) shown.push(i);
    page = 0;
    renderPage();
  }

  byCategory.addEventListener("change", filter);
  byText.addEventListener("input", filter);
  prev.addEventListener("click", () => { page--; renderPage(); });
  next.addEventListener("click", () => { page++; renderPage(); });
  list.tBodies[0].addEventListener("click", e => {
    const tr = e.target.closest("tr");
    if (tr) open(Number(tr.dataset.d));
  });
  for (const svg of document.querySelectorAll("svg.timeline")) {
    svg.addEventListener("click", e => {
      const mark = e.target.closest(".mk");
      if (mark) open(Number(mark.dataset.d));
    });
  }

  // The drill-down: one divergence, what each model said, why, and the events around it.
  const drill = document.getElementById("drill");
  let selected = [];

  function eventsTable(caption, refs, current) {
    const table = el("table", null, "wide");
    table.append(el("caption", caption));
    const head = el("tr");
    for (const h of ["position", "time (ns)", "tid", "comm", "event"]) head.append(el("th", h));
    table.append(el("thead"));
    table.tHead.append(head);
    const body = el("tbody");
    for (const r of refs) {
      const tr = el("tr", null, r === current ? "this" : "");
      tr.append(el("td", format.format(r.position), "n"), el("td", format.format(r.time), "n"),
        el("td", r.tid, "n"), el("td", r.comm, "comm"), el("td", r.text));
      body.append(tr);
    }
    if (refs.length === 0) {
      const td = el("td", "none recorded", "muted");
      td.colSpan = 5;
      const tr = el("tr");
      tr.append(td);
      body.append(tr);
    }
    table.append(body);
    return table;
  }

  function show(i) {
    const d = details[i];
    for (const e of selected) e.classList.remove("sel");
    selected = [];
    if (!d) {
      drill.hidden = true;
      return;
    }
    const bar = el("div", null, "bar");
    const back = el("button", "\u2190 previous");
    const fwd = el("button", "next \u2192");
    const close = el("button", "close");
    back.disabled = i === 0;
    fwd.disabled = i === details.length - 1;
    back.addEventListener("click", () => open(i - 1));
    fwd.addEventListener("click", () => open(i + 1));
    close.addEventListener("click", () => { history.replaceState(null, "", "#divergences"); show(-1); });
    bar.append(el("h3", "Divergence #" + i + ": " + d.category + " on " + d.kind), back, fwd, close);

    const c = containers.get(d.host + "\u0000" + d.container);
    const dl = el("dl");
    const facts = [
      ["host", "host", d.host],
      ["container", "container", d.container],
      ["container name", "container-name", c ? c.name : "not listed"],
      ["position", "position", format.format(d.event.position)],
      ["time (ns)", "time", format.format(d.event.time)],
      ["tid", "tid", d.event.tid],
      ["comm", "comm", d.event.comm],
      ["event", "event", d.event.text],
      ["kind", "kind", d.kind],
      ["category", "category", d.category],
      [left + " (left) said", "left", d.left],
      [right + " (right) said", "right", d.right],
      ["note", "note", d.note ?? "none"],
    ];
    for (const [label, key, value] of facts) {
      const dd = el("dd", value);
      dd.dataset.k = key;
      dl.append(el("dt", label), dd);
    }
    const around = d.before.concat([d.event], d.after);
    drill.replaceChildren(bar, dl,
      eventsTable("Causes: the earlier events that made the states differ", d.causes, null),
      eventsTable("Around it in its container (the divergent event in bold)", around, d.event));
    drill.hidden = false;
    for (const e of document.querySelectorAll('[data-d="' + i + '"]')) {
      e.classList.add("sel");
      selected.push(e);
    }
  }

  function open(i) {
    if (location.hash === "#d" + i) show(i);
    else location.hash = "d" + i;
  }

  function route() {
    const m = /^#d(\d+)$/.exec(location.hash);
    if (!m) return;
    show(Number(m[1]));
    drill.scrollIntoView({ block: "start" });
  }

  window.addEventListener("hashchange", route);
  filter();
  route();
})();
