'use strict';
// conformance.js: a schema-driven round trip, what a compliance suite does
// with a server's /Schemas: for every attribute of the User and Group
// schemas (core, and the extensions their resource types declare) that is
// advertised as writable (mutability readWrite or writeOnly), a value of
// its advertised type is written by PATCH (replace with a path) and by PUT
// (the resource as read, with the attribute changed), and read back:
// readWrite attributes must come back as sent (strings that are not
// caseExact compared without regard to case), writeOnly ones (password)
// must never come back. Each optional attribute, once set, is removed by
// PATCH and must be gone (a required one: 400, nothing changed); each sub-attribute of a single complex attribute
// (name.givenName) is replaced by its dotted path, its siblings kept.
//
// One test per attribute and method: "schema-roundtrip: PATCH User
// name.givenName". Nothing here knows rosterd: it only reads what the
// server advertises, so a server that advertises an attribute it drops
// fails here.

const crypto = require('crypto');
const http = require('./http');

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCHOP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function writable(a) {
	return a.mutability === undefined || a.mutability === 'readWrite' ||
	    a.mutability === 'writeOnly';
}

// A value of the attribute's type; n varies it between writes.
function sample(a, n, ctx) {
	const run = ctx.run;
	if (a.canonicalValues && a.canonicalValues.length)
		return a.canonicalValues[n % a.canonicalValues.length];
	switch ((a.type || 'string').toLowerCase()) {
	case 'boolean':
		return false;	// resources start with true (active)
	case 'integer':
		return 40 + n;
	case 'decimal':
		return 4.5 + n;
	case 'datetime':
		return `2026-0${1 + n}-02T03:04:05Z`;
	case 'binary':
		return Buffer.from(`bin-${run}-${n}`).toString('base64');
	case 'reference': {
		const rt = (a.referenceTypes || []).map((t) => t.toLowerCase());
		if (rt.includes('user'))
			return ctx.otherUsers[n % ctx.otherUsers.length];
		return `https://example.org/${run}/${a.name}/${n}`;
	}
	case 'complex': {
		const o = {};
		for (const s of a.subAttributes || []) {
			// A reference's value (a member, the manager) is what
			// the attribute is: set even where it is immutable.
			if (s.name === 'value' && ctx.memberRef) {
				o.value = ctx.otherUsers[n % ctx.otherUsers.length];
				continue;
			}
			if (!writable(s) || s.name === '$ref' || s.name === 'display')
				continue;
			if (s.name === 'primary' && a.multiValued) {
				o.primary = true;
				continue;
			}
			o[s.name] = sample(s, n, ctx);
		}
		return o;
	}
	default:
		if (/email/i.test(a.name) || (ctx.parent && /email/i.test(ctx.parent)))
			return `rt${n}.${run}@example.org`;
		return `${a.name}-${run}-${n}`;
	}
}

function valueFor(a, n, ctx) {
	const memberRef = /^(members|manager)$/i.test(a.name);
	const c = Object.assign({}, ctx, { memberRef, parent: a.name });
	if (a.type === 'complex' && !a.multiValued && a.name === 'manager')
		return { value: ctx.otherUsers[n % ctx.otherUsers.length] };
	const v = sample(a, n, c);
	return a.multiValued ? [v] : v;
}

function same(a, sent, got) {
	if (got === undefined || got === null)
		return false;
	if (a.multiValued) {
		if (!Array.isArray(got))
			return false;
		return sent.every((s) => got.some((g) =>
		    same(Object.assign({}, a, { multiValued: false }), s, g)));
	}
	if (a.type === 'complex') {
		if (typeof got !== 'object')
			return false;
		return Object.entries(sent).every(([k, v]) => {
			const sub = (a.subAttributes || []).find((s) => s.name === k) ||
			    { type: 'string' };
			return same(sub, v, got[k]);
		});
	}
	if ((a.type || '').toLowerCase() === 'datetime')
		return Date.parse(got) === Date.parse(sent);
	if (typeof sent === 'string' && typeof got === 'string' && a.caseExact === false)
		return sent.toLowerCase() === got.toLowerCase();
	return JSON.stringify(sent) === JSON.stringify(got);
}

function pick(res, ext, a) {
	const o = ext ? (res[ext] || {}) : res;
	return o[a.name];
}

async function run(base, token, report) {
	const ctx = { run: crypto.randomBytes(4).toString('hex'), otherUsers: [] };
	const hdr = {
		Authorization: `Bearer ${token}`,
		'Content-Type': 'application/scim+json',
		Accept: 'application/scim+json',
	};
	const call = (method, path, body) => http.send({
		method, url: base + path, headers: hdr,
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const name = (s) => `schema-roundtrip: ${s}`;

	const sch = await call('GET', '/Schemas');
	const rts = await call('GET', '/ResourceTypes');
	if (sch.status !== 200 || !sch.json || !Array.isArray(sch.json.Resources)) {
		report(name('GET /Schemas'), false, `status ${sch.status}: ${sch.text.slice(0, 300)}`);
		return;
	}
	const byId = new Map(sch.json.Resources.map((s) => [s.id, s]));
	const exts = { User: [], Group: [] };
	if (rts.status === 200 && rts.json && Array.isArray(rts.json.Resources)) {
		for (const [type, core] of [['User', CORE_USER], ['Group', CORE_GROUP]]) {
			const r = rts.json.Resources.find((x) => x.schema === core);
			for (const e of (r && r.schemaExtensions) || [])
				exts[type].push(e.schema);
		}
	}
	for (const need of [CORE_USER, CORE_GROUP])
		if (!byId.has(need)) {
			report(name(`/Schemas has ${need}`), false, 'missing');
			return;
		}
	report(name('/Schemas has the User and Group schemas'), true);

	// Two users for references (manager, members).
	for (let i = 0; i < 2; i++) {
		const r = await call('POST', '/Users', {
			schemas: [CORE_USER], userName: `ref${i}.${ctx.run}@example.org`,
			name: { givenName: 'Ref', familyName: `R${i}` }, active: true,
		});
		if (r.status !== 201 || !r.json || !r.json.id) {
			report(name('setup: reference users'), false, `status ${r.status}: ${r.text.slice(0, 300)}`);
			return;
		}
		ctx.otherUsers.push(r.json.id);
	}

	const targets = [];
	for (const [type, core] of [['User', CORE_USER], ['Group', CORE_GROUP]]) {
		targets.push({ type, schema: core, ext: null });
		for (const e of exts[type]) {
			if (byId.has(e))
				targets.push({ type, schema: e, ext: e });
			else
				report(name(`/Schemas has ${e}, which /ResourceTypes/${type} names`), false, 'missing');
		}
	}
	for (const t of targets) {
		for (const a of byId.get(t.schema).attributes || []) {
			if (!writable(a) || a.name === 'id')
				continue;
			for (const method of ['PATCH', 'PUT'])
				await roundTrip(t, a, method);
			if (!a.required && a.mutability !== 'writeOnly')
				await removal(t, a);
			else if (a.required)
				await requiredRemoval(t, a);
			if (a.type === 'complex' && !a.multiValued)
				for (const sub of a.subAttributes || [])
					if (writable(sub) && sub.name !== '$ref' &&
					    !(sub.name === 'value' && /^manager$/i.test(a.name)))
						await subPatch(t, a, sub);
		}
	}

	// PATCH replace of one sub-attribute by its dotted path
	// (name.givenName): the sub-attribute changes, its siblings stay.
	async function subPatch(t, a, sub) {
		const label = name(`PATCH ${t.type} ${t.ext ? t.ext.split(':').pop() + ':' : ''}${a.name}.${sub.name}`);
		try {
			const obj = await fresh(t.type);
			const whole = valueFor(a, 5, ctx);
			const path = (t.ext ? `${t.ext}:` : '') + a.name;
			let r = await call('PATCH', `/${t.type}s/${obj.id}`, {
				schemas: [PATCHOP], Operations: [{ op: 'replace', path, value: whole }],
			});
			if (r.status !== 200 && r.status !== 204) {
				report(label, false, `setting ${a.name}: ${r.status} ${r.text.slice(0, 200)}`);
				return;
			}
			const v = sample(sub, 3, Object.assign({}, ctx, { parent: a.name }));
			r = await call('PATCH', `/${t.type}s/${obj.id}`, {
				schemas: [PATCHOP], Operations: [{ op: 'replace', path: `${path}.${sub.name}`, value: v }],
			});
			if (r.status !== 200 && r.status !== 204) {
				report(label, false, `PATCH status ${r.status}: ${r.text.slice(0, 300)}`);
				return;
			}
			const g = await call('GET', `/${t.type}s/${obj.id}`);
			const got = g.json ? pick(g.json, t.ext, a) : undefined;
			const want = Object.assign({}, whole, { [sub.name]: v });
			report(label, same(a, want, got), same(a, want, got) ? null :
			    `read back ${JSON.stringify(got)}\n    want ${JSON.stringify(want)}`);
		} catch (e) {
			report(label, false, `error: ${e.message}`);
		}
	}

	// PATCH remove of a required attribute: 400, the resource unchanged.
	async function requiredRemoval(t, a) {
		const label = name(`PATCH remove of the required ${t.type} ${t.ext ? t.ext.split(':').pop() + ':' : ''}${a.name} is 400`);
		try {
			const obj = await fresh(t.type);
			const before = pick(obj, t.ext, a);
			const path = (t.ext ? `${t.ext}:` : '') + a.name;
			const r = await call('PATCH', `/${t.type}s/${obj.id}`, {
				schemas: [PATCHOP], Operations: [{ op: 'remove', path }],
			});
			if (r.status !== 400) {
				report(label, false, `status ${r.status}: ${r.text.slice(0, 300)}`);
				return;
			}
			const g = await call('GET', `/${t.type}s/${obj.id}`);
			const got = g.json ? pick(g.json, t.ext, a) : undefined;
			const same = JSON.stringify(got) === JSON.stringify(before);
			report(label, same, same ? null : `changed: ${JSON.stringify(before)} -> ${JSON.stringify(got)}`);
		} catch (e) {
			report(label, false, `error: ${e.message}`);
		}
	}

	// PATCH remove of an optional attribute once set: it is gone.
	async function removal(t, a) {
		const label = name(`PATCH remove ${t.type} ${t.ext ? t.ext.split(':').pop() + ':' : ''}${a.name}`);
		try {
			const obj = await fresh(t.type);
			const path = (t.ext ? `${t.ext}:` : '') + a.name;
			const dflt = pick(obj, t.ext, a);	// as created: a default
			let r = await call('PATCH', `/${t.type}s/${obj.id}`, {
				schemas: [PATCHOP], Operations: [{ op: 'replace', path, value: valueFor(a, 4, ctx) }],
			});
			if (r.status !== 200 && r.status !== 204) {
				report(label, false, `setting it: ${r.status} ${r.text.slice(0, 200)}`);
				return;
			}
			r = await call('PATCH', `/${t.type}s/${obj.id}`, {
				schemas: [PATCHOP], Operations: [{ op: 'remove', path }],
			});
			if (r.status !== 200 && r.status !== 204) {
				report(label, false, `remove status ${r.status}: ${r.text.slice(0, 300)}`);
				return;
			}
			const g = await call('GET', `/${t.type}s/${obj.id}`);
			const got = g.json ? pick(g.json, t.ext, a) : undefined;
			// Gone, or back to the value a new resource has (a
			// default such as active true).
			const gone = got === undefined || got === null ||
			    (Array.isArray(got) && got.length === 0) ||
			    (dflt !== undefined && JSON.stringify(got) === JSON.stringify(dflt));
			report(label, gone, gone ? null : `still there: ${JSON.stringify(got)}`);
		} catch (e) {
			report(label, false, `error: ${e.message}`);
		}
	}

	async function fresh(type) {
		const body = type === 'User' ?
		    { schemas: [CORE_USER], userName: `rt.${crypto.randomBytes(4).toString('hex')}.${ctx.run}@example.org`,
			name: { givenName: 'Round', familyName: 'Trip' }, active: true } :
		    { schemas: [CORE_GROUP], displayName: `rt ${crypto.randomBytes(4).toString('hex')} ${ctx.run}`, members: [] };
		const r = await call('POST', `/${type}s`, body);
		if (r.status !== 201 || !r.json || !r.json.id)
			throw new Error(`setup POST /${type}s: ${r.status} ${r.text.slice(0, 200)}`);
		return r.json;
	}

	async function roundTrip(t, a, method) {
		const label = name(`${method} ${t.type} ${t.ext ? t.ext.split(':').pop() + ':' : ''}${a.name}`);
		try {
			const obj = await fresh(t.type);
			const n = method === 'PATCH' ? 1 : 2;
			const v = valueFor(a, n, ctx);
			const path = t.ext ? `${t.ext}:${a.name}` : a.name;
			let r;
			if (method === 'PATCH') {
				r = await call('PATCH', `/${t.type}s/${obj.id}`, {
					schemas: [PATCHOP],
					Operations: [{ op: 'replace', path, value: v }],
				});
			} else {
				const cur = await call('GET', `/${t.type}s/${obj.id}`);
				const body = JSON.parse(JSON.stringify(cur.json || obj));
				if (t.ext) {
					body[t.ext] = Object.assign({}, body[t.ext] || {}, { [a.name]: v });
					if (!body.schemas.includes(t.ext))
						body.schemas.push(t.ext);
				} else {
					body[a.name] = v;
				}
				r = await call('PUT', `/${t.type}s/${obj.id}`, body);
			}
			const sent = `\n    sent: ${JSON.stringify(v)}`;
			if (r.status !== 200 && r.status !== 204) {
				report(label, false, `${method} status ${r.status}: ${r.text.slice(0, 300)}${sent}`);
				return;
			}
			const g = await call('GET', `/${t.type}s/${obj.id}`);
			const got = g.json ? pick(g.json, t.ext, a) : undefined;
			if (a.mutability === 'writeOnly' || a.returned === 'never') {
				report(label, got === undefined, got === undefined ? null :
				    `a writeOnly attribute came back: ${JSON.stringify(got)}`);
				return;
			}
			report(label, same(a, v, got), same(a, v, got) ? null :
			    `read back ${JSON.stringify(got)}${sent}`);
		} catch (e) {
			report(label, false, `error: ${e.message}`);
		}
	}
}

module.exports = { run };
