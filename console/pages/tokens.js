// API tokens: the tenant's tokens a page at a time (never the secret: the
// API keeps only its hash), create (the secret shown once, with a copy
// button, and kept nowhere), revoke after a confirmation.
import { api, tpath } from '../api.js';
import { h, clear, field, selectField, showErrors, clearErrors, errorBox, fmtTime,
    formValues, Pager, status } from '../ui.js';

const ROLES = ['TenantReader', 'TenantAdmin'];

export async function tokensPage(main, ctx)
{
	const list = h('div', { id: 'token-list' });
	const box = h('div', { 'aria-live': 'polite' });
	const pager = new Pager(load);
	let seq = 0;

	async function load()
	{
		const mine = ++seq;
		try {
			const r = await api('GET', tpath('/api-tokens'), { query: { limit: 50,
			    cursor: pager.cursor } });
			if (mine !== seq || !ctx.alive())
				return;
			pager.next = r.data.nextCursor;
			clear(list, r.data.items.length ? h('table', { id: 'tokens-table', class: 'wide' },
			    h('caption', { class: 'visually-hidden' }, 'API tokens'),
			    h('thead', {}, h('tr', {}, ['Name', 'Prefix', 'Role', 'State', 'Expires',
				'Addresses', 'Last used', 'Action'].map((t) => h('th', { scope: 'col' }, t)))),
			    h('tbody', {}, r.data.items.map((t) => h('tr', { 'data-id': t.id },
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
				    onclick: () => confirmRevoke(t) }, 'Revoke…') : ''))))) :
			    h('p', { id: 'tokens-empty' }, 'No API token.'),
			    pager.controls('API token pages'));
			status(`${r.data.items.length} API tokens shown`);
		} catch (err) {
			if (mine === seq && ctx.alive())
				clear(list, errorBox(err));
		}
	}

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
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const body = formValues(form);
			if (body.expiresAt)
				body.expiresAt = `${body.expiresAt}T00:00:00Z`;
			if (body.allowedAddresses)
				body.allowedAddresses = body.allowedAddresses.split(/[\s,]+/).filter(Boolean);
			try {
				const r = await api('POST', tpath('/api-tokens'), { body });
				showSecret(r.data);
				load();
			} catch (err) {
				if (ctx.alive())
					showErrors(form, err);
			}
		});
		clear(box, form);
		form.elements.name.focus();
	}

	// The secret exists only in this answer: shown once, never stored.
	function showSecret(t)
	{
		const secret = t.token;
		const msg = h('span', { 'aria-live': 'polite', id: 'token-copied' });
		clear(box, h('div', { class: 'panel', id: 'token-secret-box' },
		    h('h2', {}, `API token ${t.name}`),
		    h('p', {}, h('strong', {}, 'Copy it now: it will not be shown again.'),
			' rosterd keeps only a hash of it. A client sends it as ',
			h('code', {}, 'Authorization: Bearer <token>'), '.'),
		    h('code', { class: 'secret', id: 'token-secret' }, secret),
		    h('button', { type: 'button', id: 'token-copy', onclick: async () => {
			try {
				await navigator.clipboard.writeText(secret);
				msg.textContent = ' Copied.';
			} catch {
				msg.textContent = ' Copying was refused: select the token and copy it.';
			}
		    } }, 'Copy token'), msg, ' ',
		    h('button', { type: 'button', onclick: () => clear(box) }, 'Done')));
		box.querySelector('#token-copy').focus();
	}

	clear(main, h('h1', {}, 'API tokens'),
	    ctx.canWrite ? h('div', { class: 'toolbar' },
		h('button', { type: 'button', id: 'token-new', onclick: create }, 'New API token')) : '',
	    box, list);
	if (ctx.canWrite && ctx.params.get('new'))
		create();
	await load();
}
