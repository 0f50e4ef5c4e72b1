// servicestack.test.js: ServiceStack's own JavaScript client
// (@servicestack/client, pinned in package-lock.json) against seed 001, as a
// ServiceStack user calls it with the page's UserGroupUserInvite DTO:
//   * JsonServiceClient's default, the predefined route /api/{Request}
//     (client.post(dto), client.api(dto));
//   * JsonApiClient, which posts JSON without a Content-Type header (fetch
//     labels it text/plain) to /api/{Request};
//   * the classic predefined route /json/reply/{Request} (basePath unset);
//   * the custom route, postToUrl('/usergroupuserinvite', dto).
// Each: success, a field error read through ResponseStatus, 401 and 403.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { JsonServiceClient, JsonApiClient } = require('@servicestack/client');
const lib = require('./lib');

// The page's DTOs, as ServiceStack's "Add ServiceStack Reference" writes
// them for TypeScript (camelCase members).
class UserAuth {
	constructor(init) { Object.assign(this, init); }
}
class UserGroupUserInvite {
	constructor(init) { Object.assign(this, init); }
	getTypeName() { return 'UserGroupUserInvite'; }
	getMethod() { return 'POST'; }
	createResponse() { return new UserAuth(); }
}

const SECRETS = ['salt', 'passwordHash', 'digestHa1Hash'];

let tenant, readerToken;

test.before(async () => {
	tenant = await lib.tenant();
	readerToken = await lib.apiToken(tenant, 'TenantReader');
});

// The ways a ServiceStack user points a client at rosterd.
const CLIENTS = {
	'default /api/{Request}': (token) => {
		const c = new JsonServiceClient(lib.URL);
		return [c, (dto) => c.post(dto)];
	},
	'JsonApiClient /api/{Request} (text/plain)': (token) => {
		const c = JsonApiClient.create(lib.URL);
		return [c, (dto) => c.post(dto)];
	},
	'classic /json/reply/{Request}': (token) => {
		const c = new JsonServiceClient(lib.URL);
		c.basePath = null;
		return [c, (dto) => c.post(dto)];
	},
	'custom postToUrl /usergroupuserinvite': (token) => {
		const c = new JsonServiceClient(lib.URL);
		return [c, (dto) => c.postToUrl('/usergroupuserinvite', dto)];
	},
};

// A client of kind `kind` with a bearer token (or none) and the tenant.
function client(kind, token) {
	const [c, post] = CLIENTS[kind](token);
	if (token)
		c.bearerToken = token;
	c.headers.set('X-Tenant-Id', tenant.id);
	const urls = [];
	c.urlFilter = (u) => urls.push(u);
	return { c, post, urls };
}

const WANT_PATH = {
	'default /api/{Request}': '/api/UserGroupUserInvite',
	'JsonApiClient /api/{Request} (text/plain)': '/api/UserGroupUserInvite',
	'classic /json/reply/{Request}': '/json/reply/UserGroupUserInvite',
	'custom postToUrl /usergroupuserinvite': '/usergroupuserinvite',
};

function email() {
	return `${lib.unique('ss')}@example.com`;
}

// The error a failed post() throws: ServiceStack's ErrorResponse.
async function failure(promise) {
	try {
		await promise;
	} catch (e) {
		return e;
	}
	assert.fail('the call succeeded');
}

for (const kind of Object.keys(CLIENTS)) {
	test(`${kind}: invites, answering the UserAuth`, async () => {
		const { post, urls } = client(kind, lib.ADMIN_TOKEN);
		const addr = email();
		const u = await post(new UserGroupUserInvite({ eMail: addr }));
		assert.equal(new URL(urls[0]).pathname, WANT_PATH[kind]);
		assert.equal(u.email, addr);
		assert.equal(u.userName, addr);
		assert.equal(u.primaryEmail, addr);
		assert.ok(Number.isInteger(u.id) && u.id > 0, `id ${u.id}`);
		assert.deepEqual(u.roles, []);
		assert.match(u.createdDate, /^\/Date\(\d+\)\/$/);
		assert.ok(typeof u.recoveryToken === 'string' && u.recoveryToken.length >= 32);
		for (const s of SECRETS)
			assert.equal(u[s], undefined, s);
		// the same user is there through rosterd's own API
		const list = await lib.v1('GET',
		    `/tenants/${tenant.id}/users?limit=100`, undefined, 200);
		assert.ok(list.items.some((x) => x.email === addr), 'user stored');
	});

	test(`${kind}: a field error through ResponseStatus`, async () => {
		const { c, post } = client(kind, lib.ADMIN_TOKEN);
		const e = await failure(post(new UserGroupUserInvite({ eMail: '' })));
		assert.ok(e.responseStatus, `no responseStatus in ${JSON.stringify(e)}`);
		assert.equal(e.responseStatus.errorCode, 'NotEmpty');
		assert.equal(e.responseStatus.errors[0].fieldName, 'EMail');
		assert.equal(e.responseStatus.errors[0].errorCode, 'NotEmpty');
		assert.equal(e.responseStatus.message, "'E Mail' must not be empty.");
		// client.api() returns it as an ApiResult instead of throwing
		if (!kind.startsWith('custom')) {
			const r = await c.api(new UserGroupUserInvite({ eMail: 'not-an-address' }));
			assert.equal(r.succeeded, false);
			assert.equal(r.errorCode, 'Email');
			assert.equal(r.fieldError('EMail').message,
			    "'E Mail' is not a valid email address.");
		}
	});

	test(`${kind}: 401 without a token`, async () => {
		const { post } = client(kind, null);
		const e = await failure(post(new UserGroupUserInvite({ eMail: email() })));
		assert.equal(e.responseStatus.errorCode, 'Unauthorized');
		assert.equal(e.responseStatus.message, 'Not Authenticated');
	});

	test(`${kind}: 403 without SystemAdmin`, async () => {
		const { post } = client(kind, readerToken);
		const e = await failure(post(new UserGroupUserInvite({ eMail: email() })));
		assert.equal(e.responseStatus.errorCode, 'Forbidden');
		assert.equal(e.responseStatus.message, 'Invalid Role');
	});
}

test('client.api() on the default route: a succeeded ApiResult', async () => {
	const { c, urls } = client('default /api/{Request}', lib.ADMIN_TOKEN);
	const addr = email();
	const r = await c.api(new UserGroupUserInvite({ eMail: addr }));
	assert.equal(new URL(urls[0]).pathname, '/api/UserGroupUserInvite');
	assert.equal(r.succeeded, true, JSON.stringify(r.error));
	assert.equal(r.response.email, addr);
});

test('an unknown request on the classic route: 404 with a ResponseStatus', async () => {
	class Nope extends UserGroupUserInvite {
		getTypeName() { return 'NoSuchRequest'; }
	}
	const { post, urls } = client('classic /json/reply/{Request}', lib.ADMIN_TOKEN);
	const e = await failure(post(new Nope({ eMail: email() })));
	assert.equal(new URL(urls[0]).pathname, '/json/reply/NoSuchRequest');
	assert.equal(e.responseStatus.errorCode, 'NotFound');
});
