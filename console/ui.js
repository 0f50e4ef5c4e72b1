// DOM helpers: elements built in code, never from HTML strings (the CSP
// forbids inline script, and text is never parsed as markup).

export function h(tag, attrs, ...kids)
{
	const el = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === undefined || v === null || v === false)
			continue;
		if (k.startsWith('on') && typeof v === 'function')
			el.addEventListener(k.slice(2), v);
		else if (k === 'class')
			el.className = v;
		else if (k === 'value')
			el.value = v;
		else
			el.setAttribute(k, v === true ? '' : String(v));
	}
	append(el, kids);
	return el;
}

function append(el, kids)
{
	for (const k of kids) {
		if (k === undefined || k === null || k === false)
			continue;
		if (Array.isArray(k))
			append(el, k);
		else if (k instanceof Node)
			el.appendChild(k);
		else
			el.appendChild(document.createTextNode(String(k)));
	}
}

export function clear(el, ...kids)
{
	el.replaceChildren();
	append(el, kids);
	return el;
}

let uid = 0;
export function nextId(prefix)
{
	return `${prefix}-${++uid}`;
}

// field(label, attrs): a labelled input (attrs.tag: another element);
// its name is the API member it edits, so that an error naming that member
// lands next to it.
export function field(label, attrs)
{
	const id = attrs.id || nextId('f');
	return h('div', { class: 'field' }, h('label', { for: id }, label),
	    h(attrs.tag || 'input', { ...attrs, tag: undefined, id }));
}

// selectField(label, attrs, [[value, text], ...])
export function selectField(label, attrs, options)
{
	const id = attrs.id || nextId('f');
	return h('div', { class: 'field' }, h('label', { for: id }, label),
	    h('select', { ...attrs, id }, options.map(([v, t]) =>
		h('option', { value: v, selected: v === attrs.value }, t))));
}

// The API's problem details, shown where they belong: an entry of
// `errors` next to the form control whose name is its field, the rest in
// the form's alert.
export function showErrors(form, err)
{
	clearErrors(form);
	const problem = err.problem || {};
	const rest = [];
	for (const e of problem.errors || []) {
		const input = e.field && form.querySelector(`[name="${CSS.escape(e.field)}"]`);
		const msg = e.detail || e.code || 'invalid';
		if (!input) {
			rest.push(`${e.field && e.field !== '$' ? e.field + ': ' : ''}${msg}`);
			continue;
		}
		const id = nextId('err');
		input.setAttribute('aria-invalid', 'true');
		input.setAttribute('aria-describedby', id);
		input.insertAdjacentElement('afterend',
		    h('p', { class: 'field-error', id }, msg));
	}
	let alert = form.querySelector(':scope > .alert');
	if (!alert) {
		alert = h('div', { class: 'alert', role: 'alert' });
		form.prepend(alert);
	}
	clear(alert, h('strong', {}, problemTitle(err)),
	    problem.detail && problem.detail !== problemTitle(err) ? ` ${problem.detail}` : '',
	    rest.length ? h('ul', {}, rest.map((r) => h('li', {}, r))) : '');
	const first = form.querySelector('[aria-invalid="true"]');
	if (first)
		first.focus();
}

export function clearErrors(form)
{
	for (const p of form.querySelectorAll('.field-error'))
		p.remove();
	for (const i of form.querySelectorAll('[aria-invalid]')) {
		i.removeAttribute('aria-invalid');
		i.removeAttribute('aria-describedby');
	}
	form.querySelector(':scope > .alert')?.remove();
}

export function problemTitle(err)
{
	const p = err.problem || {};
	if (err.status === 0)
		return p.title || 'The server could not be reached.';
	return `${p.title || 'Error'} (${err.status})`;
}

// An alert for a failure outside any form.
export function errorBox(err)
{
	const p = err.problem || {};
	return h('div', { class: 'alert', role: 'alert' }, h('strong', {}, problemTitle(err)),
	    p.detail ? ` ${p.detail}` : '');
}

export function status(msg)
{
	const el = document.getElementById('status');
	if (el)
		el.textContent = msg;
}

export function fmtTime(s)
{
	if (!s)
		return '';
	const d = new Date(s);
	return isNaN(d) ? s : d.toLocaleString();
}

// debounce(fn, ms): fn once the calls stopped for ms.
export function debounce(fn, ms)
{
	let t;
	return (...a) => {
		clearTimeout(t);
		t = setTimeout(() => fn(...a), ms);
	};
}

// Form values by name: empty text is left out (not sent), unless keepEmpty.
export function formValues(form, keepEmpty = false)
{
	const out = {};
	for (const el of form.elements) {
		if (!el.name || el.disabled)
			continue;
		const v = el.type === 'checkbox' ? el.checked : el.value.trim();
		if (v === '' && !keepEmpty)
			continue;
		out[el.name] = v === '' ? null : v;
	}
	return out;
}

// A pager over cursor pages: keeps the cursors seen so that Previous goes
// back without an offset; only one page is ever in memory.
export class Pager {
	constructor(load)
	{
		this.load = load;
		this.stack = [];	// cursors of the pages before the current one
		this.cursor = null;
		this.next = null;
	}
	reset()
	{
		this.stack = [];
		this.cursor = null;
		this.next = null;
	}
	controls(label)
	{
		const prev = h('button', { type: 'button', disabled: this.stack.length === 0,
		    onclick: () => { this.cursor = this.stack.pop(); this.load(); } }, 'Previous page');
		const next = h('button', { type: 'button', disabled: !this.next,
		    onclick: () => { this.stack.push(this.cursor); this.cursor = this.next; this.load(); } },
		    'Next page');
		return h('nav', { class: 'pager', 'aria-label': label },
		    prev, next, h('span', { class: 'muted' }, `Page ${this.stack.length + 1}`));
	}
}

// go(path): to the page #path (the router renders it, again if it is the
// current one).
export function go(path)
{
	if (location.hash === `#${path}`)
		window.dispatchEvent(new HashChangeEvent('hashchange'));
	else
		location.hash = `#${path}`;
}
