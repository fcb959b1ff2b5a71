// Small DOM helpers: the screens build their markup from data on every render (no framework).

const SVG = 'http://www.w3.org/2000/svg';

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// h('div', {class: 'x', dataset: {kpi: 'a'}, onclick: fn, title: '...'}, child, ...)
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') Object.assign(el.style, v);   // CSSOM: allowed by the page's CSP
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}

// Replace an element's children, skipping empty slots (null, false) as h() does.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) el.setAttribute(k, v);
  append(el, children);
  return el;
}

// An icon from the symbols in index.html; decorative: the text beside it says the same.
export function icon(name, cls = '') {
  return svg('svg', {class: `icon ${cls}`.trim(), 'aria-hidden': 'true', focusable: 'false'},
             svg('use', {href: `#i-${name}`}));
}

// Give each body cell its column's heading as data-label: a phone shows a row as label: value lines.
export function labelled(table) {
  const heads = [...table.querySelectorAll('thead th')].map((th) => th.textContent);
  for (const tr of table.querySelectorAll('tbody tr')) {
    [...tr.children].forEach((td, i) => { td.dataset.label = heads[i] || ''; });
  }
  return table;
}

// Call fn at most once per `ms`, with the latest arguments (live updates arrive in bursts).
export function throttle(fn, ms) {
  let timer = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => { timer = null; fn(); }, ms);
  };
}
