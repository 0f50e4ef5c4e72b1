// Sign-in with an OpenID Connect provider: the authorization code flow with
// PKCE (S256), as a public client. The provider is configured in
// config.json next to the console ({"oidc": {"issuer", "clientId",
// "scope", "resource", "name"}}); without one, only a pasted token signs in.
// The verifier and state wait in this tab's sessionStorage for the
// provider's answer, and are removed when it comes.

const KEY = 'rosterd.console.oidc';

function b64url(bytes)
{
	return btoa(String.fromCharCode(...new Uint8Array(bytes)))
	    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(n)
{
	return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

export async function oidcConfig()
{
	try {
		const r = await fetch('config.json', { cache: 'no-store', credentials: 'omit' });
		if (!r.ok)
			return null;
		const c = (await r.json()).oidc;
		return c && c.issuer && c.clientId ? c : null;
	} catch {
		return null;
	}
}

async function discover(cfg)
{
	const issuer = cfg.issuer.replace(/\/$/, '');
	const r = await fetch(`${issuer}/.well-known/openid-configuration`, { credentials: 'omit' });
	if (!r.ok)
		throw new Error(`The identity provider's discovery answered ${r.status}.`);
	const d = await r.json();
	if (d.issuer !== cfg.issuer)
		throw new Error('The identity provider names another issuer than the one configured.');
	return d;
}

function redirectUri()
{
	return location.origin + location.pathname;
}

// To the provider's sign-in page (the console page is left).
export async function startLogin(cfg)
{
	const d = await discover(cfg);
	const verifier = random(32);
	const challenge = b64url(await crypto.subtle.digest('SHA-256',
	    new TextEncoder().encode(verifier)));
	const state = random(16);
	sessionStorage.setItem(KEY, JSON.stringify({ verifier, state, token: d.token_endpoint,
	    back: location.hash.startsWith('#/') ? location.hash : '#/users' }));
	const u = new URL(d.authorization_endpoint);
	const q = { response_type: 'code', client_id: cfg.clientId, redirect_uri: redirectUri(),
	    scope: cfg.scope || 'openid', state, code_challenge: challenge,
	    code_challenge_method: 'S256' };
	if (cfg.resource)
		q.resource = cfg.resource;
	for (const [k, v] of Object.entries(q))
		u.searchParams.set(k, v);
	location.assign(u.href);
}

// The provider's answer (?code=...&state=... or ?error=...): the code
// exchanged for an access token, which is returned; the query is removed
// from the address bar first. null when the address holds no answer.
export async function finishLogin(cfg)
{
	const q = new URLSearchParams(location.search);
	if (!q.has('code') && !q.has('error'))
		return null;
	const saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
	sessionStorage.removeItem(KEY);
	history.replaceState(null, '', location.pathname + (saved?.back || '#/users'));
	if (q.has('error'))
		throw new Error(`The identity provider refused: ${q.get('error_description') || q.get('error')}`);
	if (!saved || !cfg || saved.state !== q.get('state'))
		throw new Error('That sign-in answer is not for a sign-in started here. Sign in again.');
	const body = new URLSearchParams({ grant_type: 'authorization_code', code: q.get('code'),
	    redirect_uri: redirectUri(), client_id: cfg.clientId, code_verifier: saved.verifier });
	if (cfg.resource)
		body.set('resource', cfg.resource);
	const r = await fetch(saved.token, { method: 'POST', body, credentials: 'omit' });
	const t = await r.json().catch(() => ({}));
	if (!r.ok || !t.access_token)
		throw new Error(`The identity provider did not give a token: ${t.error_description || t.error || r.status}`);
	return t.access_token;
}
