// Users: search as you type, cursor pages, create; one user: edit with
// If-Match, deactivate, delete, groups and roles.
import { api, allItems, tpath } from '../api.js';
import { h, clear, field, selectField, errorBox, fmtTime, debounce, formValues, status, go,
    table, pagedList, submitTo, editResource } from '../ui.js';

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

	const pager = pagedList(ctx, list, 'User pages', (cursor) => api('GET', tpath('/users'),
	    { query: { q: search.value.trim(), active: active.value, limit: PAGE, cursor } }),
	    (items) => items.length ? table({ class: 'wide', id: 'users-table' }, 'Users',
		['Username', 'E-mail', 'Name', 'Active', 'Updated'],
		items.map((u) => h('tr', { 'data-id': u.id },
		    h('td', {}, h('a', { href: `#/users/${u.id}` }, u.username)),
		    h('td', {}, u.email || ''), h('td', {}, fullName(u)),
		    h('td', {}, u.active ? 'yes' : 'no'), h('td', {}, fmtTime(u.updatedAt))))) :
		h('p', { id: 'users-empty' }, 'No user matches.'),
	    { busy: true, shown: (items) => {
		performance.mark('rosterd:users-rendered');	// bench/console.py reads it
		status(`${items.length} users shown`);
	    } });
	const research = debounce(() => { pager.reset(); pager.load(); }, 200);
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
		submitTo(form, ctx, async () => {
			const r = await api('POST', tpath('/users'), { body: formValues(form) });
			go(`/users/${r.data.id}`);
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
	await pager.load();
}

export async function userPage(main, ctx, id)
{
	const path = tpath(`/users/${id}`);
	let groups, roles;

	await editResource(main, ctx, { path, name: 'user', fields: EDITABLE, required: 'username',
	    back: '/users',
	    confirm: (user) => `Delete ${user.username}, with their memberships and role assignments?`,
	    actions: (user, patch) => [h('button', { type: 'button', id: 'user-toggle-active',
		onclick: () => patch({ active: !user.active },
		    (u) => h('p', { class: 'okmsg' }, u.active ? 'Activated.' : 'Deactivated.')) },
		user.active ? 'Deactivate' : 'Activate')],
	    page: (user, { note, actions, form }) => {
		groups = h('div', { id: 'user-groups' }, h('p', { class: 'muted' }, 'Loading…'));
		roles = h('div', { id: 'user-roles' }, h('p', { class: 'muted' }, 'Loading…'));
		return [h('p', {}, h('a', { href: '#/users' }, '← Users')),
		    h('h1', {}, user.username),
		    h('p', { class: 'muted' }, `${user.active ? 'Active' : 'Inactive'} · version ${user.version}` +
			` · updated ${fmtTime(user.updatedAt)} by ${user.updatedBy || '?'}`),
		    note, actions,
		    h('div', { class: 'cols' }, h('section', { 'aria-labelledby': 'h-details' },
			h('h2', { id: 'h-details' }, 'Details'), form),
			h('section', { 'aria-labelledby': 'h-groups' }, h('h2', { id: 'h-groups' }, 'Groups'),
			    groups, h('h2', {}, 'Roles'), roles))];
	    },
	    drawn: () => loadRelated(groups, roles) });

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
			all = await allItems(tpath('/roles'));
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
}
