'use strict';
// membership.js: group membership at a size the replays cannot write out
// by hand, in the shapes the providers send: N users, one Entra-style PATCH
// adding all of them ("$ref": null), Entra's value-array remove of half,
// the same remove again (idempotent), Okta's filtered removes and adds in
// one PATCH, a full replace, a PUT with the whole list (Okta AIW apps), and
// a request over the advertised member limit (a 4xx in the SCIM shape, not
// a 500), and concurrent writes (member adds all apply; one of racing
// creates wins, the others 409; one of racing If-Match writes wins, the
// others 412). Every change is checked by reading back.
//
// One test per step: "membership-scale: ...". N is 400 (SCIM_SCALE_USERS
// changes it), enough for set-at-a-time bugs (a per-member loop, a replace
// that keeps stale members) to show, small enough for a loaded machine.

const crypto = require('crypto');
const http = require('./http');

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCHOP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

async function run(base, token, report) {
	const n = Number(process.env.SCIM_SCALE_USERS || 400);
	const run = crypto.randomBytes(4).toString('hex');
	const hdr = {
		Authorization: `Bearer ${token}`,
		'Content-Type': 'application/scim+json',
	};
	const call = (method, path, body) => http.send({
		method, url: base + path, headers: hdr,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const name = (s) => `membership-scale: ${s}`;
	const ids = [];
	let gid;

	// step(label, fn): fn returns null or what went wrong.
	const step = async (label, fn) => {
		let m;
		try {
			m = await fn();
		} catch (e) {
			m = `error: ${e.message}`;
		}
		report(name(label), !m, m || null);
		return !m;
	};
	const members = async () => {
		const r = await call('GET', `/Groups/${gid}`);
		if (r.status !== 200)
			throw new Error(`GET /Groups/{id}: ${r.status} ${r.text.slice(0, 200)}`);
		return new Set((r.json.members || []).map((m) => m.value));
	};
	const same = (got, want) => {
		const w = new Set(want);
		if (got.size !== w.size)
			return `${got.size} members, want ${w.size}`;
		for (const x of w)
			if (!got.has(x))
				return `member ${x} is missing`;
		return null;
	};
	const patch = async (ops) => {
		const r = await call('PATCH', `/Groups/${gid}`,
		    { schemas: [PATCHOP], Operations: ops });
		return r.status === 204 || r.status === 200 ? null :
		    `PATCH ${r.status}: ${r.text.slice(0, 300)}`;
	};

	if (!await step(`setup: ${n} users`, async () => {
		for (let i = 0; i < n; i++) {
			const r = await call('POST', '/Users', {
				schemas: [CORE_USER], userName: `m${i}.${run}@example.org`,
				name: { givenName: 'M', familyName: `N${i}` },
			});
			if (r.status !== 201)
				return `POST /Users ${i}: ${r.status} ${r.text.slice(0, 200)}`;
			ids.push(r.json.id);
		}
		return null;
	}))
		return;
	if (!await step('setup: an empty group', async () => {
		const r = await call('POST', '/Groups', {
			schemas: [CORE_GROUP], displayName: `Scale ${run}`, members: [],
		});
		if (r.status !== 201)
			return `POST /Groups: ${r.status} ${r.text.slice(0, 200)}`;
		gid = r.json.id;
		return null;
	}))
		return;
	const half = ids.slice(0, n / 2), rest = ids.slice(n / 2);

	await step(`Entra: one PATCH adds all ${n} ("$ref": null)`, async () =>
	    await patch([{ op: 'Add', path: 'members',
		value: ids.map((v) => ({ $ref: null, value: v })) }]) ||
	    same(await members(), ids));
	await step(`Entra: the same add again is success and changes nothing`, async () =>
	    await patch([{ op: 'Add', path: 'members',
		value: ids.map((v) => ({ $ref: null, value: v })) }]) ||
	    same(await members(), ids));
	await step(`Entra: Remove path members with a value array of ${n / 2}`, async () =>
	    await patch([{ op: 'Remove', path: 'members',
		value: half.map((v) => ({ $ref: null, value: v })) }]) ||
	    same(await members(), rest));
	await step('Entra: the same remove again is success and changes nothing', async () =>
	    await patch([{ op: 'Remove', path: 'members',
		value: half.map((v) => ({ $ref: null, value: v })) }]) ||
	    same(await members(), rest));
	await step('Okta: one PATCH of 20 filtered removes and 20 adds', async () => {
		const out = rest.slice(0, 20), inn = half.slice(0, 20);
		const ops = out.map((v) => ({ op: 'remove', path: `members[value eq "${v}"]` }));
		ops.push({ op: 'add', path: 'members',
		    value: inn.map((v) => ({ value: v, display: v })) });
		return await patch(ops) ||
		    same(await members(), [...inn, ...rest.slice(20)]);
	});
	await step('Okta: replace path members with 50', async () =>
	    await patch([{ op: 'replace', path: 'members',
		value: ids.slice(100, 150).map((v) => ({ value: v })) }]) ||
	    same(await members(), ids.slice(100, 150)));
	await step(`Okta AIW: PUT with all ${n} members and their display`, async () => {
		const r = await call('PUT', `/Groups/${gid}`, {
			schemas: [CORE_GROUP], id: gid, displayName: `Scale ${run}`,
			members: ids.map((v, i) => ({ value: v, display: `m${i}.${run}@example.org` })),
		});
		if (r.status !== 200)
			return `PUT ${r.status}: ${r.text.slice(0, 300)}`;
		return same(await members(), ids);
	});
	await step('Okta AIW: PUT with 10 members drops the others', async () => {
		const r = await call('PUT', `/Groups/${gid}`, {
			schemas: [CORE_GROUP], displayName: `Scale ${run}`,
			members: ids.slice(0, 10).map((v) => ({ value: v })),
		});
		if (r.status !== 200)
			return `PUT ${r.status}: ${r.text.slice(0, 300)}`;
		return same(await members(), ids.slice(0, 10));
	});
	await step('GET with excludedAttributes=members has no members', async () => {
		const r = await call('GET', `/Groups/${gid}?excludedAttributes=members`);
		return r.status === 200 && r.json && r.json.members === undefined ? null :
		    `${r.status} ${r.text.slice(0, 200)}`;
	});
	await step('a PATCH over the member limit (10,001 ids) is a SCIM 4xx and changes nothing', async () => {
		const many = [];
		for (let i = 0; i < 10001; i++)
			many.push({ value: crypto.randomUUID() });
		const r = await call('PATCH', `/Groups/${gid}`, {
			schemas: [PATCHOP], Operations: [{ op: 'add', path: 'members', value: many }],
		});
		if (r.status < 400 || r.status >= 500)
			return `status ${r.status}, want a 4xx`;
		if (!r.json || !(r.json.schemas || []).includes('urn:ietf:params:scim:api:messages:2.0:Error'))
			return `not a SCIM error: ${r.text.slice(0, 200)}`;
		return same(await members(), ids.slice(0, 10));
	});
	await step('concurrent: 10 PATCHes adding different members at once all apply', async () => {
		const add = ids.slice(200, 210);
		const rs = await Promise.all(add.map((v) => call('PATCH', `/Groups/${gid}`, {
			schemas: [PATCHOP],
			Operations: [{ op: 'add', path: 'members', value: [{ value: v }] }],
		})));
		const bad = rs.filter((r) => r.status !== 204 && r.status !== 200);
		if (bad.length)
			return `statuses ${rs.map((r) => r.status).join(',')}: ${bad[0].text.slice(0, 200)}`;
		return same(await members(), [...ids.slice(0, 10), ...add]);
	});
	await step('concurrent: 8 POSTs of one userName: one 201, the others 409 uniqueness', async () => {
		const body = { schemas: [CORE_USER], userName: `race.${run}@example.org` };
		const rs = await Promise.all(Array.from({ length: 8 }, () => call('POST', '/Users', body)));
		const st = rs.map((r) => r.status).sort();
		const ok = rs.filter((r) => r.status === 201).length === 1 &&
		    rs.filter((r) => r.status === 409 && r.json && r.json.scimType === 'uniqueness').length === 7;
		return ok ? null : `statuses ${st.join(',')}`;
	});
	await step('concurrent: 6 PATCHes with the same If-Match: one succeeds, the others 412', async () => {
		const g = await call('GET', `/Users/${ids[0]}`);
		const ver = g.json && g.json.meta && g.json.meta.version;
		if (!ver)
			return `no meta.version: ${g.text.slice(0, 200)}`;
		const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => http.send({
			method: 'PATCH', url: `${base}/Users/${ids[0]}`,
			headers: Object.assign({ 'If-Match': ver }, hdr),
			body: JSON.stringify({ schemas: [PATCHOP],
			    Operations: [{ op: 'replace', path: 'nickName', value: `race${i}` }] }),
		})));
		const st = rs.map((r) => r.status).sort();
		const won = rs.filter((r) => r.status === 200 || r.status === 204).length;
		const lost = rs.filter((r) => r.status === 412).length;
		return won === 1 && lost === 5 ? null : `statuses ${st.join(',')}`;
	});
	await step('Bulk: more operations than maxOperations is 413, and runs none', async () => {
		const spc = await call('GET', '/ServiceProviderConfig');
		const max = spc.json && spc.json.bulk && spc.json.bulk.maxOperations;
		if (!Number.isInteger(max) || max < 1)
			return `bulk.maxOperations: ${JSON.stringify(spc.json && spc.json.bulk)}`;
		const ops = Array.from({ length: max + 1 }, (_, i) => ({
			method: 'POST', path: '/Users', bulkId: `o${i}`,
			data: { schemas: [CORE_USER], userName: `over${i}.${run}@example.org` },
		}));
		const r = await call('POST', '/Bulk', {
			schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: ops,
		});
		if (r.status !== 413)
			return `status ${r.status}: ${r.text.slice(0, 200)}`;
		const f = await call('GET', `/Users?filter=userName%20eq%20%22over0.${run}%40example.org%22`);
		return f.json && f.json.totalResults === 0 ? null : 'an operation ran';
	});
	await step('a user\'s groups attribute names the group once', async () => {
		const r = await call('GET', `/Users/${ids[0]}`);
		const g = ((r.json && r.json.groups) || []).filter((x) => x.value === gid);
		return g.length === 1 ? null : `groups: ${JSON.stringify(r.json && r.json.groups)}`;
	});
}

module.exports = { run };
