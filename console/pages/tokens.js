// API tokens: the tenant's tokens a page at a time (never the secret: the
// API keeps only its hash), create (the secret shown once, with a copy
// button, and kept nowhere), revoke after a confirmation.
import { api, tpath } from '../api.js';
import { h, clear, field, selectField, errorBox, fmtTime, formValues, status, table,
    pagedList, submitTo, shownOnce } from '../ui.js';

const ROLES = ['TenantReader', 'TenantAdmin'];

export async function tokensPage(main, ctx)
{
	const list = h('div', { id: 'token-list' });
	const box = h('div', { 'aria-live': 'polite' });
	const pager = pagedList(ctx, list, 'API token pages',
	    (cursor) => api('GET', tpath('/api-tokens'), { query: { limit: 50, cursor } }),
	    (items) => items.length ? table({ id: 'tokens-table', class: 'wide' }, 'API tokens',
		['Name', 'Prefix', 'Role', 'State', 'Expires', 'Addresses', 'Last used', 'Action'],
		items.map((t) => h('tr', { 'data-id': t.id },
		    h('td', {}, t.name), h('td', {}, h('code', {}, t.prefix)), h('td', {}, t.role),
		    h('td', { class: 'state' }, t.state +
			(t.revokedAt ? ` ${fmtTime(t.revokedAt)} by ${t.revokedBy || '?'}` : '')),
		    h('td', {}, t.expiresAt ? fmtTime(t.expiresAt) : 'never'),
		    h('td', { class: 'addresses' }, t.allowedAddresses?.length ?
			t.allowedAddresses.join(', ') : 'any'),
		    h('td', {}, t.lastUsedAt ? `${fmtTime(t.lastUsedAt)} from ${t.lastUsedAddr || '?'}` :
			'never'),
		    h('td', {}, ctx.canWrite && t.state === 'active' ? h('button', { type: 'button',
			class: 'revoke', 'aria-label': `Revoke the API token ${t.name}`,
			onclick: () => confirmRevoke(t) }, 'Revoke…') : '')))) :
		h('p', { id: 'tokens-empty' }, 'No API token.'),
	    { shown: (items) => status(`${items.length} API tokens shown`) });
	const load = () => pager.load();

	function confirmRevoke(t)
	{
		const yes = h('button', { type: 'button', class: 'danger', id: 'token-revoke-confirm',
		    onclick: async () => {
			yes.disabled = true;
			try {
				await api('DELETE', tpath(`/api-tokens/${t.id}`));
				clear(box, h('p', { class: 'okmsg', id: 'token-revoked' },
				    `Revoked the API token ${t.name}.`));
			} catch (err) {
				if (ctx.alive())
					clear(box, errorBox(err));
			}
			load();	// the state shown is the server's
		    } }, 'Revoke token');
		clear(box, h('div', { class: 'panel', role: 'group', 'aria-label': 'Confirm revocation' },
		    h('p', {}, `Revoke the API token ${t.name} (${t.prefix}…)? Every request that uses it is refused from now on.`),
		    yes, ' ', h('button', { type: 'button', onclick: () => clear(box) }, 'Cancel')));
		yes.focus();
	}

	function create()
	{
		const form = h('form', { id: 'token-create', class: 'panel', 'aria-label': 'New API token' },
		    h('h2', {}, 'New API token'),
		    field('Name', { name: 'name', required: true, autocomplete: 'off' }),
		    selectField('Role', { name: 'role', value: 'TenantReader' }, ROLES.map((r) => [r, r])),
		    field('Expires on (optional, UTC midnight)', { name: 'expiresAt', type: 'date' }),
		    field('Allowed addresses (optional: addresses or CIDR networks, one a line)',
			{ name: 'allowedAddresses', tag: 'textarea', rows: '3', autocomplete: 'off',
			    spellcheck: 'false' }),
		    h('button', { class: 'primary', type: 'submit' }, 'Create API token'), ' ',
		    h('button', { type: 'button', onclick: () => clear(box) }, 'Cancel'));
		submitTo(form, ctx, async () => {
			const body = formValues(form);
			if (body.expiresAt)
				body.expiresAt = `${body.expiresAt}T00:00:00Z`;
			if (body.allowedAddresses)
				body.allowedAddresses = body.allowedAddresses.split(/[\s,]+/).filter(Boolean);
			const r = await api('POST', tpath('/api-tokens'), { body });
			showSecret(r.data);
			load();
		});
		clear(box, form);
		form.elements.name.focus();
	}

	// The secret exists only in this answer: shown once, never stored.
	function showSecret(t)
	{
		shownOnce(box, 'token', 'secret', 'token', `API token ${t.name}`,
		    h('p', {}, h('strong', {}, 'Copy it now: it will not be shown again.'),
			' rosterd keeps only a hash of it. A client sends it as ',
			h('code', {}, 'Authorization: Bearer <token>'), '.'), t.token);
	}

	clear(main, h('h1', {}, 'API tokens'),
	    ctx.canWrite ? h('div', { class: 'toolbar' },
		h('button', { type: 'button', id: 'token-new', onclick: create }, 'New API token')) : '',
	    box, list);
	if (ctx.canWrite && ctx.params.get('new'))
		create();
	await load();
}
