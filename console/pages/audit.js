// The audit log, newest first, with the API's filters: actor, action,
// target, time range.
import { api, tpath } from '../api.js';
import { h, clear, field, showErrors, clearErrors, errorBox, fmtTime, table, pagedList } from '../ui.js';

// datetime-local (the browser's local time) to RFC 3339 in UTC.
function rfc3339(v)
{
	if (!v)
		return '';
	const d = new Date(v);
	return isNaN(d) ? v : d.toISOString();
}

export async function auditPage(main, ctx)
{
	const p = ctx.params;
	const form = h('form', { id: 'audit-filter', class: 'toolbar', 'aria-label': 'Filters' },
	    field('Actor', { name: 'actor', value: p.get('actor') || '', autocomplete: 'off' }),
	    field('Action', { name: 'action', value: p.get('action') || '', autocomplete: 'off',
		placeholder: 'user.update', 'data-search': true }),
	    field('Target id', { name: 'targetId', value: p.get('targetId') || '', autocomplete: 'off' }),
	    field('From', { name: 'from', type: 'datetime-local', step: '1' }),
	    field('Until', { name: 'until', type: 'datetime-local', step: '1' }),
	    h('div', { class: 'field' }, h('button', { class: 'primary', type: 'submit', id: 'audit-apply' },
		'Apply filters')));
	const list = h('div', { id: 'audit-list' });
	const f = form.elements;
	// The filters as last applied: a page's cursor is only good with the
	// filters of the page before it, whatever the fields say meanwhile.
	let applied;
	const apply = () => {
		applied = { actor: f.actor.value.trim(), action: f.action.value.trim(),
		    targetId: f.targetId.value.trim(), from: rfc3339(f.from.value),
		    until: rfc3339(f.until.value) };
	};
	apply();
	const pager = pagedList(ctx, list, 'Audit pages', (cursor) => {
		clearErrors(form);
		return api('GET', tpath('/audit'), { query: { ...applied, limit: 50, cursor } });
	}, (items) => items.length ? table({ id: 'audit-table', class: 'wide' }, 'Audit log',
	    ['When', 'Actor', 'Action', 'Target', 'Detail'],
	    items.map((a) => h('tr', { 'data-id': a.id },
		h('td', {}, fmtTime(a.at)), h('td', {}, a.actor),
		h('td', { class: 'action' }, a.action),
		h('td', {}, `${a.targetType || ''} `, h('code', {}, a.targetId || '')),
		h('td', {}, h('code', {}, JSON.stringify(a.detail || {})))))) :
	    h('p', { id: 'audit-empty' }, 'No entry matches.'),
	{ failed: (err) => {
		clear(list);
		if (err.problem?.errors)
			showErrors(form, err);
		else
			list.append(errorBox(err));
	} });
	form.addEventListener('submit', (e) => {
		e.preventDefault();
		apply();
		pager.reset();
		pager.load();
	});
	clear(main, h('h1', {}, 'Audit log'), form, list);
	await pager.load();
}
