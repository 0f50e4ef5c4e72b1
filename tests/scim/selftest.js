'use strict';
// selftest.js: the checks of the SCIM suites can fail. Each assertion op of
// the replays and each Runscope comparison is tried on a canned response
// where it must hold and one where it must not; the path language too.
//
//   node --test tests/scim/selftest.js

const test = require('node:test');
const assert = require('node:assert');
const jpath = require('./lib/jpath');
const replay = require('./lib/replay');
const runscope = require('./lib/runscope');

const body = {
	id: 'u1',
	active: false,
	totalResults: 0,
	name: { givenName: 'A' },
	emails: [{ type: 'home', value: 'h@x' }, { type: 'work', value: 'w@x' }],
	members: [{ value: 'm1' }, { value: 'm2' }],
	'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '7' },
	schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
	status: '404',
};
const res = { status: 200, json: body, text: JSON.stringify(body),
	headers: { location: 'https://h/scim/v2/Users/u1' } };

test('jpath', () => {
	assert.strictEqual(jpath.get(body, 'name.givenName'), 'A');
	assert.strictEqual(jpath.get(body, 'emails[1].value'), 'w@x');
	assert.strictEqual(jpath.get(body, 'emails[type=work].value'), 'w@x');
	assert.deepStrictEqual(jpath.get(body, 'members[].value'), ['m1', 'm2']);
	assert.strictEqual(jpath.get(body,
	    '["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].employeeNumber'), '7');
	assert.strictEqual(jpath.get(body, 'name.familyName'), undefined);
	assert.strictEqual(jpath.get(body, 'emails[type=other].value'), undefined);
	assert.strictEqual(jpath.get(body, 'active.x'), undefined);
	assert.strictEqual(jpath.get(body, ''), body);
});

test('replay ops hold and fail', () => {
	const cases = [
		// [assertion that holds, the same op that fails]
		[['id', 'eq', 'u1'], ['id', 'eq', 'u2']],
		[['active', 'eq', false], ['active', 'eq', 'false']],
		[['id', 'ne', 'u2'], ['id', 'ne', 'u1']],
		[['name.givenName', 'eqi', 'a'], ['name.givenName', 'eqi', 'b']],
		[['id', 'present'], ['nothing', 'present']],
		[['nothing', 'absent'], ['id', 'absent']],
		[['nothing', 'noneOrEmpty'], ['members', 'noneOrEmpty']],
		[['id', 'notEmpty'], ['nothing', 'notEmpty']],
		[['totalResults', 'isInt'], ['status', 'isInt']],
		[['members[].value', 'includes', 'm2'], ['members[].value', 'includes', 'm3']],
		[['members[].value', 'excludes', 'm3'], ['members[].value', 'excludes', 'm1']],
		[['members', 'length', 2], ['members', 'length', 1]],
		[['$header.location', 'matches', '/Users/[^/]+$'], ['$header.location', 'matches', '/Groups/']],
		[['$header.location', 'endsWith', '/u1'], ['$header.location', 'endsWith', '/u2']],
		[['active', 'type', 'boolean'], ['status', 'type', 'number']],
		[['$text', 'notContains', 'secret'], ['$text', 'notContains', 'w@x']],
	];
	for (const [good, bad] of cases) {
		assert.strictEqual(replay.check(res, good), null, JSON.stringify(good));
		assert.notStrictEqual(replay.check(res, bad), null, JSON.stringify(bad));
	}
});

test('replay variables: an unset one is an error, not a literal', () => {
	assert.strictEqual(replay.subst('/Users/{{id}}', { id: 'x' }), '/Users/x');
	assert.throws(() => replay.subst('/Users/{{id}}', {}), /unset/);
});

test('Runscope comparisons hold and fail', async () => {
	const http = require('./lib/http');
	const orig = http.send;
	let next;
	http.send = async () => next;
	try {
		const step = (assertions) => ({
			name: 't', steps: [{
				step_type: 'request', method: 'GET', url: 'https://h/x',
				headers: {}, assertions,
			}],
		});
		const A = (comparison, property, value, source = 'response_json') =>
		    ({ comparison, source, property, value });
		const good = [
			A('equal_number', undefined, '200', 'response_status'),
			A('equal', 'totalResults', '0'),
			A('equal', 'active', 'false'),
			A('not_empty', 'id', null),
			A('empty', 'nothing', null),
			A('has_value', 'schemas', 'urn:ietf:params:scim:api:messages:2.0:Error'),
			A('has_value', '', 'urn:ietf:params:scim:api:messages:2.0:Error'),
			A('contains', 'schemas', 'messages:2.0:Error'),
			A('is_a_number', 'totalResults', null),
			A('equal', 'id', '{{x}}'),
		];
		const bad = [
			A('equal_number', undefined, '201', 'response_status'),
			A('equal', 'totalResults', '1'),
			A('not_empty', 'nothing', null),
			A('empty', 'id', null),
			A('has_value', 'schemas', 'urn:other'),
			A('has_value', '', 'urn:other'),
			A('contains', 'schemas', 'ListResponse'),
			A('is_a_number', 'status', null),
			A('equal', 'id', '{{y}}'),
		];
		next = Object.assign({ ms: 1 }, res);
		for (const a of good) {
			const got = [];
			await runscope.runTest(step([a]), { x: 'u1', y: 'u9' },
			    (n, ok, d) => got.push([ok, d]), () => {});
			assert.deepStrictEqual(got.map((g) => g[0]), [true], JSON.stringify(a) + ' ' + got[0][1]);
		}
		for (const a of bad) {
			const got = [];
			await runscope.runTest(step([a]), { x: 'u1', y: 'u9' },
			    (n, ok) => got.push(ok), () => {});
			assert.deepStrictEqual(got, [false], JSON.stringify(a));
		}
		// A response_time assertion never fails a step; a script can.
		const got = [];
		const t = step([A('is_less_than', undefined, '0', 'response_time')]);
		t.steps[0].scripts = ['assert.ok(JSON.parse(response.body).totalResults === 5, "five")'];
		await runscope.runTest(t, {}, (n, ok, d) => got.push([ok, d]), () => {});
		assert.strictEqual(got[0][0], false);
		assert.match(got[0][1], /script: five/);
		assert.doesNotMatch(got[0][1], /response_time/);
	} finally {
		http.send = orig;
	}
});

test('replay pageAll follows startIndex and checks each page', async () => {
	const http = require('./lib/http');
	const orig = http.send;
	const users = Array.from({ length: 5 }, (_, i) => ({ id: `u${i}`, userName: `n${i}` }));
	let echoStart = true;
	http.send = async (req) => {
		const u = new URL(req.url);
		const start = Number(u.searchParams.get('startIndex'));
		const count = Number(u.searchParams.get('count'));
		const page = users.slice(start - 1, start - 1 + count);
		const json = { totalResults: users.length, itemsPerPage: page.length,
			startIndex: echoStart ? start : 1, Resources: page };
		return { status: 200, headers: { 'content-type': 'application/scim+json' },
			json, text: JSON.stringify(json), ms: 1 };
	};
	try {
		const file = (want) => ({ name: 'p', steps: [{ name: 's', method: 'GET',
			path: '/Users?count=2', pageAll: true,
			expect: { status: 200, json: [['Resources[].userName', 'includes', want]] } }] });
		let got = [];
		await replay.runFile(file('n4'), 'https://h', {}, (n, ok, d) => got.push([ok, d]));
		assert.deepStrictEqual(got.map((g) => g[0]), [true], got[0][1]);
		got = [];
		await replay.runFile(file('n9'), 'https://h', {}, (n, ok) => got.push(ok));
		assert.deepStrictEqual(got, [false]);
		echoStart = false;	// a server that ignores startIndex
		got = [];
		await replay.runFile(file('n1'), 'https://h', {}, (n, ok) => got.push(ok));
		assert.deepStrictEqual(got, [false]);
	} finally {
		http.send = orig;
	}
});
