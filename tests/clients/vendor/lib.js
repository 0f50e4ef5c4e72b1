// lib.js: what the vendor-client tests share: the stack's address, and
// fixtures made through rosterd's own /v1 API with the SystemAdmin token of
// ROSTERD_ADMIN_TOKEN: a fresh tenant per test file, with a Kibo tenant id
// (a tenant alias of issuer "kibo"), users, an admin group and API tokens.
// Nothing here talks to the seeds' routes: that is the vendors' libraries'
// job in the *.test.js files.
'use strict';

const crypto = require('node:crypto');

function env(name) {
	const v = process.env[name];
	if (!v)
		throw new Error(`${name} is not set (see tests/clients/vendor/run)`);
	return v;
}

const URL_ = env('ROSTERD_URL').replace(/\/+$/, '');
const ADMIN_TOKEN = env('ROSTERD_ADMIN_TOKEN');

function unique(prefix) {
	return `${prefix}${crypto.randomBytes(6).toString('hex')}`;
}

// A /v1 call as the SystemAdmin; throws unless the status is `want`.
async function v1(method, path, body, want) {
	const r = await fetch(`${URL_}/v1${path}`, {
		method,
		headers: {
			Authorization: `Bearer ${ADMIN_TOKEN}`,
			'Content-Type': 'application/json',
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await r.text();
	if (r.status !== want)
		throw new Error(`${method} /v1${path}: ${r.status}, not ${want}: ${text}`);
	return text ? JSON.parse(text) : null;
}

// A tenant of its own (it has a default user group: invites land there),
// named in Kibo's terms by a numeric tenant id.
async function tenant() {
	const t = await v1('POST', '/tenants', { name: unique('vendor ') }, 201);
	const kiboId = String(100000 + crypto.randomInt(1, 2 ** 31 - 200000));
	await v1('POST', `/tenants/${t.id}/aliases`,
	    { issuer: 'kibo', externalId: kiboId }, 201);
	return { id: t.id, kiboId };
}

async function user(t, fields = {}) {
	const name = unique('u');
	return v1('POST', `/tenants/${t.id}/users`,
	    { username: name, email: `${name}@example.com`, ...fields }, 201);
}

async function adminGroup(t) {
	return v1('POST', `/tenants/${t.id}/groups`,
	    { kind: 'admin', code: unique('Adm'), name: 'Store administrators' }, 201);
}

async function members(t, g) {
	const r = await v1('GET', `/tenants/${t.id}/groups/${g.id}/members?limit=100`,
	    undefined, 200);
	return r.items.map((m) => m.id || m.userId).sort();
}

// An API token ("rsd_..."): role TenantAdmin or TenantReader of t.
async function apiToken(t, role) {
	const r = await v1('POST', `/tenants/${t.id}/api-tokens`,
	    { name: unique('vendor-'), role }, 201);
	return r.token;
}

module.exports = { URL: URL_, ADMIN_TOKEN, unique, v1, tenant, user, adminGroup,
	members, apiToken };
