#!/usr/bin/env node
// Drives rosterd through the client that @hey-api/openapi-ts generated from
// its /openapi.json (tests/clients/openapi/run generates and compiles it):
//
//   node test.cjs CLIENT_DIR DOC FIXTURES
//
// CLIENT_DIR holds the compiled client (index.js, client.gen.js), DOC the
// document it was generated from, FIXTURES tests/http/fixtures (the seed
// pages' samples). The stack is named by ROSTERD_URL, ROSTERD_ADMIN_TOKEN
// (SystemAdmin), ROSTERD_READER_TOKEN (TenantReader of ROSTERD_TENANT);
// NODE_EXTRA_CA_CERTS makes node trust its certificate.
//
// Every /v1 operation of DOC is called through the generated SDK function
// of its operationId, with fixtures the test creates (a tenant of its own,
// users, groups, roles, invites, API tokens, aliases), and so are the three
// ASP.NET seed routes with their pages' samples (placeholder ids replaced
// by the ids of what the test created). Every response the client gets is
// checked against DOC: its status is declared for the operation, its
// media type is one the response declares (no content declared: an empty
// body), a JSON body validates against the declared schema (Ajv, JSON
// Schema 2020-12, formats checked), and each declared header present
// matches its schema. Each call is one test line ("ok - "/"not ok - ");
// the last test checks that every /v1 operation was called. Prints
// "N passed, N failed" last.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const [clientDir, docFile, fixtures] = process.argv.slice(2);
if (!clientDir || !docFile || !fixtures) {
	console.error('usage: test.cjs CLIENT_DIR DOC FIXTURES');
	process.exit(2);
}
const URL_ = process.env.ROSTERD_URL;
const ADMIN = process.env.ROSTERD_ADMIN_TOKEN;
const READER = process.env.ROSTERD_READER_TOKEN;
if (!URL_ || !ADMIN || !READER) {
	console.error('test.cjs: ROSTERD_URL, ROSTERD_ADMIN_TOKEN and ' +
	    'ROSTERD_READER_TOKEN must be set (tests/clients/run sets them)');
	process.exit(2);
}

const sdk = require(path.resolve(clientDir, 'index.js'));
const { client } = require(path.resolve(clientDir, 'client.gen.js'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats').default;

const doc = JSON.parse(fs.readFileSync(docFile, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const ops = {};	// operationId -> { method, path, op }
for (const [p, item] of Object.entries(doc.paths))
	for (const m of METHODS)
		if (item[m])
			ops[item[m].operationId] = { method: m.toUpperCase(), path: p,
			    op: item[m] };

// ---- the validator

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);	// uuid, email, date-time, uri-reference, int32, int64
for (const k of ['discriminator', 'xml', 'externalDocs', 'example'])
	ajv.addKeyword({ keyword: k });
ajv.addKeyword({ keyword: 'components' });
ajv.addSchema({ $id: 'urn:rosterd:openapi', components: doc.components });
const rebase = (s) => JSON.parse(JSON.stringify(s).replace(
    /"#\/components\//g, '"urn:rosterd:openapi#/components/'));
const compiled = new Map();
function validator(key, schema) {
	if (!compiled.has(key))
		compiled.set(key, ajv.compile(rebase(schema)));
	return compiled.get(key);
}

function deref(o) {
	while (o && o.$ref) {
		let v = doc;
		for (const k of o.$ref.replace(/^#\//, '').split('/'))
			v = v[k.replace(/~1/g, '/').replace(/~0/g, '~')];
		o = v;
	}
	return o;
}

// The problems of one response of operation opId (none: it validates).
function problems(opId, rec) {
	const { op } = ops[opId];
	const out = [];
	const st = String(rec.status);
	let resp = op.responses[st] || op.responses[`${st[0]}XX`] ||
	    op.responses.default;
	if (!resp)
		return [`status ${st} is not declared (declared: ` +
		    `${Object.keys(op.responses).join(', ')})`];
	resp = deref(resp);
	const content = resp.content || {};
	const ctype = rec.headers.get('content-type') || '';
	const mt = ctype.split(';')[0].trim().toLowerCase();
	if (Object.keys(content).length === 0) {
		if (rec.text.length !== 0)
			out.push(`${st} declares no content, got ` +
			    `${rec.text.length} bytes of ${ctype || 'no type'}`);
	} else if (!content[mt]) {
		out.push(`${st}: Content-Type ${ctype || '(none)'} is not ` +
		    `declared (declared: ${Object.keys(content).join(', ')})`);
	} else if (/[/+]json$/.test(mt) && content[mt].schema) {
		let body;
		try {
			body = JSON.parse(rec.text);
		} catch (e) {
			out.push(`${st} ${mt}: the body is not JSON: ${e.message}`);
		}
		if (body !== undefined) {
			const v = validator(`${opId} ${st} ${mt}`,
			    content[mt].schema);
			if (!v(body))
				for (const e of v.errors)
					out.push(`${st} ${mt}: body${e.instancePath} ` +
					    `${e.message} ${JSON.stringify(e.params)} ` +
					    `(${e.schemaPath})`);
		}
	}
	for (const [name, h0] of Object.entries(resp.headers || {})) {
		const h = deref(h0);
		const value = rec.headers.get(name);
		if (value === null) {
			if (h.required)
				out.push(`${st}: required header ${name} is absent`);
			continue;
		}
		const s = deref(h.schema) || {};
		const typed = s.type === 'integer' && /^-?[0-9]+$/.test(value) ?
		    Number(value) : value;
		const v = validator(`${opId} ${st} header ${name}`, h.schema || {});
		if (!v(typed))
			out.push(`${st}: header ${name}: ${JSON.stringify(value)} ` +
			    `${v.errors.map((e) => e.message).join('; ')}`);
	}
	return out;
}

// ---- the client, with every exchange recorded

const exchanges = [];
async function recordingFetch(input, init) {
	const req = input instanceof Request ? input : new Request(input, init);
	const method = req.method;
	const url = req.url;
	const res = await fetch(req);
	const text = await res.clone().text();
	exchanges.push({ method, url, status: res.status, headers: res.headers,
	    text });
	return res;
}
client.setConfig({ baseUrl: URL_, auth: () => ADMIN, fetch: recordingFetch });

let passed = 0;
let failed = 0;
const called = new Set();

function result(good, what, details) {
	if (good)
		passed++;
	else
		failed++;
	console.log(`${good ? 'ok' : 'not ok'} - ${what}`);
	for (const d of good ? [] : details || [])
		for (const line of String(d).split('\n'))
			console.log(`#   ${line}`);
}

// call(LABEL, OPID, OPTIONS, WANT): calls the SDK function OPID with
// OPTIONS (path, query, headers, body, auth), expects status WANT (a
// number or a list), checks the response against the document; one test
// line. Answers { status, body, headers } (body parsed when JSON).
async function call(label, opId, options, want) {
	const fn = sdk[opId];
	const where = ops[opId] ? `${ops[opId].method} ${ops[opId].path}` : '?';
	const what = `${opId} (${where})${label ? ` ${label}` : ''}`;
	if (!ops[opId]) {
		result(false, what, [`the document has no operation ${opId}`]);
		return { status: 0, body: {}, headers: new Headers() };
	}
	if (typeof fn !== 'function') {
		result(false, what, [`the generated client has no function ${opId}`]);
		return { status: 0, body: {}, headers: new Headers() };
	}
	called.add(opId);
	const before = exchanges.length;
	let thrown = null;
	let got = null;
	try {
		got = await fn(options || {});
	} catch (e) {
		thrown = e;
	}
	const mine = exchanges.slice(before);
	const details = [];
	if (thrown)
		details.push(`the client threw: ${thrown && thrown.stack || thrown}`);
	if (mine.length !== 1) {
		details.push(`the client made ${mine.length} requests, not 1`);
		result(false, what, details);
		return { status: 0, body: {}, headers: new Headers() };
	}
	const rec = mine[0];
	const wants = [].concat(want);
	if (!wants.includes(rec.status))
		details.push(`status ${rec.status}, expected ${wants.join(' or ')}: ` +
		    rec.text.slice(0, 400));
	details.push(...problems(opId, rec));
	// What the SDK made of it: data for a success, error for a failure.
	if (got && rec.status < 300 && (got.error !== undefined ||
	    got.data === undefined))
		details.push(`the client answered no data for a ${rec.status}: ` +
		    `error ${JSON.stringify(got.error)}`);
	if (got && rec.status >= 400 && got.error === undefined)
		details.push(`the client answered no error for a ${rec.status}`);
	result(details.length === 0, `${what}: ${rec.status}`, details);
	let body = null;
	try {
		body = rec.text ? JSON.parse(rec.text) : null;
	} catch (e) {
		body = rec.text;
	}
	return { status: rec.status, body: body || {}, headers: rec.headers };
}

const uniq = (p) => `${p}-${crypto.randomBytes(5).toString('hex')}`;
const etag = (r) => r.headers.get('etag') || '*';

async function main() {
	// The validator refuses what the document does not allow (else every
	// check below would pass whatever the server said).
	const fake = (status, ctype, text) => ({ status, text,
	    headers: new Headers(ctype ? { 'content-type': ctype } : {}) });
	const refused = [
	    ['a body that is no Tenant', fake(200, 'application/json', '{"id":1}')],
	    ['an undeclared status', fake(202, 'application/json', '{}')],
	    ['an undeclared media type', fake(200, 'text/html', '<p>')],
	    ['a body where none is declared', fake(204, 'text/plain', 'x')],
	].filter(([, rec]) => problems(rec.status === 204 ? 'deleteTenant' :
	    'getTenant', rec).length === 0).map(([what]) => `${what} passed`);
	result(refused.length === 0, 'the response validator refuses bodies, ' +
	    'statuses and media types the document does not declare', refused);

	// ---- tenants
	const slug = uniq('clients');
	let r = await call('creates a tenant', 'createTenant',
	    { body: { name: `Clients ${slug}`, slug, attributes: { from: 'openapi' } } },
	    201);
	const T = r.body.id;
	if (!T) {
		result(false, 'a tenant to test in', ['createTenant gave no id']);
		return;
	}
	await call('refuses a duplicate slug', 'createTenant',
	    { body: { name: 'Again', slug } }, 409);
	await call('refuses an unknown member', 'createTenant',
	    { body: { name: 'Bad', nope: 1 } }, 400);
	await call('without a token', 'listTenants', { auth: '' }, 401);
	await call('with a TenantReader token', 'listTenants', { auth: READER }, 403);
	r = await call('first page of one', 'listTenants', { query: { limit: 1 } }, 200);
	if (r.body.nextCursor)
		await call('next page', 'listTenants',
		    { query: { limit: 1, cursor: r.body.nextCursor } }, 200);
	r = await call('', 'getTenant', { path: { tenantId: T } }, 200);
	await call('unknown id', 'getTenant',
	    { path: { tenantId: crypto.randomUUID() } }, [403, 404]);
	await call('stale If-Match', 'updateTenant',
	    { path: { tenantId: T }, headers: { 'If-Match': '"999999"' },
		body: { name: 'never' } }, 412);
	await call('renames with If-Match', 'updateTenant',
	    { path: { tenantId: T }, headers: { 'If-Match': etag(r) },
		body: { name: `Clients ${slug} renamed` } }, 200);
	const P = { tenantId: T };

	// ---- users
	const users = [];
	for (const n of ['ada', 'grace']) {
		const name = uniq(n);
		r = await call(n, 'createUser', { path: P, body: {
		    username: name, email: `${name}@example.com`,
		    firstName: n, lastName: 'Test', displayName: n } }, 201);
		users.push(r.body);
	}
	const key = crypto.randomUUID();
	const once = { path: P, headers: { 'Idempotency-Key': key },
	    body: { username: uniq('idem') } };
	r = await call('with an Idempotency-Key', 'createUser', once, 201);
	const replay = await call('replayed', 'createUser', once, 201);
	result(replay.headers.get('idempotent-replayed') === 'true' &&
	    replay.body.id === r.body.id, 'createUser replayed by its ' +
	    'Idempotency-Key: Idempotent-Replayed: true, the same user',
	[`Idempotent-Replayed: ${replay.headers.get('idempotent-replayed')}, ` +
	    `ids ${r.body.id} and ${replay.body.id}`]);
	await call('duplicate username', 'createUser',
	    { path: P, body: { username: users[0].username } }, 409);
	await call('no username', 'createUser', { path: P, body: { email: 'x@example.com' } },
	    400);
	await call('', 'listUsers', { path: P, query: { limit: 10 } }, 200);
	await call('by q', 'listUsers', { path: P, query: { q: 'ada' } }, 200);
	r = await call('', 'getUser', { path: { ...P, userId: users[0].id } }, 200);
	await call('unknown id', 'getUser',
	    { path: { ...P, userId: crypto.randomUUID() } }, 404);
	await call('with If-Match', 'updateUser',
	    { path: { ...P, userId: users[0].id }, headers: { 'If-Match': etag(r) },
		body: { title: 'Countess', firstName: null } }, 200);

	// ---- groups and members
	r = await call('', 'createGroup', { path: P, body: { kind: 'user',
	    code: uniq('g'), name: 'Engineers', description: 'from the client' } }, 201);
	const G = r.body.id;
	await call('', 'listGroups', { path: P, query: { kind: 'user' } }, 200);
	r = await call('', 'getGroup', { path: { ...P, groupId: G } }, 200);
	await call('', 'updateGroup', { path: { ...P, groupId: G },
	    headers: { 'If-Match': etag(r) }, body: { name: 'Engineering' } }, 200);
	await call('two users and an unknown id', 'addGroupMembers',
	    { path: { ...P, groupId: G }, body: { userIds: [users[0].id, users[1].id,
		crypto.randomUUID()] } }, 200);
	await call('by username and e-mail, and a name of no user', 'addGroupMembers',
	    { path: { ...P, groupId: G }, body: { usernames: [users[0].username.toUpperCase()],
		emails: [users[1].email, `${uniq('nobody')}@example.com`] } }, 200);
	await call('a username that is not a string', 'addGroupMembers',
	    { path: { ...P, groupId: G }, body: { usernames: [7] } }, 400);
	await call('', 'listGroupMembers', { path: { ...P, groupId: G } }, 200);
	await call('', 'listUserGroups', { path: { ...P, userId: users[0].id } }, 200);
	await call('one of them', 'removeGroupMembers',
	    { path: { ...P, groupId: G }, body: { userIds: [users[1].id] } }, 200);
	await call('the other', 'removeGroupMember',
	    { path: { ...P, groupId: G, userId: users[0].id } }, 204);

	// ---- roles and assignments
	const roles = [];
	for (const n of ['Operator', 'Auditor']) {
		r = await call(n, 'createRole', { path: P, body: { name: uniq(n),
		    description: `${n} role`, isGroupAdmin: n === 'Operator' } }, 201);
		roles.push(r.body);
	}
	await call('', 'listRoles', { path: P }, 200);
	r = await call('', 'getRole', { path: { ...P, roleId: roles[1].id } }, 200);
	await call('', 'updateRole', { path: { ...P, roleId: roles[1].id },
	    headers: { 'If-Match': etag(r) }, body: { description: 'reads' } }, 200);
	const RA = { ...P, userId: users[0].id, roleId: roles[1].id };
	await call('new', 'assignUserRole', { path: RA }, 201);
	await call('again', 'assignUserRole', { path: RA }, 200);
	await call('scoped to a group', 'assignUserRole',
	    { path: { ...RA, userId: users[1].id },
		body: { scopeType: 'group', scopeId: G } }, 201);
	await call('', 'listUserRoles', { path: { ...P, userId: users[0].id } }, 200);
	await call('', 'unassignUserRole', { path: RA }, 204);

	// ---- invites
	const email = `${uniq('invitee')}@example.com`;
	r = await call('', 'createInvite', { path: P, body: { email, groupId: G,
	    expiresIn: 3600 } }, 201);
	const inv = r.body;
	await call('', 'listInvites', { path: P, query: { state: 'pending' } }, 200);
	await call('', 'getInvite', { path: { ...P, inviteId: inv.id } }, 200);
	await call('bad token, no bearer', 'acceptInvite', { auth: '', body: {
	    token: 'not-a-token', password: 'correct horse' } }, [400, 404, 410]);
	await call('no bearer', 'acceptInvite', { auth: '', body: {
	    token: inv.token, password: 'correct horse battery', username: uniq('inv') } },
	    200);
	r = await call('another', 'createInvite', { path: P, body: {
	    email: `${uniq('revoked')}@example.com`, groupId: G } }, 201);
	await call('', 'revokeInvite', { path: { ...P, inviteId: r.body.id } }, 204);

	// ---- API tokens
	r = await call('', 'createApiToken', { path: P, body: { name: uniq('ci'),
	    role: 'TenantReader', expiresAt: null, allowedAddresses: ['127.0.0.1'] } }, 201);
	const tok = r.body;
	await call('', 'listApiTokens', { path: P }, 200);
	await call('', 'getApiToken', { path: { ...P, tokenId: tok.id } }, 200);
	await call('read with the API token', 'listUsers',
	    { path: P, auth: tok.token }, 200);
	await call('written with the TenantReader API token', 'createUser',
	    { path: P, auth: tok.token, body: { username: uniq('no') } }, 403);
	await call('', 'revokeApiToken', { path: { ...P, tokenId: tok.id } }, 204);

	// ---- tenant aliases
	r = await call('', 'createTenantAlias', { path: P, body: { issuer: 'partner',
	    externalId: uniq('ext') } }, 201);
	await call('an issuer that is no section name', 'createTenantAlias',
	    { path: P, body: { issuer: 'Not An Issuer', externalId: uniq('ext') } },
	    400);
	await call('', 'listTenantAliases', { path: P }, 200);
	await call('', 'getTenantAlias', { path: { ...P, aliasId: r.body.id } }, 200);
	await call('', 'deleteTenantAlias', { path: { ...P, aliasId: r.body.id } }, 204);

	// ---- an import job (a CSV file as the body, as it is), its errors
	// and its end; then a job cancelled while it may still be queued
	const csv = `username,email\n${uniq('imp')},${uniq('imp')}@example.com\n` +
	    ',no-username@example.com\n';
	r = await call('a CSV file', 'createImportJob', { path: P,
	    query: { format: 'csv', mode: 'create', dryRun: false, atomic: false,
		batch: 100, fileName: 'clients.csv' },
	    headers: { 'Content-Type': 'text/csv' }, body: csv,
	    bodySerializer: null }, 202);
	const job = r.body;
	const J = { ...P, importId: job.id };
	const ended = ['succeeded', 'failed', 'cancelled'];
	for (let i = 0; i < 600; i++) {	/* a guard against a hang */
		const g = await sdk.getImportJob({ path: J });
		if (g.data && ended.includes(g.data.state))
			break;
		await new Promise((res) => setTimeout(res, 100));
	}
	r = await call('ended', 'getImportJob', { path: J }, 200);
	if (r.body.state !== 'succeeded' || r.body.counts.usersCreated !== 1 ||
	    r.body.counts.errors !== 1)
		result(false, 'the import job created one user and reported one row',
		    [JSON.stringify(r.body)]);
	await call('', 'getImportJobErrors', { path: J }, 200);
	await call('an ended job', 'cancelImportJob', { path: J }, 409);
	r = await call('another', 'createImportJob', { path: P,
	    query: { format: 'csv', dryRun: true },
	    headers: { 'Content-Type': 'text/csv' }, body: csv,
	    bodySerializer: null }, 202);
	await call('queued or ended', 'cancelImportJob',
	    { path: { ...P, importId: r.body.id } }, [200, 409]);

	// ---- the ASP.NET seeds, their pages' samples with real ids
	await seeds(T, roles);

	// ---- audit
	r = await call('', 'listAudit', { path: P, query: { limit: 5 } }, 200);
	if (r.body.nextCursor)
		await call('next page', 'listAudit',
		    { path: P, query: { limit: 5, cursor: r.body.nextCursor } }, 200);
	await call('by action', 'listAudit',
	    { path: P, query: { action: 'user.create' } }, 200);

	// ---- every query parameter of every /v1 GET: its filters at once,
	// then one item a page, following nextCursor once
	const hourAgo = new Date(Date.now() - 3600e3).toISOString();
	const inHour = new Date(Date.now() + 3600e3).toISOString();
	const ids = { ...P, userId: users[0].id, groupId: G, roleId: roles[1].id,
	    inviteId: inv.id, tokenId: tok.id };
	const values = { q: users[0].username.slice(0, 4), externalId: 'none',
	    active: true, kind: 'user', code: 'g', state: 'accepted',
	    actor: 'clients-admin', action: 'user.create', targetId: users[0].id,
	    from: hourAgo, until: inHour, format: 'jsonl' };
	// where one name means another thing
	const valuesOf = { listImportJobs: { state: 'succeeded' } };
	for (const [id, o] of Object.entries(ops)) {
		if (o.method !== 'GET' || !o.path.startsWith('/v1/'))
			continue;
		const params = (o.op.parameters || []).map(deref);
		const query = params.filter((x) => x.in === 'query');
		if (query.length === 0)
			continue;
		const path = {};
		for (const x of params.filter((x) => x.in === 'path'))
			path[x.name] = ids[x.name];
		const filters = {};
		const none = [];
		for (const x of query) {
			if (x.name === 'limit' || x.name === 'cursor')
				continue;
			const v = { ...values, ...(valuesOf[id] || {}) };
			if (x.name in v)
				filters[x.name] = v[x.name];
			else
				none.push(x.name);
		}
		if (none.length)
			result(false, `${id}: the test has a value for every query ` +
			    'parameter', [`none for ${none.join(', ')}`]);
		if (Object.keys(filters).length)
			await call(`filtered by ${Object.keys(filters).join(', ')}`, id,
			    { path, query: filters }, 200);
		r = await call('one a page', id, { path, query: { limit: 1 } }, 200);
		if (r.body.nextCursor)
			await call('its next page', id, { path, query: { limit: 1,
			    cursor: r.body.nextCursor } }, 200);
	}

	// ---- deletes
	await call('', 'deleteUser', { path: { ...P, userId: users[1].id } }, 204);
	await call('', 'deleteGroup', { path: { ...P, groupId: G } }, 204);
	await call('', 'deleteRole', { path: { ...P, roleId: roles[0].id } }, 204);
	await call('wrong confirm', 'deleteTenant',
	    { path: P, query: { confirm: 'not-the-slug' } }, 400);
	await call('', 'deleteTenant', { path: P, query: { confirm: slug } }, 204);
	await call('deleted', 'getTenant', { path: P }, 404);
}

function sample(name) {
	return JSON.parse(fs.readFileSync(path.join(fixtures, name), 'utf8'));
}

// The pages' samples, as ASP.NET users send them through the generated
// client, in tenant T (X-Tenant-Id where the route names no tenant).
async function seeds(T, roles) {
	const P = { tenantId: T };
	const H = { 'X-Tenant-Id': T };
	let r = await call('a security group for seed 000', 'createGroup',
	    { path: P, body: { kind: 'security', code: uniq('sg'), name: 'Security' } },
	    201);
	const sg = r.body.id;
	r = await call('a privilege group for seed 003', 'createGroup',
	    { path: P, body: { kind: 'privilege', code: uniq('pg'), name: 'Privileges' } },
	    201);
	const pg = r.body.id;

	// seed 000: the page's JSON sample
	const s0 = sample('seed000_request.json');
	Object.assign(s0, { ID: crypto.randomUUID(), ContactID: crypto.randomUUID(),
	    UserName: uniq('sgu'),
	    Password: Buffer.from('sample password').toString('base64'),
	    SecurityGroupID: sg, RoleID: roles[0].id, CompanyRoleID: roles[1].id });
	r = await call('seed 000 page sample', 'postSecurityGroupUsers',
	    { headers: H, body: s0 }, 200);
	result(r.body.IsSuccess === true && r.body.Response &&
	    r.body.Response.ID === s0.ID, 'seed 000: the envelope says IsSuccess ' +
	    'with the user', [JSON.stringify(r.body).slice(0, 300)]);

	// seed 003: the page's JSON sample
	const s3 = sample('seed003_request.json');
	const acct = uniq('acct');
	Object.assign(s3, { id: crypto.randomUUID(), email: `${acct}@example.com`,
	    confirmPassword: s3.password, privilegeGroup: pg });
	r = await call('seed 003 page sample', 'postAccount', { headers: H, body: s3 },
	    200);
	result(r.body.id === s3.id && r.body.email === s3.email &&
	    r.body.privilegeGroup === pg, 'seed 003: the account as sent',
	[JSON.stringify(r.body).slice(0, 300)]);

	// seed 004: the page's JSON sample
	const s4 = sample('seed004_request.json');
	const un = uniq('org');
	Object.assign(s4, { Id: crypto.randomUUID(), Username: un,
	    Email: `${un}@example.com` });
	s4.Roles = s4.Roles.map(() => ({ Id: roles[0].id, Name: roles[0].name,
	    OrganizationId: T }));
	r = await call('seed 004 page sample', 'addOrganizationUser',
	    { path: { organizationId: T }, body: s4 }, 200);
	result(r.body.Id === s4.Id && r.body.Username === un,
	    'seed 004: the user as sent', [JSON.stringify(r.body).slice(0, 300)]);
}

main().then(() => {
	const missing = Object.entries(ops)
	    .filter(([id, o]) => o.path.startsWith('/v1/') && !called.has(id))
	    .map(([id, o]) => `${id} (${o.method} ${o.path})`);
	const n = Object.values(ops).filter((o) => o.path.startsWith('/v1/')).length;
	result(missing.length === 0, `every /v1 operation of the document (${n}) ` +
	    'was called through the generated client', missing);
}, (e) => {
	result(false, 'the test ran to its end', [e && e.stack || e]);
}).finally(() => {
	console.log(`${passed} passed, ${failed} failed`);
	process.exitCode = failed === 0 ? 0 : 1;
});
