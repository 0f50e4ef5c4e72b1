// Groups: list by kind, create; one group: its members a page at a time,
// remove one, and bulk add by pasting ids, usernames or e-mails (or
// dropping a CSV), with the server's answer per item.
import { api, tpath } from '../api.js';
import { h, clear, field, selectField, showErrors, clearErrors, errorBox, fmtTime,
    formValues, status, go, table, pagedList, submitTo } from '../ui.js';

const KINDS = ['security', 'user', 'admin', 'privilege'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BULK_MAX = 10000;	// ids, usernames and e-mails per request (the API's cap)

export async function groupsPage(main, ctx)
{
	const kind = h('select', { id: 'group-kind' }, h('option', { value: '' }, 'all'),
	    KINDS.map((k) => h('option', { value: k }, k)));
	const list = h('div', { id: 'group-list' });
	const createBox = h('div');
	const pager = pagedList(ctx, list, 'Group pages', (cursor) => api('GET', tpath('/groups'),
	    { query: { kind: kind.value, limit: 50, cursor } }),
	    (items) => items.length ? table({ id: 'groups-table' }, 'Groups',
		['Name', 'Code', 'Kind', 'Description'],
		items.map((g) => h('tr', { 'data-id': g.id },
		    h('td', {}, h('a', { href: `#/groups/${g.id}` }, g.name)),
		    h('td', {}, g.code), h('td', {}, g.kind + (g.isDefault ? ' (default)' : '')),
		    h('td', {}, g.description || '')))) : h('p', {}, 'No group.'));
	kind.addEventListener('change', () => { pager.reset(); pager.load(); });

	function showCreate()
	{
		const form = h('form', { id: 'group-create', class: 'panel', 'aria-label': 'New group' },
		    h('h2', {}, 'New group'),
		    selectField('Kind', { name: 'kind', value: 'security' }, KINDS.map((k) => [k, k])),
		    field('Code', { name: 'code', required: true, autocomplete: 'off' }),
		    field('Name', { name: 'name', required: true, autocomplete: 'off' }),
		    field('Description', { name: 'description', autocomplete: 'off' }),
		    h('button', { class: 'primary', type: 'submit' }, 'Create group'), ' ',
		    h('button', { type: 'button', onclick: () => clear(createBox) }, 'Cancel'));
		submitTo(form, ctx, async () => {
			const r = await api('POST', tpath('/groups'), { body: formValues(form) });
			go(`/groups/${r.data.id}`);
		});
		clear(createBox, form);
		form.elements.kind.focus();
	}

	clear(main, h('h1', {}, 'Groups'),
	    h('div', { class: 'toolbar' },
		h('div', {}, h('label', { for: 'group-kind' }, 'Kind'), kind),
		ctx.canWrite ? h('button', { type: 'button', id: 'group-new', onclick: showCreate },
		    'New group') : ''),
	    createBox, list);
	if (ctx.canWrite && ctx.params.get('new'))
		showCreate();
	await pager.load();
}

// The header cells that name a user, the surest first.
const ID_COLUMNS = [/^(id|userid|user_id)$/i, /^username$/i, /^(email|e-mail)$/i];
const isIdColumn = (s) => ID_COLUMNS.some((re) => re.test(s));
const unquote = (s) => s.replace(/^["']+|["']+$/g, '').trim();

// The rows of a CSV (RFC 4180: quoted cells, "" in them), cells split on
// delim.
function csvRows(text, delim)
{
	const rows = [];
	let row = [], cell = '', quoted = false;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c !== '"')
				cell += c;
			else if (text[i + 1] === '"')
				cell += text[++i];
			else
				quoted = false;
		} else if (c === '"' && cell === '')
			quoted = true;
		else if (c === delim) {
			row.push(cell);
			cell = '';
		} else if (c === '\n' || c === '\r') {
			if (c === '\r' && text[i + 1] === '\n')
				i++;
			row.push(cell);
			rows.push(row);
			row = [];
			cell = '';
		} else
			cell += c;
	}
	if (cell !== '' || row.length)
		rows.push([...row, cell]);
	return rows;
}

// The entries of a paste or a CSV, each once. A CSV with a header row
// (rosterd's export, a spreadsheet's) gives one entry a row: its id, else
// its username, else its e-mail; its other cells (names, titles) are no
// users. Anything else is split on white space, commas and semicolons,
// quotes and a header cell dropped.
export function parseEntries(text)
{
	const seen = new Set();
	let dups = 0;
	const add = (s) => {
		s = unquote(s);
		if (!s || isIdColumn(s))
			return;
		const key = UUID.test(s) ? s.toLowerCase() : s;
		if (seen.has(key))
			dups++;
		else
			seen.add(key);
	};
	text = text.replace(/^\uFEFF/, '');
	const first = text.split(/\r?\n/, 1)[0];
	const delim = [',', ';', '\t'].find((d) => first.includes(d));
	const head = delim ? first.split(delim).map(unquote) : [];
	const cols = ID_COLUMNS.map((re) => head.findIndex((s) => re.test(s)))
	    .filter((i) => i >= 0);
	if (head.length > 1 && cols.length) {
		for (const row of csvRows(text, delim).slice(1)) {
			const i = cols.find((c) => unquote(row[c] || '') !== '');
			if (i !== undefined)
				add(row[i]);
		}
	} else
		for (const s of text.split(/[\s,;]+/))
			add(s);
	return { entries: [...seen], dups };
}

const bytes = (s) => new TextEncoder().encode(s).length;

// The body member an entry goes in: an id, an e-mail (it has an @ and is
// no longer than an e-mail may be, 254 bytes), else a username.
function keyOf(entry)
{
	if (UUID.test(entry))
		return 'userIds';
	return entry.includes('@') && bytes(entry) <= 254 ? 'emails' : 'usernames';
}

// One add request's body: entries grouped by the member they go in.
function bodyOf(entries)
{
	const body = {};
	for (const e of entries)
		(body[keyOf(e)] ||= []).push(e);
	return body;
}

export async function groupPage(main, ctx, id)
{
	const gpath = tpath(`/groups/${id}`);
	const r = await api('GET', gpath);
	if (!ctx.alive())
		return;
	let group = r.data;
	let etag = r.etag || `"${group.version}"`;
	const members = h('div', { id: 'member-list' });
	const note = h('div', { id: 'group-note', 'aria-live': 'polite' });
	const pager = pagedList(ctx, members, 'Member pages',
	    (cursor) => api('GET', `${gpath}/members`, { query: { limit: 50, cursor } }),
	    (items) => items.length ? table({ id: 'members-table', class: 'wide' }, 'Members',
		['Username', 'E-mail', 'Active', 'Added', ctx.canWrite ? 'Action' : ''].filter(Boolean),
		items.map((u) => h('tr', { 'data-id': u.userId },
		    h('td', {}, h('a', { href: `#/users/${u.userId}` }, u.username)),
		    h('td', {}, u.email || ''), h('td', {}, u.active ? 'yes' : 'no'),
		    h('td', {}, `${fmtTime(u.addedAt)} by ${u.addedBy || '?'}`),
		    ctx.canWrite ? h('td', {}, h('button', { type: 'button',
			'aria-label': `Remove ${u.username}`, onclick: async (e) => {
			    e.target.disabled = true;
			    try {
				    await api('DELETE', `${gpath}/members/${u.userId}`);
			    } catch (err) {
				    // beside the list, which the reload replaces
				    if (ctx.alive())
					    clear(note, errorBox(err));
			    }
			    loadMembers();
			} }, 'Remove')) : ''))) : h('p', { id: 'members-empty' }, 'No member.'));
	const loadMembers = () => pager.load();

	const bulk = ctx.canWrite ? bulkPanel() : '';
	function bulkPanel()
	{
		const result = h('div', { id: 'bulk-result', 'aria-live': 'polite' });
		const file = h('input', { type: 'file', id: 'bulk-file', accept: '.csv,.txt,text/csv,text/plain' });
		const form = h('form', { id: 'bulk-form', class: 'panel', 'aria-label': 'Add members' },
		    h('h2', {}, 'Add members'),
		    h('p', { class: 'muted', id: 'bulk-help' }, 'Paste user ids, usernames or e-mail addresses, ' +
			'separated by new lines, commas or spaces, or choose a CSV file.'),
		    field('Users to add', { tag: 'textarea', name: 'userIds', id: 'bulk-text',
			'aria-describedby': 'bulk-help', spellcheck: 'false' }),
		    h('div', { class: 'field' }, h('label', { for: 'bulk-file' }, 'Or a CSV file'), file),
		    h('button', { class: 'primary', type: 'submit', id: 'bulk-submit' }, 'Add members'),
		    result);
		file.addEventListener('change', async () => {
			if (file.files[0])
				form.elements.userIds.value = await file.files[0].text();
		});
		form.addEventListener('dragover', (e) => e.preventDefault());
		form.addEventListener('drop', async (e) => {
			e.preventDefault();
			const f = e.dataTransfer.files[0];
			if (f)
				form.elements.userIds.value = await f.text();
		});
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			clearErrors(form);
			const button = form.querySelector('#bulk-submit');
			button.disabled = true;
			try {
				await bulkAdd(form, result);
			} finally {
				button.disabled = false;
			}
			loadMembers();
		});
		return form;
	}

	// The entries are sent as they are, BULK_MAX a request: the server
	// looks the names up (ignoring case) and adds them in one statement.
	// An entry with an @ that is no user's e-mail is tried once more as a
	// username (a username may hold an @); one longer than a username may
	// be (256 bytes) names nobody and is not sent.
	async function bulkAdd(form, result)
	{
		const { entries, dups } = parseEntries(form.elements.userIds.value);
		if (!entries.length) {
			clear(result, h('p', { role: 'alert' }, 'Nothing to add: paste ids, usernames or e-mails.'));
			return;
		}
		const asSent = new Map(entries.filter((e) => UUID.test(e)).map((e) => [e.toLowerCase(), e]));
		const unknown = entries.filter((e) => bytes(e) > 256);
		const total = { added: 0, alreadyMember: 0, notFound: unknown };
		// The entries of list added, BULK_MAX a request (bodyFor makes
		// each body); the ones not found, as sent.
		async function send(list, bodyFor, progress)
		{
			const missed = [];
			for (let i = 0; i < list.length; i += BULK_MAX) {
				if (progress)
					clear(result, h('p', {}, `Adding ${Math.min(i + BULK_MAX, list.length)} of ${list.length}…`));
				const a = await api('POST', `${gpath}/members`, { body: bodyFor(list.slice(i, i + BULK_MAX)) });
				total.added += a.data.added.length;
				total.alreadyMember += a.data.alreadyMember.length;
				for (const x of a.data.notFound)
					missed.push(asSent.get(x.toLowerCase()) || x);
			}
			return missed;
		}
		try {
			const missed = await send(entries.filter((e) => bytes(e) <= 256), bodyOf, true);
			unknown.push(...missed.filter((e) => keyOf(e) !== 'emails'));
			unknown.push(...await send(missed.filter((e) => keyOf(e) === 'emails'),
			    (list) => ({ usernames: list }), false));
		} catch (err) {
			if (!ctx.alive())
				return;
			clear(result);
			showErrors(form, err);
			if (total.added || total.alreadyMember)
				result.append(h('p', {}, `Batches before the failure were applied: ${total.added} added.`));
			return;
		}
		if (!ctx.alive())
			return;
		clear(result, h('div', { class: 'counts', id: 'bulk-counts' },
		    h('span', {}, 'Added: ', h('strong', { id: 'bulk-added' }, total.added)),
		    h('span', {}, 'Already a member: ', h('strong', { id: 'bulk-already' }, total.alreadyMember)),
		    h('span', {}, 'Not found: ', h('strong', { id: 'bulk-notfound' }, unknown.length))),
		    dups ? h('p', { class: 'muted' }, `${dups} repeated entries counted once.`) : '',
		    unknown.length ? h('details', {}, h('summary', {}, 'Entries not found'),
			h('ul', { id: 'bulk-notfound-list' }, unknown.slice(0, 200).map((u) => h('li', {}, u))),
			unknown.length > 200 ? h('p', {}, `and ${unknown.length - 200} more`) : '') : '');
		status(`Added ${total.added}, already members ${total.alreadyMember}, not found ${unknown.length}`);
	}

	// Name and description, with If-Match; delete, asked once more.
	function editForm()
	{
		const form = h('form', { id: 'group-edit', class: 'panel', 'aria-label': 'Edit the group' },
		    field('Name', { name: 'name', value: group.name, required: true, autocomplete: 'off' }),
		    field('Description', { name: 'description', value: group.description || '',
			autocomplete: 'off' }),
		    h('button', { class: 'primary', type: 'submit', id: 'group-save' }, 'Save'), ' ',
		    h('button', { type: 'button', class: 'danger', id: 'group-delete', onclick: () => {
			const box = h('div', { role: 'group', 'aria-label': 'Confirm deletion' },
			    h('p', {}, `Delete the group ${group.name}? Its memberships go with it.`),
			    h('button', { type: 'button', class: 'danger', id: 'group-delete-confirm',
				onclick: async () => {
				    try {
					    await api('DELETE', gpath, { ifMatch: etag });
					    location.hash = '#/groups';
				    } catch (err) {
					    if (ctx.alive())
						    showErrors(form, err);
				    }
				} }, 'Delete group'), ' ',
			    h('button', { type: 'button', onclick: () => box.remove() }, 'Cancel'));
			form.append(box);
			box.querySelector('button').focus();
		    } }, 'Delete…'));
		submitTo(form, ctx, async () => {
			const v = formValues(form, true);
			const u = await api('PATCH', gpath, { ifMatch: etag,
			    body: { name: v.name, description: v.description } });
			group = u.data;
			etag = u.etag || `"${group.version}"`;
			main.querySelector('h1').textContent = group.name;
			clear(note, h('p', { class: 'okmsg', id: 'group-saved' }, `Saved (version ${group.version}).`));
		}, (err) => {
			if (err.status === 412)
				err.problem = { title: 'Not saved: someone else changed this group meanwhile',
				    detail: 'Reload the page to see their version.' };
			showErrors(form, err);
		});
		return h('details', {}, h('summary', {}, 'Edit or delete the group'), form);
	}

	clear(main, h('p', {}, h('a', { href: '#/groups' }, '← Groups')),
	    h('h1', {}, group.name),
	    h('p', { class: 'muted' }, `${group.kind} · code ${group.code}` +
		(group.isDefault ? ' · the default group' : '') + ` · version ${group.version}`),
	    group.description ? h('p', {}, group.description) : '',
	    note, ctx.canWrite ? editForm() : '',
	    bulk ? h('section', { 'aria-label': 'Bulk add' }, bulk) : '',
	    h('section', { 'aria-labelledby': 'h-members' }, h('h2', { id: 'h-members' }, 'Members'), members));
	await loadMembers();
}
