// Invitations: list by state, create (the link shown once, with a copy
// button), revoke; and the invitee's side, #/accept?token=..., which needs
// no sign-in.
import { api, allItems, tpath } from '../api.js';
import { h, clear, field, selectField, errorBox, fmtTime, formValues, table, pagedList,
    submitTo, shownOnce } from '../ui.js';

const STATES = ['pending', 'accepted', 'revoked', 'expired'];

export async function invitesPage(main, ctx)
{
	const state = h('select', { id: 'invite-state' }, h('option', { value: '' }, 'all'),
	    STATES.map((s) => h('option', { value: s }, s)));
	const list = h('div', { id: 'invite-list' });
	const box = h('div', { 'aria-live': 'polite' });
	const pager = pagedList(ctx, list, 'Invitation pages', (cursor) => api('GET', tpath('/invites'),
	    { query: { state: state.value, limit: 50, cursor } }),
	    (items) => items.length ? table({ id: 'invites-table', class: 'wide' }, 'Invitations',
		['E-mail', 'State', 'Action', 'Expires', 'Created'],
		items.map((i) => h('tr', { 'data-id': i.id },
		    h('td', {}, i.email), h('td', { class: 'state' }, i.state),
		    h('td', {}, ctx.canWrite && i.state === 'pending' ? h('button', { type: 'button',
			class: 'revoke', 'aria-label': `Revoke the invitation of ${i.email}`,
			onclick: (e) => revoke(i, e.target) }, 'Revoke') : ''),
		    h('td', {}, fmtTime(i.expiresAt)),
		    h('td', {}, `${fmtTime(i.createdAt)} by ${i.createdBy || '?'}`)))) :
		h('p', {}, 'No invitation.'));
	const load = () => pager.load();
	state.addEventListener('change', () => { pager.reset(); load(); });

	async function revoke(inv, button)
	{
		button.disabled = true;
		try {
			await api('DELETE', tpath(`/invites/${inv.id}`));
			clear(box, h('p', { class: 'okmsg' }, `Revoked the invitation of ${inv.email}.`));
		} catch (err) {
			if (ctx.alive())
				clear(box, errorBox(err));
		}
		load();	// the state shown is the server's
	}

	async function create()
	{
		let groups = [];
		try {
			groups = await allItems(tpath('/groups'));
		} catch { /* the default group is still there */ }
		if (!ctx.alive())
			return;
		const form = h('form', { id: 'invite-create', class: 'panel', 'aria-label': 'New invitation' },
		    h('h2', {}, 'New invitation'),
		    field('E-mail', { name: 'email', type: 'email', required: true, autocomplete: 'off' }),
		    selectField('Group', { name: 'groupId', value: '' },
			[['', 'the default user group'], ...groups.map((g) => [g.id, `${g.name} (${g.kind})`])]),
		    field('Expires in (days)', { name: 'expiresIn', type: 'number', min: '1', max: '90',
			value: '7' }),
		    h('button', { class: 'primary', type: 'submit' }, 'Create invitation'), ' ',
		    h('button', { type: 'button', onclick: () => clear(box) }, 'Cancel'));
		submitTo(form, ctx, async () => {
			const body = formValues(form);
			if (body.expiresIn)
				body.expiresIn = Math.round(Number(body.expiresIn) * 86400);
			const r = await api('POST', tpath('/invites'), { body });
			showLink(r.data);
			load();
		});
		clear(box, form);
		form.elements.email.focus();
	}

	// The token exists only in this answer: shown once, never stored.
	function showLink(inv)
	{
		shownOnce(box, 'invite', 'link', 'link', `Invitation for ${inv.email}`,
		    h('p', {}, 'Send this link to the invitee. It is shown this once: rosterd keeps only a hash of it.'),
		    `${location.origin}${location.pathname}#/accept?token=${encodeURIComponent(inv.token)}`);
	}

	clear(main, h('h1', {}, 'Invitations'),
	    h('div', { class: 'toolbar' },
		h('div', {}, h('label', { for: 'invite-state' }, 'State'), state),
		ctx.canWrite ? h('button', { type: 'button', id: 'invite-new', onclick: create },
		    'New invitation') : ''),
	    box, list);
	if (ctx.canWrite && ctx.params.get('new'))
		create();
	await load();
}

// The invitee's page: no token of theirs, the invitation's token is the
// credential.
export function acceptPage(main, token)
{
	const form = h('form', { id: 'accept-form', class: 'panel', 'aria-label': 'Accept the invitation' },
	    field('Username', { name: 'username', required: true, autocomplete: 'username' }),
	    field('First name', { name: 'firstName', autocomplete: 'given-name' }),
	    field('Last name', { name: 'lastName', autocomplete: 'family-name' }),
	    field('Password', { name: 'password', type: 'password', required: true,
		autocomplete: 'new-password' }),
	    h('button', { class: 'primary', type: 'submit' }, 'Accept the invitation'));
	submitTo(form, { alive: () => true }, async () => {
		const r = await api('POST', '/v1/invites/accept', { body: { ...formValues(form), token },
		    anonymous: true });
		clear(main, h('h1', {}, 'Welcome'), h('p', { id: 'accept-done' },
		    `Your account ${r.data.username} is ready.`));
	});
	clear(main, h('h1', {}, 'Accept your invitation'), form);
}
