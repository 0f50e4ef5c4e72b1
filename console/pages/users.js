// Users: search as you type, cursor pages, create; one user: edit with
// If-Match, deactivate, delete, groups and roles.
import { api, tpath } from '../api.js';
import { h, clear, field, selectField, showErrors, clearErrors, errorBox, fmtTime,
    debounce, formValues, Pager, status, go } from '../ui.js';

const PAGE = 50;
const EDITABLE = [
	['username', 'Username'], ['email', 'E-mail'], ['firstName', 'First name'],
	['lastName', 'Last name'], ['displayName', 'Display name'], ['title', 'Title'],
	['phone', 'Phone'], ['externalId', 'External id'], ['locale', 'Locale'],
	['timeZone', 'Time zone'],
];

function fullName(u)
{
	return u.displayName || [u.firstName, u.lastName].filter(Boolean).join(' ');
}

export async function usersPage(main, ctx)
{
	const search = h('input', { id: 'user-search', type: 'search', name: 'q', 'data-search': true,
	    autocomplete: 'off', 'aria-keyshortcuts': '/', placeholder: 'username, e-mail or name' });
	const active = h('select', { id: 'user-active' },
	    h('option', { value: '' }, 'all'), h('option', { value: 'true' }, 'active'),
	    h('option', { value: 'false' }, 'inactive'));
	const list = h('div', { id: 'user-list', 'aria-live': 'polite' });
	const createBox = h('div');
	let seq = 0;

	const pager = new Pager(load);
	async function load()
	{
		const mine = ++seq;
		list.setAttribute('aria-busy', 'true');
		try {
			const r = await api('GET', tpath('/users'), { query: { q: search.value.trim(),
			    active: active.value, limit: PAGE, cursor: pager.cursor } });
			if (mine !== seq || !ctx.alive())
				return;	// a later search answered, or another page is shown
			pager.next = r.data.nextCursor;
			const items = r.data.items;
			clear(list, items.length ? h('table', { class: 'wide', id: 'users-table' },
			    h('caption', { class: 'visually-hidden' }, 'Users'),
			    h('thead', {}, h('tr', {}, ['Username', 'E-mail', 'Name', 'Active', 'Updated']
				.map((t) => h('th', { scope: 'col' }, t)))),
			    h('tbody', {}, items.map((u) => h('tr', { 'data-id': u.id },
				h('td', {}, h('a', { href: `#/users/${u.id}` }, u.username)),
				h('td', {}, u.email || ''), h('td', {}, fullName(u)),
				h('td', {}, u.active ? 'yes' : 'no'), h('td', {}, fmtTime(u.updatedAt)))))) :
			    h('p', { id: 'users-empty' }, 'No user matches.'),
			    pager.controls('User pages'));
			performance.mark('rosterd:users-rendered');	// bench/console.py reads it
			status(`${items.length} users shown`);
		} catch (err) {
			if (mine === seq && ctx.alive())
				clear(list, errorBox(err));
		} finally {
			if (mine === seq)
				list.removeAttribute('aria-busy');
		}
	}
	const research = debounce(() => { pager.reset(); load(); }, 200);
	search.addEventListener('input', research);
	active.addEventListener('change', research);

	function showCreate()
	{
		const form = h('form', { id: 'user-create', class: 'panel', 'aria-label': 'New user' },
		    h('h2', {}, 'New user'),
		    EDITABLE.slice(0, 6).map(([n, l]) => field(l, { name: n,
			required: n === 'username', autocomplete: 'off' })),
		    h('button', { class: 'primary', type: 'submit' }, 'Create user'), ' ',
		    h('button', { type: 'button', onclick: () => clear(createBox) }, 'Cancel'));
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			try {
				const r = await api('POST', tpath('/users'), { body: formValues(form) });
				go(`/users/${r.data.id}`);
			} catch (err) {
				if (ctx.alive())
					showErrors(form, err);
			}
		});
		clear(createBox, form);
		form.elements.username.focus();
	}

	clear(main, h('h1', {}, 'Users'),
	    h('div', { class: 'toolbar' },
		h('div', {}, h('label', { for: 'user-search' }, 'Search (/)'), search),
		h('div', {}, h('label', { for: 'user-active' }, 'Status'), active),
		ctx.canWrite ? h('button', { type: 'button', id: 'user-new', onclick: showCreate },
		    'New user') : ''),
	    createBox, list);
	if (ctx.canWrite && ctx.params.get('new'))
		showCreate();
	else
		search.focus();
	await load();
}

export async function userPage(main, ctx, id)
{
	let user, etag;
	const path = tpath(`/users/${id}`);
	const note = h('div', { id: 'user-note', 'aria-live': 'polite' });

	async function fetchUser()
	{
		const r = await api('GET', path);
		user = r.data;
		etag = r.etag || `"${user.version}"`;
	}

	// The server's refusal of a write, said where it belongs; 412 is
	// someone else's change.
	function refused(form, err)
	{
		if (err.status === 412) {
			clear(note, h('div', { class: 'alert', role: 'alert', id: 'user-conflict' },
			    h('strong', {}, 'Not saved: someone else changed this user since you opened it.'),
			    ' Your changes were not applied. Reload to see the current version, then make them again. ',
			    h('button', { type: 'button', id: 'user-reload', onclick: () => draw(true) },
				'Reload')));
			note.querySelector('button').focus();
		} else if (form) {
			showErrors(form, err);
		} else {
			clear(note, errorBox(err));
		}
	}

	async function draw(refetch)
	{
		if (refetch)
			await fetchUser();
		if (!ctx.alive())
			return;
		clear(note);
		const form = h('form', { id: 'user-edit', 'aria-label': 'User details' },
		    EDITABLE.map(([n, l]) => field(l, { name: n, value: user[n] ?? '',
			readonly: !ctx.canWrite, required: n === 'username', autocomplete: 'off' })),
		    ctx.canWrite ? h('button', { class: 'primary', type: 'submit', id: 'user-save' },
			'Save changes') : '');
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const body = {};
			const vals = formValues(form, true);
			for (const [n] of EDITABLE)
				if ((vals[n] ?? null) !== (user[n] ?? null))
					body[n] = vals[n];
			if (!Object.keys(body).length) {
				clear(note, h('p', {}, 'Nothing changed.'));
				return;
			}
			try {
				const r = await api('PATCH', path, { body, ifMatch: etag });
				user = r.data;
				etag = r.etag || `"${user.version}"`;
				await draw(false);
				clear(note, h('p', { class: 'okmsg', id: 'user-saved' },
				    `Saved (version ${user.version}).`));
			} catch (err) {
				if (ctx.alive())
					refused(form, err);
			}
		});

		const actions = h('div', { class: 'toolbar', id: 'user-actions' });
		if (ctx.canWrite) {
			actions.append(
			    h('button', { type: 'button', id: 'user-toggle-active', onclick: async () => {
				try {
					const r = await api('PATCH', path, { body: { active: !user.active },
					    ifMatch: etag });
					user = r.data;
					etag = r.etag || `"${user.version}"`;
					await draw(false);
					clear(note, h('p', { class: 'okmsg' },
					    user.active ? 'Activated.' : 'Deactivated.'));
				} catch (err) {
					if (ctx.alive())
						refused(null, err);
				}
			    } }, user.active ? 'Deactivate' : 'Activate'),
			    h('button', { type: 'button', class: 'danger', id: 'user-delete',
				onclick: () => confirmDelete() }, 'Delete…'));
		}
		function confirmDelete()
		{
			const box = h('div', { class: 'panel', role: 'group', 'aria-label': 'Confirm deletion' },
			    h('p', {}, `Delete ${user.username}, with their memberships and role assignments?`),
			    h('button', { type: 'button', class: 'danger', id: 'user-delete-confirm',
				onclick: async () => {
				    try {
					    await api('DELETE', path, { ifMatch: etag });
					    go('/users');
				    } catch (err) {
					    if (ctx.alive())
						    refused(null, err);
				    }
				} }, 'Delete user'), ' ',
			    h('button', { type: 'button', onclick: () => box.remove() }, 'Cancel'));
			actions.after(box);
			box.querySelector('button').focus();
		}

		const groups = h('div', { id: 'user-groups' }, h('p', { class: 'muted' }, 'Loading…'));
		const roles = h('div', { id: 'user-roles' }, h('p', { class: 'muted' }, 'Loading…'));
		clear(main, h('p', {}, h('a', { href: '#/users' }, '← Users')),
		    h('h1', {}, user.username),
		    h('p', { class: 'muted' }, `${user.active ? 'Active' : 'Inactive'} · version ${user.version}` +
			` · updated ${fmtTime(user.updatedAt)} by ${user.updatedBy || '?'}`),
		    note, actions,
		    h('div', { class: 'cols' }, h('section', { 'aria-labelledby': 'h-details' },
			h('h2', { id: 'h-details' }, 'Details'), form),
			h('section', { 'aria-labelledby': 'h-groups' }, h('h2', { id: 'h-groups' }, 'Groups'),
			    groups, h('h2', {}, 'Roles'), roles)));
		loadRelated(groups, roles);
	}

	async function loadRelated(groups, roles)
	{
		try {
			const [g, r] = await Promise.all([api('GET', `${path}/groups`, { query: { limit: 100 } }),
			    api('GET', `${path}/roles`, { query: { limit: 100 } })]);
			if (!ctx.alive())
				return;
			clear(groups, g.data.items.length ? h('ul', {}, g.data.items.map((x) =>
			    h('li', {}, h('a', { href: `#/groups/${x.id}` }, x.name), ` (${x.kind})`))) :
			    h('p', {}, 'In no group.'),
			    g.data.nextCursor ? h('p', { class: 'muted' }, 'The first 100 are shown.') : '');
			clear(roles, r.data.items.length ? h('ul', { id: 'user-role-list' }, r.data.items.map((x) =>
			    h('li', { 'data-role': x.roleId }, x.name || x.roleId,
				x.scopeType ? ` (in ${x.scopeType} ${x.scopeId})` : '',
				ctx.canWrite ? [' ', h('button', { type: 'button', class: 'take-role',
				    'aria-label': `Take the role ${x.name} away`,
				    onclick: () => roleWrite(roles, 'DELETE', x.roleId,
					x.scopeType ? { scopeType: x.scopeType, scopeId: x.scopeId } : undefined)
				}, 'Remove')] : ''))) :
			    h('p', {}, 'No role.'));
			if (ctx.canWrite)
				roles.append(await giveRoleForm(roles));
		} catch (err) {
			if (ctx.alive())
				clear(groups, errorBox(err));
		}
	}

	// A role given or taken; the list is then read again from the server.
	async function roleWrite(roles, method, roleId, body)
	{
		try {
			await api(method, `${path}/roles/${roleId}`, { body });
		} catch (err) {
			if (ctx.alive())
				roles.prepend(errorBox(err));
			return;
		}
		const groups = main.querySelector('#user-groups');
		loadRelated(groups, roles);
	}

	async function giveRoleForm(roles)
	{
		let all = [];
		try {
			all = (await api('GET', tpath('/roles'), { query: { limit: 200 } })).data.items;
		} catch { /* the form is left out */ }
		if (!all.length)
			return '';
		const form = h('form', { id: 'user-give-role', class: 'toolbar', 'aria-label': 'Give a role' },
		    selectField('Role', { name: 'roleId' }, all.map((x) => [x.id, x.name])),
		    h('div', { class: 'field' }, h('button', { type: 'submit' }, 'Give role')));
		form.addEventListener('submit', (e) => {
			e.preventDefault();
			roleWrite(roles, 'PUT', form.elements.roleId.value);
		});
		return form;
	}

	await fetchUser();
	await draw(false);
}
