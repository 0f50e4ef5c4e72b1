// Invitations: list by state, create (the link shown once, with a copy
// button), revoke; and the invitee's side, #/accept?token=..., which needs
// no sign-in.
import { api, tpath } from '../api.js';
import { h, clear, field, selectField, showErrors, clearErrors, errorBox, fmtTime,
    formValues, Pager } from '../ui.js';

const STATES = ['pending', 'accepted', 'revoked', 'expired'];

export async function invitesPage(main, ctx)
{
	const state = h('select', { id: 'invite-state' }, h('option', { value: '' }, 'all'),
	    STATES.map((s) => h('option', { value: s }, s)));
	const list = h('div', { id: 'invite-list' });
	const box = h('div', { 'aria-live': 'polite' });
	const pager = new Pager(load);
	let seq = 0;

	async function load()
	{
		const mine = ++seq;
		try {
			const r = await api('GET', tpath('/invites'), { query: { state: state.value, limit: 50,
			    cursor: pager.cursor } });
			if (mine !== seq || !ctx.alive())
				return;
			pager.next = r.data.nextCursor;
			clear(list, r.data.items.length ? h('table', { id: 'invites-table', class: 'wide' },
			    h('caption', { class: 'visually-hidden' }, 'Invitations'),
			    h('thead', {}, h('tr', {}, ['E-mail', 'State', 'Action', 'Expires', 'Created']
				.map((t) => h('th', { scope: 'col' }, t)))),
			    h('tbody', {}, r.data.items.map((i) => h('tr', { 'data-id': i.id },
				h('td', {}, i.email), h('td', { class: 'state' }, i.state),
				h('td', {}, ctx.canWrite && i.state === 'pending' ? h('button', { type: 'button',
				    class: 'revoke', 'aria-label': `Revoke the invitation of ${i.email}`,
				    onclick: (e) => revoke(i, e.target) }, 'Revoke') : ''),
				h('td', {}, fmtTime(i.expiresAt)),
				h('td', {}, `${fmtTime(i.createdAt)} by ${i.createdBy || '?'}`))))) :
			    h('p', {}, 'No invitation.'), pager.controls('Invitation pages'));
		} catch (err) {
			if (mine === seq && ctx.alive())
				clear(list, errorBox(err));
		}
	}
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
			groups = (await api('GET', tpath('/groups'), { query: { limit: 200 } })).data.items;
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
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const body = formValues(form);
			if (body.expiresIn)
				body.expiresIn = Math.round(Number(body.expiresIn) * 86400);
			try {
				const r = await api('POST', tpath('/invites'), { body });
				showLink(r.data);
				load();
			} catch (err) {
				if (ctx.alive())
					showErrors(form, err);
			}
		});
		clear(box, form);
		form.elements.email.focus();
	}

	// The token exists only in this answer: shown once, never stored.
	function showLink(inv)
	{
		const link = `${location.origin}${location.pathname}#/accept?token=${encodeURIComponent(inv.token)}`;
		const msg = h('span', { 'aria-live': 'polite', id: 'invite-copied' });
		clear(box, h('div', { class: 'panel', id: 'invite-link-box' },
		    h('h2', {}, `Invitation for ${inv.email}`),
		    h('p', {}, 'Send this link to the invitee. It is shown this once: rosterd keeps only a hash of it.'),
		    h('code', { class: 'secret', id: 'invite-link' }, link),
		    h('button', { type: 'button', id: 'invite-copy', onclick: async () => {
			try {
				await navigator.clipboard.writeText(link);
				msg.textContent = ' Copied.';
			} catch {
				msg.textContent = ' Copying was refused: select the link and copy it.';
			}
		    } }, 'Copy link'), msg, ' ',
		    h('button', { type: 'button', onclick: () => clear(box) }, 'Done')));
		box.querySelector('#invite-copy').focus();
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
	form.addEventListener('submit', async (e) => {
		e.preventDefault();
		clearErrors(form);
		try {
			const r = await api('POST', '/v1/invites/accept', { body: { ...formValues(form), token },
			    anonymous: true });
			clear(main, h('h1', {}, 'Welcome'), h('p', { id: 'accept-done' },
			    `Your account ${r.data.username} is ready.`));
		} catch (err) {
			showErrors(form, err);
		}
	});
	clear(main, h('h1', {}, 'Accept your invitation'), form);
}
