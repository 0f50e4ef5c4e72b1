// Roles: the tenant's roles a page at a time, create; one role: edit its
// name and description with If-Match, delete. The API has no list of the
// users holding a role, so a role's page shows none (a user's page shows
// their roles).
import { api, tpath } from '../api.js';
import { h, clear, field, fmtTime, formValues, status, go, table, pagedList, submitTo,
    editResource } from '../ui.js';

const EDITABLE = [['name', 'Name'], ['description', 'Description']];

function kindOf(r)
{
	return [r.isSystemAdmin ? 'system administrator' : '', r.isGroupAdmin ? 'group administrator' : '']
	    .filter(Boolean).join(', ');
}

export async function rolesPage(main, ctx)
{
	const list = h('div', { id: 'role-list' });
	const createBox = h('div');
	const pager = pagedList(ctx, list, 'Role pages',
	    (cursor) => api('GET', tpath('/roles'), { query: { limit: 50, cursor } }),
	    (items) => items.length ? table({ id: 'roles-table', class: 'wide' }, 'Roles',
		['Name', 'Description', 'Administers', 'Updated'],
		items.map((x) => h('tr', { 'data-id': x.id },
		    h('td', {}, h('a', { href: `#/roles/${x.id}` }, x.name)),
		    h('td', {}, x.description || ''), h('td', {}, kindOf(x)),
		    h('td', {}, fmtTime(x.updatedAt))))) : h('p', {}, 'No role.'),
	    { shown: (items) => status(`${items.length} roles shown`) });

	// isSystemAdmin is never offered: the API refuses it to a TenantAdmin,
	// and a SystemAdmin makes such roles with rosterctl.
	function showCreate()
	{
		const form = h('form', { id: 'role-create', class: 'panel', 'aria-label': 'New role' },
		    h('h2', {}, 'New role'),
		    field('Name', { name: 'name', required: true, autocomplete: 'off' }),
		    field('Description', { name: 'description', autocomplete: 'off' }),
		    field('Group administrator (administers the groups it is given in)',
			{ name: 'isGroupAdmin', type: 'checkbox' }),
		    h('button', { class: 'primary', type: 'submit' }, 'Create role'), ' ',
		    h('button', { type: 'button', onclick: () => clear(createBox) }, 'Cancel'));
		submitTo(form, ctx, async () => {
			const r = await api('POST', tpath('/roles'), { body: formValues(form) });
			go(`/roles/${r.data.id}`);
		});
		clear(createBox, form);
		form.elements.name.focus();
	}

	clear(main, h('h1', {}, 'Roles'),
	    ctx.canWrite ? h('div', { class: 'toolbar' },
		h('button', { type: 'button', id: 'role-new', onclick: showCreate }, 'New role')) : '',
	    createBox, list);
	if (ctx.canWrite && ctx.params.get('new'))
		showCreate();
	await pager.load();
}

export async function rolePage(main, ctx, id)
{
	await editResource(main, ctx, { path: tpath(`/roles/${id}`), name: 'role', fields: EDITABLE,
	    required: 'name', back: '/roles',
	    confirm: (role) => `Delete the role ${role.name}, and take it from everyone who holds it?`,
	    page: (role, { note, actions, form }) => {
		const kind = kindOf(role);
		return [h('p', {}, h('a', { href: '#/roles' }, '← Roles')),
		    h('h1', {}, role.name),
		    h('p', { class: 'muted' }, `${kind ? `Administers: ${kind} · ` : ''}version ${role.version}` +
			` · updated ${fmtTime(role.updatedAt)}`),
		    note, actions,
		    h('section', { 'aria-labelledby': 'h-role-details' },
			h('h2', { id: 'h-role-details' }, 'Details'), form)];
	    } });
}
