// The signed-in session: the bearer token lives in memory and in
// sessionStorage (this tab only, gone when it closes); never in
// localStorage or a cookie.

const KEY = 'rosterd.console.token';
const TENANT_KEY = 'rosterd.console.tenant';

function decodeClaims(token)
{
	const part = token.split('.')[1];
	if (!part)
		return null;
	try {
		const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
		const bin = atob(b64 + '='.repeat((4 - b64.length % 4) % 4));
		const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
		return JSON.parse(new TextDecoder().decode(bytes));
	} catch {
		return null;
	}
}

export const session = {
	token: null,
	claims: {},
	tenant: null,		// the tenant the pages act on
	message: null,		// why the sign-in screen is shown
	onchange: () => {},
	timer: null,

	// A token from the address bar's fragment (#token=...) is taken and
	// removed from the address bar and the history; else the tab's.
	load()
	{
		const m = /(?:^#|&)token=([^&]+)/.exec(location.hash);
		if (m) {
			const rest = location.hash.replace(/(?:^#|&)token=[^&]+&?/, '#').replace(/^#$/, '');
			history.replaceState(null, '', location.pathname + location.search +
			    (rest && rest !== '#' ? rest : '#/users'));
			this.signIn(decodeURIComponent(m[1]));
			return;
		}
		const t = sessionStorage.getItem(KEY);
		if (t)
			this.signIn(t);
	},

	// false when the token cannot be one (not a JWT, or already expired).
	signIn(token)
	{
		token = token.trim().replace(/^Bearer\s+/i, '');
		const claims = decodeClaims(token);
		if (!claims) {
			this.message = 'That is not a token (a JWT has three parts separated by dots).';
			return false;
		}
		if (claims.exp && claims.exp * 1000 <= Date.now()) {
			this.message = 'That token has expired. Sign in again.';
			return false;
		}
		this.token = token;
		this.claims = claims;
		this.message = null;
		sessionStorage.setItem(KEY, token);
		const saved = sessionStorage.getItem(TENANT_KEY);
		this.tenant = this.isSystemAdmin() && saved ? saved : claims.tid || null;
		clearTimeout(this.timer);
		if (claims.exp) {
			const ms = claims.exp * 1000 - Date.now();
			if (ms < 2 ** 31)
				this.timer = setTimeout(() => this.expired('Your session has expired. Sign in again.'), ms);
		}
		return true;
	},

	signOut(message = 'You are signed out.')
	{
		clearTimeout(this.timer);
		this.token = null;
		this.claims = {};
		this.tenant = null;
		this.message = message;
		sessionStorage.removeItem(KEY);
		sessionStorage.removeItem(TENANT_KEY);
		this.onchange();
	},

	// The API refused the token (401): back to the sign-in screen, saying so.
	expired(message = 'The server refused your token (it expired or was revoked). Sign in again.')
	{
		if (this.token)
			this.signOut(message);
	},

	setTenant(id)
	{
		this.tenant = id;
		sessionStorage.setItem(TENANT_KEY, id);
	},

	roles()
	{
		const r = this.claims.roles;
		return Array.isArray(r) ? r : typeof r === 'string' ? r.split(/[ ,]+/) : [];
	},
	isSystemAdmin() { return this.roles().includes('SystemAdmin'); },
	// Whether write controls are shown; the API decides in any case.
	canWrite() { return this.isSystemAdmin() || this.roles().includes('TenantAdmin'); },
};
