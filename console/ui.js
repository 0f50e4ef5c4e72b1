// DOM helpers: elements built in code, never from HTML strings (the CSP
// forbids inline script, and text is never parsed as markup); and the
// pieces the pages share (tables, paged lists, forms, the edit page of one
// resource, a secret shown once).
import { api } from './api.js';

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
// Text is trimmed, but a password: its spaces are part of it.
export function formValues(form, keepEmpty = false)
{
	const out = {};
	for (const el of form.elements) {
		if (!el.name || el.disabled)
			continue;
		const v = el.type === 'checkbox' ? el.checked :
		    el.type === 'password' ? el.value : el.value.trim();
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

// table(attrs, caption, heads, rows): a table with a caption for screen
// readers only and a column head per entry of heads.
export function table(attrs, caption, heads, rows)
{
	return h('table', attrs, h('caption', { class: 'visually-hidden' }, caption),
	    h('thead', {}, h('tr', {}, heads.map((t) => h('th', { scope: 'col' }, t)))),
	    h('tbody', {}, rows));
}

// pagedList(ctx, list, label, fetchPage, render, opts): the Pager of a
// list of cursor pages. Its load() shows in list what render(items) makes
// of the page fetchPage(cursor) answers, then the pager's controls (label
// names them); a load started later wins over one still in flight, and
// nothing is drawn once the page is left. A failure is an alert in list,
// or opts.failed(err). opts.busy: list is aria-busy while loading;
// opts.shown(items): called once a page is drawn.
export function pagedList(ctx, list, label, fetchPage, render, opts = {})
{
	let seq = 0;
	const pager = new Pager(load);
	async function load()
	{
		const mine = ++seq;
		if (opts.busy)
			list.setAttribute('aria-busy', 'true');
		try {
			const r = await fetchPage(pager.cursor);
			if (mine !== seq || !ctx.alive())
				return;	// a later load answered, or another page is shown
			pager.next = r.data.nextCursor;
			clear(list, render(r.data.items), pager.controls(label));
			opts.shown?.(r.data.items);
		} catch (err) {
			if (mine === seq && ctx.alive())
				(opts.failed || ((e) => clear(list, errorBox(e))))(err);
		} finally {
			if (opts.busy && mine === seq)
				list.removeAttribute('aria-busy');
		}
	}
	return pager;
}

// submitTo(form, ctx, send, refused): on submit, the form's errors
// cleared and send() awaited; its failure, while the page is still shown,
// is said on the form (or by refused(err)).
export function submitTo(form, ctx, send, refused = (err) => showErrors(form, err))
{
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		clearErrors(form);
		try {
			await send();
		} catch (err) {
			if (ctx.alive())
				refused(err);
		}
	});
}

// editResource(main, ctx, spec): the page of the one resource at
// spec.path, read with its ETag and written with If-Match. spec.name
// ('user') names it in the text and prefixes the element ids; spec.fields
// ([[member, label], ...]) are edited in a form that sends only what
// changed (spec.required must not be empty); Delete… asks once more with
// spec.confirm(res) and then goes to spec.back; someone else's change
// (412) is said with a Reload button. spec.actions(res, patch): more
// buttons before Delete…, patch(body, said) writing body with If-Match
// and showing said(res) once saved. spec.page(res, { note, actions, form }):
// the page's content; spec.drawn(): called once it is shown.
export async function editResource(main, ctx, spec)
{
	const { path, name, fields } = spec;
	let res, etag;
	const note = h('div', { id: `${name}-note`, 'aria-live': 'polite' });

	function took(r)
	{
		res = r.data;
		etag = r.etag || `"${res.version}"`;
	}

	// The server's refusal of a write, said where it belongs; 412 is
	// someone else's change.
	function refused(form, err)
	{
		if (err.status === 412) {
			clear(note, h('div', { class: 'alert', role: 'alert', id: `${name}-conflict` },
			    h('strong', {}, `Not saved: someone else changed this ${name} since you opened it.`),
			    ' Your changes were not applied. Reload to see the current version, then make them again. ',
			    h('button', { type: 'button', id: `${name}-reload`, onclick: () => draw(true) },
				'Reload')));
			note.querySelector('button').focus();
		} else if (form) {
			showErrors(form, err);
		} else {
			clear(note, errorBox(err));
		}
	}

	async function patch(body, said, form = null)
	{
		try {
			took(await api('PATCH', path, { body, ifMatch: etag }));
			await draw(false);
			clear(note, said(res));
		} catch (err) {
			if (ctx.alive())
				refused(form, err);
		}
	}

	async function draw(refetch)
	{
		if (refetch)
			took(await api('GET', path));
		if (!ctx.alive())
			return;
		clear(note);
		const form = h('form', { id: `${name}-edit`,
		    'aria-label': `${name[0].toUpperCase()}${name.slice(1)} details` },
		    fields.map(([n, l]) => field(l, { name: n, value: res[n] ?? '',
			readonly: !ctx.canWrite, required: n === spec.required, autocomplete: 'off' })),
		    ctx.canWrite ? h('button', { class: 'primary', type: 'submit', id: `${name}-save` },
			'Save changes') : '');
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const body = {};
			const vals = formValues(form, true);
			for (const [n] of fields)
				if ((vals[n] ?? null) !== (res[n] ?? null))
					body[n] = vals[n];
			if (!Object.keys(body).length) {
				clear(note, h('p', {}, 'Nothing changed.'));
				return;
			}
			await patch(body, (x) => h('p', { class: 'okmsg', id: `${name}-saved` },
			    `Saved (version ${x.version}).`), form);
		});

		const actions = h('div', { class: 'toolbar', id: `${name}-actions` });
		if (ctx.canWrite)
			actions.append(...(spec.actions?.(res, patch) || []),
			    h('button', { type: 'button', class: 'danger', id: `${name}-delete`,
				onclick: () => confirmDelete() }, 'Delete…'));
		function confirmDelete()
		{
			const box = h('div', { class: 'panel', role: 'group', 'aria-label': 'Confirm deletion' },
			    h('p', {}, spec.confirm(res)),
			    h('button', { type: 'button', class: 'danger', id: `${name}-delete-confirm`,
				onclick: async () => {
				    try {
					    await api('DELETE', path, { ifMatch: etag });
					    go(spec.back);
				    } catch (err) {
					    if (ctx.alive())
						    refused(null, err);
				    }
				} }, `Delete ${name}`), ' ',
			    h('button', { type: 'button', onclick: () => box.remove() }, 'Cancel'));
			actions.after(box);
			box.querySelector('button').focus();
		}

		clear(main, spec.page(res, { note, actions, form }));
		spec.drawn?.();
	}

	await draw(true);
}

// shownOnce(box, prefix, what, word, title, about, secret): a secret that
// exists only in this answer, shown once in box (never stored) with a
// button that copies it. Ids: `${prefix}-${what}-box` (the panel),
// `${prefix}-${what}` (the secret), `${prefix}-copy`, `${prefix}-copied`;
// word names the secret on the button and in the copy's refusal.
export function shownOnce(box, prefix, what, word, title, about, secret)
{
	const msg = h('span', { 'aria-live': 'polite', id: `${prefix}-copied` });
	clear(box, h('div', { class: 'panel', id: `${prefix}-${what}-box` },
	    h('h2', {}, title), about,
	    h('code', { class: 'secret', id: `${prefix}-${what}` }, secret),
	    h('button', { type: 'button', id: `${prefix}-copy`, onclick: async () => {
		try {
			await navigator.clipboard.writeText(secret);
			msg.textContent = ' Copied.';
		} catch {
			msg.textContent = ` Copying was refused: select the ${word} and copy it.`;
		}
	    } }, `Copy ${word}`), msg, ' ',
	    h('button', { type: 'button', onclick: () => clear(box) }, 'Done')));
	box.querySelector(`#${prefix}-copy`).focus();
}
