// Roles: the tenant's roles a page at a time, create; one role: edit its
// name and description with If-Match, delete. The API has no list of the
// users holding a role, so a role's page shows none (a user's page shows
// their roles).
import { api, tpath } from '../api.js';
import { h, clear, field, showErrors, clearErrors, errorBox, fmtTime,
    formValues, Pager, status, go } from '../ui.js';

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
	let seq = 0;
	const pager = new Pager(load);
	async function load()
	{
		const mine = ++seq;
		try {
			const r = await api('GET', tpath('/roles'), { query: { limit: 50, cursor: pager.cursor } });
			if (mine !== seq || !ctx.alive())
				return;
			pager.next = r.data.nextCursor;
			clear(list, r.data.items.length ? h('table', { id: 'roles-table', class: 'wide' },
			    h('caption', { class: 'visually-hidden' }, 'Roles'),
			    h('thead', {}, h('tr', {}, ['Name', 'Description', 'Administers', 'Updated']
				.map((t) => h('th', { scope: 'col' }, t)))),
			    h('tbody', {}, r.data.items.map((x) => h('tr', { 'data-id': x.id },
				h('td', {}, h('a', { href: `#/roles/${x.id}` }, x.name)),
				h('td', {}, x.description || ''), h('td', {}, kindOf(x)),
				h('td', {}, fmtTime(x.updatedAt)))))) : h('p', {}, 'No role.'),
			    pager.controls('Role pages'));
			status(`${r.data.items.length} roles shown`);
		} catch (err) {
			if (mine === seq && ctx.alive())
				clear(list, errorBox(err));
		}
	}

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
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			try {
				const r = await api('POST', tpath('/roles'), { body: formValues(form) });
				go(`/roles/${r.data.id}`);
			} catch (err) {
				if (ctx.alive())
					showErrors(form, err);
			}
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
	await load();
}

export async function rolePage(main, ctx, id)
{
	let role, etag;
	const path = tpath(`/roles/${id}`);
	const note = h('div', { id: 'role-note', 'aria-live': 'polite' });

	async function fetchRole()
	{
		const r = await api('GET', path);
		role = r.data;
		etag = r.etag || `"${role.version}"`;
	}

	// The server's refusal of a write, said where it belongs; 412 is
	// someone else's change.
	function refused(form, err)
	{
		if (err.status === 412) {
			clear(note, h('div', { class: 'alert', role: 'alert', id: 'role-conflict' },
			    h('strong', {}, 'Not saved: someone else changed this role since you opened it.'),
			    ' Your changes were not applied. Reload to see the current version, then make them again. ',
			    h('button', { type: 'button', id: 'role-reload', onclick: () => draw(true) },
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
			await fetchRole();
		if (!ctx.alive())
			return;
		clear(note);
		const form = h('form', { id: 'role-edit', 'aria-label': 'Role details' },
		    EDITABLE.map(([n, l]) => field(l, { name: n, value: role[n] ?? '',
			readonly: !ctx.canWrite, required: n === 'name', autocomplete: 'off' })),
		    ctx.canWrite ? h('button', { class: 'primary', type: 'submit', id: 'role-save' },
			'Save changes') : '');
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const body = {};
			const vals = formValues(form, true);
			for (const [n] of EDITABLE)
				if ((vals[n] ?? null) !== (role[n] ?? null))
					body[n] = vals[n];
			if (!Object.keys(body).length) {
				clear(note, h('p', {}, 'Nothing changed.'));
				return;
			}
			try {
				const r = await api('PATCH', path, { body, ifMatch: etag });
				role = r.data;
				etag = r.etag || `"${role.version}"`;
				await draw(false);
				clear(note, h('p', { class: 'okmsg', id: 'role-saved' },
				    `Saved (version ${role.version}).`));
			} catch (err) {
				if (ctx.alive())
					refused(form, err);
			}
		});

		const actions = h('div', { class: 'toolbar', id: 'role-actions' });
		if (ctx.canWrite)
			actions.append(h('button', { type: 'button', class: 'danger', id: 'role-delete',
			    onclick: () => confirmDelete() }, 'Delete…'));
		function confirmDelete()
		{
			const box = h('div', { class: 'panel', role: 'group', 'aria-label': 'Confirm deletion' },
			    h('p', {}, `Delete the role ${role.name}, and take it from everyone who holds it?`),
			    h('button', { type: 'button', class: 'danger', id: 'role-delete-confirm',
				onclick: async () => {
				    try {
					    await api('DELETE', path, { ifMatch: etag });
					    go('/roles');
				    } catch (err) {
					    if (ctx.alive())
						    refused(null, err);
				    }
				} }, 'Delete role'), ' ',
			    h('button', { type: 'button', onclick: () => box.remove() }, 'Cancel'));
			actions.after(box);
			box.querySelector('button').focus();
		}

		const kind = kindOf(role);
		clear(main, h('p', {}, h('a', { href: '#/roles' }, '← Roles')),
		    h('h1', {}, role.name),
		    h('p', { class: 'muted' }, `${kind ? `Administers: ${kind} · ` : ''}version ${role.version}` +
			` · updated ${fmtTime(role.updatedAt)}`),
		    note, actions,
		    h('section', { 'aria-labelledby': 'h-role-details' },
			h('h2', { id: 'h-role-details' }, 'Details'), form));
	}

	await fetchRole();
	await draw(false);
}
