// rosterd console: the shell (header, navigation, tenant, sign-in and
// sign-out), the router (#/page/...), `/` to search and the command palette
// (Ctrl+K).
import { session } from './session.js';
import { api } from './api.js';
import { h, clear, field, errorBox, go } from './ui.js';
import { usersPage, userPage } from './pages/users.js';
import { groupsPage, groupPage } from './pages/groups.js';
import { tenantsPage } from './pages/tenants.js';
import { invitesPage, acceptPage } from './pages/invites.js';
import { auditPage } from './pages/audit.js';
import { rolesPage, rolePage } from './pages/roles.js';
import { tokensPage } from './pages/tokens.js';
import { oidcConfig, startLogin, finishLogin } from './oidc.js';

const pages = [
	{ re: /^\/users$/, view: usersPage, nav: 'users' },
	{ re: /^\/users\/([0-9a-fA-F-]{36})$/, view: userPage, nav: 'users' },
	{ re: /^\/groups$/, view: groupsPage, nav: 'groups' },
	{ re: /^\/groups\/([0-9a-fA-F-]{36})$/, view: groupPage, nav: 'groups' },
	{ re: /^\/roles$/, view: rolesPage, nav: 'roles' },
	{ re: /^\/roles\/([0-9a-fA-F-]{36})$/, view: rolePage, nav: 'roles' },
	{ re: /^\/invites$/, view: invitesPage, nav: 'invites' },
	{ re: /^\/tokens$/, view: tokensPage, nav: 'tokens' },
	{ re: /^\/audit$/, view: auditPage, nav: 'audit' },
	{ re: /^\/tenants$/, view: tenantsPage, nav: 'tenants' },
];

const navItems = [
	['users', 'Users'], ['groups', 'Groups'], ['roles', 'Roles'], ['invites', 'Invites'],
	['tokens', 'API tokens'], ['audit', 'Audit log'],
	['tenants', 'Tenants', () => session.isSystemAdmin()],
];

const root = document.getElementById('app');
let generation = 0;
let tenantNames = null;	// SystemAdmin's tenant switcher
let tenantsOf = null;	// the token tenantNames was read with
let oidc = null;	// config.json's provider, if any

function route()
{
	const raw = location.hash.replace(/^#/, '') || '/users';
	const [path, qs] = raw.split('?');
	return { path, params: new URLSearchParams(qs || '') };
}

function signInView()
{
	const msg = session.message;
	const form = h('form', { class: 'panel', onsubmit: (e) => {
		e.preventDefault();
		session.signIn(form.elements.token.value);
		render();
	} },
	    field('Bearer token', { name: 'token', tag: 'textarea', required: true,
		autocomplete: 'off', spellcheck: 'false' }),
	    h('button', { class: 'primary', type: 'submit' }, 'Sign in'));
	const sso = oidc ? h('p', {}, h('button', { type: 'button', class: 'primary', id: 'signin-oidc',
	    onclick: async (e) => {
		e.target.disabled = true;
		try {
			await startLogin(oidc);
		} catch (err) {
			session.message = err.message;
			render();
		}
	    } }, `Sign in with ${oidc.name || new URL(oidc.issuer).host}`)) : '';
	clear(root, h('main', { id: 'main' },
	    h('h1', {}, 'Sign in to rosterd'),
	    msg ? h('div', { class: 'notice', role: 'alert', id: 'signin-message' }, msg) : '',
	    sso, oidc ? h('h2', {}, 'Or with a token') : '',
	    h('p', {}, 'Paste a bearer token (a JWT rosterd accepts). For development, ',
		h('code', {}, 'scripts/run'), ' prints a console address that signs in by itself.'),
	    form));
	document.title = 'Sign in · rosterd console';
	form.elements.token.focus();
}

async function loadTenants()
{
	if (tenantsOf !== session.token)
		tenantNames = null;	// another session's
	tenantsOf = session.token;
	if (!session.isSystemAdmin() || tenantNames)
		return;
	try {
		const r = await api('GET', '/v1/tenants', { query: { limit: 1000 } });
		tenantNames = r.data.items;
	} catch {
		tenantNames = [];
	}
}

function header(active)
{
	const roles = session.roles().join(', ');
	let picker = '';
	if (session.isSystemAdmin() && tenantNames?.length) {
		const known = tenantNames.some((t) => t.id === session.tenant);
		picker = h('div', {},
		    h('label', { for: 'tenant-picker', class: 'visually-hidden' }, 'Tenant'),
		    h('select', { id: 'tenant-picker', onchange: (e) => {
			session.setTenant(e.target.value);
			render();
		    } }, known ? '' : h('option', { value: session.tenant || '', selected: true, disabled: !session.tenant },
			session.tenant || 'Choose a tenant'),
			tenantNames.map((t) => h('option', { value: t.id, selected: t.id === session.tenant },
			    `${t.name} (${t.slug})`))));
	}
	return h('header', { class: 'top' },
	    h('a', { class: 'skip', href: '#main', onclick: (e) => {
		e.preventDefault();
		document.getElementById('main').focus();
	    } }, 'Skip to content'),
	    h('span', { class: 'brand' }, 'rosterd'),
	    h('nav', { 'aria-label': 'Pages' }, h('ul', {}, navItems
		.filter(([, , show]) => !show || show())
		.map(([id, text]) => h('li', {}, h('a', { href: `#/${id}`,
		    'aria-current': id === active ? 'page' : false }, text))))),
	    h('div', { class: 'who' }, picker,
		h('span', { id: 'whoami' }, `${session.claims.sub || '?'} · ${roles || 'no role'}`),
		h('button', { type: 'button', id: 'palette-open', onclick: openPalette,
		    'aria-keyshortcuts': 'Control+K' }, 'Commands'),
		h('button', { type: 'button', id: 'signout', onclick: () => session.signOut() }, 'Sign out')));
}

async function render()
{
	const gen = ++generation;
	const { path, params } = route();
	if (path === '/accept') {
		const main = h('main', { id: 'main' });
		clear(root, main);
		document.title = 'Accept an invitation · rosterd';
		acceptPage(main, params.get('token') || '');
		return;
	}
	if (!session.token) {
		signInView();
		return;
	}
	await loadTenants();
	if (gen !== generation)
		return;
	const page = pages.find((p) => p.re.test(path));
	const main = h('main', { id: 'main', tabindex: '-1' });
	clear(root, header(page?.nav), main, h('div', { id: 'status', class: 'visually-hidden',
	    role: 'status', 'aria-live': 'polite' }));
	if (!page) {
		clear(main, h('h1', {}, 'Not found'), h('p', {}, 'No such page. ',
		    h('a', { href: '#/users' }, 'Users')));
		return;
	}
	if (!session.tenant && page.nav !== 'tenants') {
		clear(main, h('h1', {}, 'No tenant'), h('p', {}, session.isSystemAdmin() ?
		    'Choose a tenant in the header, or on the Tenants page.' :
		    'The token names no tenant (no tid claim).'));
		return;
	}
	const ctx = {
		params,
		alive: () => gen === generation && session.token !== null,
		canWrite: session.canWrite(),
		refreshTenants: () => { tenantNames = null; },
	};
	const m = page.re.exec(path);
	document.title = `${page.nav[0].toUpperCase()}${page.nav.slice(1)} · rosterd console`;
	try {
		await page.view(main, ctx, ...m.slice(1));
	} catch (err) {
		if (ctx.alive())
			main.append(errorBox(err));
	}
}

// ---- keyboard: `/` searches, Ctrl+K (or Cmd+K) opens the palette

function commands()
{
	const list = [
		['Go to users', () => go('/users')],
		['Go to groups', () => go('/groups')],
		['Go to roles', () => go('/roles')],
		['Go to invites', () => go('/invites')],
		['Go to API tokens', () => go('/tokens')],
		['Go to the audit log', () => go('/audit')],
	];
	if (session.isSystemAdmin())
		list.push(['Go to tenants', () => go('/tenants')]);
	if (session.canWrite()) {
		list.push(['New user', () => go('/users?new=1')]);
		list.push(['New group', () => go('/groups?new=1')]);
		list.push(['New role', () => go('/roles?new=1')]);
		list.push(['New invite', () => go('/invites?new=1')]);
		list.push(['New API token', () => go('/tokens?new=1')]);
	}
	list.push(['Sign out', () => session.signOut()]);
	return list;
}

function openPalette()
{
	if (!session.token || document.getElementById('palette'))
		return;
	const all = commands();
	let shown = all, sel = 0;
	const input = h('input', { id: 'palette-input', type: 'text', role: 'combobox',
	    'aria-expanded': 'true', 'aria-controls': 'palette-list', autocomplete: 'off',
	    'aria-label': 'Command' });
	const ul = h('ul', { id: 'palette-list', role: 'listbox', 'aria-label': 'Commands' });
	const dlg = h('dialog', { id: 'palette', class: 'palette', 'aria-label': 'Command palette' },
	    h('label', { for: 'palette-input' }, 'Type a command'), input, ul);
	const draw = () => {
		clear(ul, shown.map(([t], i) => h('li', { role: 'option', id: `cmd-${i}`,
		    'aria-selected': i === sel ? 'true' : 'false',
		    onclick: () => run(i) }, t)));
		input.setAttribute('aria-activedescendant', shown.length ? `cmd-${sel}` : '');
	};
	const run = (i) => {
		const c = shown[i];
		dlg.close();
		if (c)
			c[1]();
	};
	input.addEventListener('input', () => {
		const q = input.value.toLowerCase();
		shown = all.filter(([t]) => t.toLowerCase().includes(q));
		sel = 0;
		draw();
	});
	input.addEventListener('keydown', (e) => {
		if (e.key === 'ArrowDown') {
			sel = Math.min(sel + 1, shown.length - 1);
			draw();
			e.preventDefault();
		} else if (e.key === 'ArrowUp') {
			sel = Math.max(sel - 1, 0);
			draw();
			e.preventDefault();
		} else if (e.key === 'Enter') {
			e.preventDefault();
			run(sel);
		}
	});
	dlg.addEventListener('close', () => dlg.remove());
	document.body.append(dlg);
	draw();
	dlg.showModal();
	input.focus();
}

document.addEventListener('keydown', (e) => {
	const t = e.target;
	const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement ||
	    t instanceof HTMLSelectElement || t.isContentEditable;
	if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k') {
		e.preventDefault();
		openPalette();
	} else if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
		const s = document.querySelector('[data-search]');
		if (s) {
			e.preventDefault();
			s.focus();
			s.select?.();
		}
	}
});

async function start()
{
	oidc = await oidcConfig();
	try {
		const token = await finishLogin(oidc);
		if (token)
			session.signIn(token);
	} catch (err) {
		session.message = err.message;
	}
	session.load();
	render();
}

session.onchange = render;
// A sign-in address (#token=...) opened in a tab that runs the console
// already signs in too.
window.addEventListener('hashchange', () => {
	if (/(?:^#|&)token=/.test(location.hash))
		session.load();
	render();
});
start();
