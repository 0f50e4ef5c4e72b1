// Tenants (SystemAdmin): list, create, rename (If-Match), delete confirmed
// by typing the slug, and switch the console to one.
import { api } from '../api.js';
import { session } from '../session.js';
import { h, clear, field, showErrors, clearErrors, fmtTime, formValues, go, table, pagedList,
    submitTo } from '../ui.js';

export async function tenantsPage(main, ctx)
{
	if (!session.isSystemAdmin()) {
		clear(main, h('h1', {}, 'Tenants'),
		    h('p', { id: 'tenants-forbidden' }, 'Only a SystemAdmin manages tenants.'));
		return;
	}
	const list = h('div', { id: 'tenant-list' });
	const box = h('div', { 'aria-live': 'polite' });
	const pager = pagedList(ctx, list, 'Tenant pages',
	    (cursor) => api('GET', '/v1/tenants', { query: { limit: 50, cursor } }),
	    (items) => table({ id: 'tenants-table', class: 'wide' }, 'Tenants',
		['Name', 'Slug', 'Actions', 'Created'], items.map(row)));
	const load = () => pager.load();

	function row(t)
	{
		return h('tr', { 'data-id': t.id, 'data-slug': t.slug },
		    h('td', {}, t.name, t.id === session.tenant ? h('span', { class: 'muted' }, ' (current)') : ''),
		    h('td', {}, h('code', {}, t.slug)),
		    h('td', {},
			h('button', { type: 'button', onclick: () => { session.setTenant(t.id); go('/users'); } },
			    'Open'), ' ',
			h('button', { type: 'button', class: 'rename', 'aria-label': `Rename ${t.slug}`,
			    onclick: () => rename(t) }, 'Rename'), ' ',
			h('button', { type: 'button', class: 'danger delete', 'aria-label': `Delete ${t.slug}`,
			    onclick: () => remove(t) }, 'Delete…')),
		    h('td', {}, fmtTime(t.createdAt)));
	}

	function rename(t)
	{
		const form = h('form', { id: 'tenant-rename', class: 'panel', 'aria-label': `Rename ${t.slug}` },
		    h('h2', {}, `Rename ${t.slug}`),
		    field('Name', { name: 'name', value: t.name, required: true, autocomplete: 'off' }),
		    h('button', { class: 'primary', type: 'submit' }, 'Save'), ' ',
		    h('button', { type: 'button', onclick: () => clear(box) }, 'Cancel'));
		submitTo(form, ctx, async () => {
			await api('PATCH', `/v1/tenants/${t.id}`, { body: formValues(form),
			    ifMatch: `"${t.version}"` });
			clear(box, h('p', { class: 'okmsg' }, 'Renamed.'));
			ctx.refreshTenants();
			load();
		}, (err) => {
			if (err.status === 412)
				err.problem = { title: 'Not saved: someone else changed this tenant meanwhile',
				    detail: 'Cancel, and rename it again from the refreshed list.' };
			showErrors(form, err);
			if (err.status === 412)
				load();
		});
		clear(box, form);
		form.elements.name.focus();
	}

	function remove(t)
	{
		const input = h('input', { id: 'tenant-confirm', name: 'confirm', autocomplete: 'off' });
		const button = h('button', { class: 'danger', type: 'submit', disabled: true,
		    id: 'tenant-delete-confirm' }, 'Delete this tenant and everything in it');
		const form = h('form', { class: 'panel', id: 'tenant-delete', 'aria-label': `Delete ${t.slug}` },
		    h('h2', {}, `Delete ${t.name}`),
		    h('p', {}, 'Every user, group, role, invitation and audit row of this tenant is deleted. ' +
			'This cannot be undone.'),
		    h('div', { class: 'field' }, h('label', { for: 'tenant-confirm' },
			`Type the tenant's slug, ${t.slug}, to confirm`), input),
		    button, ' ', h('button', { type: 'button', onclick: () => clear(box) }, 'Cancel'));
		input.addEventListener('input', () => { button.disabled = input.value !== t.slug; });
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			if (input.value !== t.slug)
				return;
			clearErrors(form);
			try {
				await api('DELETE', `/v1/tenants/${t.id}`, { query: { confirm: input.value } });
				clear(box, h('p', { class: 'okmsg' }, `Deleted ${t.slug}.`));
				ctx.refreshTenants();
				load();
			} catch (err) {
				if (ctx.alive())
					showErrors(form, err);
			}
		});
		clear(box, form);
		input.focus();
	}

	function create()
	{
		const form = h('form', { id: 'tenant-create', class: 'panel', 'aria-label': 'New tenant' },
		    h('h2', {}, 'New tenant'),
		    field('Name', { name: 'name', required: true, autocomplete: 'off' }),
		    field('Slug (optional: made from the name)', { name: 'slug', autocomplete: 'off' }),
		    h('button', { class: 'primary', type: 'submit' }, 'Create tenant'), ' ',
		    h('button', { type: 'button', onclick: () => clear(box) }, 'Cancel'));
		submitTo(form, ctx, async () => {
			const r = await api('POST', '/v1/tenants', { body: formValues(form) });
			clear(box, h('p', { class: 'okmsg' }, `Created ${r.data.slug}.`));
			ctx.refreshTenants();
			load();
		});
		clear(box, form);
		form.elements.name.focus();
	}

	clear(main, h('h1', {}, 'Tenants'),
	    h('div', { class: 'toolbar' }, h('button', { type: 'button', id: 'tenant-new', onclick: create },
		'New tenant')), box, list);
	await load();
}
