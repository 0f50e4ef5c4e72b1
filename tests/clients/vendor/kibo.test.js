// kibo.test.js: Kibo's own REST SDK (@kibocommerce/rest-sdk, pinned in
// package-lock.json) against seed 002, configured as a Kibo user configures
// it: a tenant id, the API host and a bearer token; the SDK builds its URLs
// from its base path https://{host}/api, so it calls
// /api/platform/adminuser/groups/{groupCode}/addusers, and it sends its
// x-vol-tenant, x-vol-dataview-mode and x-vol-version headers.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { Configuration } = require('@kibocommerce/rest-sdk');
const { AdminGroupApi } = require('@kibocommerce/rest-sdk/clients/AdminUser');
const lib = require('./lib');

let tenant, other, adminToken, otherToken, readerToken;

test.before(async () => {
	tenant = await lib.tenant();
	other = await lib.tenant();
	adminToken = await lib.apiToken(tenant, 'TenantAdmin');
	readerToken = await lib.apiToken(tenant, 'TenantReader');
	otherToken = await lib.apiToken(other, 'TenantAdmin');
});

// The SDK as its README configures it, pointed at rosterd; the URLs it
// calls are recorded.
function groups(token, tenantId = tenant.kiboId) {
	const urls = [];
	const configuration = new Configuration({
		tenantId,
		apiHost: lib.URL,
		accessToken: token,
		middleware: [{
			pre: async ({ url, init }) => {
				urls.push({ url, headers: init.headers });
			},
		}],
	});
	return { api: new AdminGroupApi(configuration), urls };
}

async function failure(promise) {
	try {
		await promise;
	} catch (e) {
		return e;
	}
	assert.fail('the call succeeded');
}

// A ResponseError as the SDK builds it: Kibo's error body, the status and
// the correlation id of the x-vol-correlation header.
function responseError(e, status, code) {
	assert.equal(e.name, 'ResponseError', `${e.name}: ${e.message}`);
	assert.equal(e.response.status, status);
	assert.equal(e.apiError.errorCode, code);
	assert.equal(e.apiError.applicationName, 'AdminUser');
	assert.match(String(e.response.correlationId), /^[0-9A-Za-z-]{16,}$/,
	    'correlation id');
	assert.equal(e.apiError.exceptionDetail, undefined);
	return e;
}

test('addUsers: the AdminGroup, by /api/platform with the x-vol headers', async () => {
	const g = await lib.adminGroup(tenant);
	const u1 = await lib.user(tenant, { firstName: 'Grace', lastName: 'Hopper' });
	const u2 = await lib.user(tenant);
	const { api, urls } = groups(adminToken);
	const r = await api.addUsers({ groupCode: g.code, requestBody: [u1.id, u2.id] });
	const u = new URL(urls[0].url);
	assert.equal(u.pathname, `/api/platform/adminuser/groups/${g.code}/addusers`);
	assert.equal(urls[0].headers['x-vol-tenant'], tenant.kiboId);
	assert.equal(urls[0].headers['x-vol-version'], '1');
	assert.ok(urls[0].headers['x-vol-dataview-mode']);
	assert.deepEqual(Object.keys(r), ['groupCode', 'scopeTypeId', 'scopeId', 'name',
		'description', 'users', 'auditInfo']);
	assert.equal(r.groupCode, g.code);
	assert.equal(r.name, 'Store administrators');
	assert.deepEqual(r.users.map((x) => x.id).sort(), [u1.id, u2.id].sort());
	const grace = r.users.find((x) => x.id === u1.id);
	assert.equal(grace.firstName, 'Grace');
	assert.equal(grace.emailAddress, u1.email);
	assert.equal(grace.password, null);
	assert.deepEqual(await lib.members(tenant, g), [u1.id, u2.id].sort());
});

// Kibo's spec gives removeusers no response body: the SDK's removeUsers()
// resolves to nothing; rosterd's AdminGroup is there in the raw response.
test('removeUsers: resolves; the group is without them', async () => {
	const g = await lib.adminGroup(tenant);
	const u1 = await lib.user(tenant);
	const u2 = await lib.user(tenant);
	const u3 = await lib.user(tenant);
	const { api, urls } = groups(adminToken);
	await api.addUsers({ groupCode: g.code, requestBody: [u1.id, u2.id, u3.id] });
	assert.equal(await api.removeUsers({ groupCode: g.code, requestBody: [u1.id] }),
	    undefined);
	assert.equal(new URL(urls[1].url).pathname,
	    `/api/platform/adminuser/groups/${g.code}/removeusers`);
	assert.deepEqual(await lib.members(tenant, g), [u2.id, u3.id].sort());
	const raw = await api.removeUsersRaw({ groupCode: g.code, requestBody: [u2.id] });
	assert.equal(raw.raw.status, 200);
	const body = await raw.raw.json();
	assert.deepEqual(body.users.map((x) => x.id), [u3.id]);
	assert.deepEqual(await lib.members(tenant, g), [u3.id]);
});

test('responseFields: only the members named, nested in parentheses', async () => {
	const g = await lib.adminGroup(tenant);
	const u1 = await lib.user(tenant);
	const { api, urls } = groups(adminToken);
	const r = await api.addUsers({ groupCode: g.code, requestBody: [u1.id],
		responseFields: 'groupCode,users(id,emailAddress)' });
	assert.equal(new URL(urls[0].url).searchParams.get('responseFields'),
	    'groupCode,users(id,emailAddress)');
	assert.deepEqual(Object.keys(r), ['groupCode', 'users']);
	assert.equal(r.groupCode, g.code);
	assert.equal(r.users.length, 1);
	assert.deepEqual(Object.keys(r.users[0]).sort(), ['emailAddress', 'id']);
	assert.equal(r.users[0].id, u1.id);
	assert.equal(r.users[0].emailAddress, u1.email);
});

test('an unknown group: ResponseError 404 ITEM_NOT_FOUND', async () => {
	const u1 = await lib.user(tenant);
	const { api } = groups(adminToken);
	const e = await failure(api.addUsers({ groupCode: lib.unique('Nope'),
		requestBody: [u1.id] }));
	responseError(e, 404, 'ITEM_NOT_FOUND');
});

test('a bad id: ResponseError 400 naming it, with the correlation id', async () => {
	const g = await lib.adminGroup(tenant);
	const u1 = await lib.user(tenant);
	const { api } = groups(adminToken);
	const e = await failure(api.addUsers({ groupCode: g.code,
		requestBody: [u1.id, 'not-a-user-id'] }));
	responseError(e, 400, 'MISSING_OR_INVALID_PARAMETER');
	// the SDK hands additionalErrorData on as JSON text
	assert.deepEqual(JSON.parse(e.apiError.additionalErrorData),
	    [{ name: 'UserId', value: 'not-a-user-id' }]);
	assert.match(e.apiError.message, /UserId/);
	assert.deepEqual(await lib.members(tenant, g), [], 'nothing written');
});

test('x-vol-tenant: a SystemAdmin names the tenant by its Kibo id', async () => {
	const g = await lib.adminGroup(other);
	const u1 = await lib.user(other);
	const { api } = groups(lib.ADMIN_TOKEN, other.kiboId);
	const r = await api.addUsers({ groupCode: g.code, requestBody: [u1.id] });
	assert.deepEqual(r.users.map((x) => x.id), [u1.id]);
	assert.deepEqual(await lib.members(other, g), [u1.id]);
});

test('x-vol-tenant: another tenant than the token\'s is 403 FORBIDDEN', async () => {
	const g = await lib.adminGroup(tenant);
	const u1 = await lib.user(tenant);
	const { api } = groups(otherToken, tenant.kiboId);
	responseError(await failure(api.addUsers({ groupCode: g.code,
		requestBody: [u1.id] })), 403, 'FORBIDDEN');
	assert.deepEqual(await lib.members(tenant, g), [], 'nothing written');
});

test('a TenantReader: 403 FORBIDDEN', async () => {
	const g = await lib.adminGroup(tenant);
	const u1 = await lib.user(tenant);
	const { api } = groups(readerToken);
	responseError(await failure(api.addUsers({ groupCode: g.code,
		requestBody: [u1.id] })), 403, 'FORBIDDEN');
});

test('an invalid token: 401 UNAUTHORIZED', async () => {
	const g = await lib.adminGroup(tenant);
	const { api } = groups('rsd_' + 'A'.repeat(43));
	responseError(await failure(api.addUsers({ groupCode: g.code,
		requestBody: [] })), 401, 'UNAUTHORIZED');
});
