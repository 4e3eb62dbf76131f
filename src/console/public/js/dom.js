// DOM helpers: elements from data (strings are always text, never markup), in-place patching, table parts.

/** createElement with properties and children; strings become text nodes, never markup */
export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "hidden" || key === "disabled" || key === "checked" || key === "required") node[key] = true;
    else if (key === "value") node.value = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

/** replaceChildren that skips null/false (the DOM's own would print "null") */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

function append(node, children) {
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
}

/** Puts `nodes` into `parent` in order, moving only what is out of place (focus and state survive). */
export function syncChildren(parent, nodes) {
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node === cursor) {
      cursor = cursor.nextSibling;
      continue;
    }
    parent.insertBefore(node, cursor);
  }
  while (cursor) {
    const next = cursor.nextSibling;
    cursor.remove();
    cursor = next;
  }
}

/** an empty value; narrow card layouts hide rows that hold only this */
export const dash = () => el("span", { class: "muted dash" }, "—");
export const $ = (selector, root = document) => root.querySelector(selector);
export const enc = encodeURIComponent;
export const jobHref = (id) => `#/jobs/${enc(id)}`;
/** a server word (state, scope) as a class-name suffix; anything odd becomes "other" */
export const token = (word) => (typeof word === "string" && /^[a-z_]{1,20}$/.test(word) ? word : "other");

export function section(title, ...children) {
  return el("section", { class: "panel" }, el("h2", { class: "panel-title" }, title), ...children);
}

/** a table scrolling inside its own box; `card` gives the box a surface when it stands outside a panel */
export function tableWrap(table, card = false) {
  return el("div", { class: card ? "table-wrap table-card" : "table-wrap" }, table);
}

/** column heads; columns from index `rightFrom` on hold numbers and are right-aligned */
export function headRow(labels, rightFrom = Number.POSITIVE_INFINITY) {
  return el(
    "thead",
    {},
    el(
      "tr",
      {},
      labels.map((l, i) => el("th", { scope: "col", class: i >= rightFrom ? "right" : null }, l)),
    ),
  );
}

/** a table cell that carries its column label, shown when tables collapse to cards on narrow screens */
export function cell(label, content, cls) {
  // one wrapper, so the narrow layout's label/value grid always sees two items
  return el("td", { "data-label": label, class: cls }, el("div", { class: "cv" }, content));
}

export function emptyState(text) {
  return el("div", { class: "empty" }, text);
}

export function flash(node) {
  node.classList.add("changed");
  setTimeout(() => node.classList.remove("changed"), 1200);
}
