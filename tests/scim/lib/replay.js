'use strict';
// replay.js: runs one replay file (tests/scim/replays/*.json): a sequence of
// requests exactly as an identity provider sends them, each with what the
// provider (or RFC 7644, where the provider's docs say nothing) expects back.
//
// A replay file:
//   { "name": "...", "source": "where the sequence is documented",
//     "headers": { default request headers; {{vars}} allowed },
//     "steps": [ {
//        "name": "...",
//        "method": "GET", "path": "/Users?filter=userName+eq+%22{{u}}%22",
//            (relative to the SCIM base URL, encoded as on the wire), or
//        "url": "{{origin}}/v1/..." (absolute: another API of the server)
//        "headers": { per-step headers; a null value removes a default },
//        "body": { JSON body } | "bodyText": "raw body" |
//        "bodyFrom": { "var": saved object, "set": { "a.b": value } },
//        "expect": {
//           "status": 200 | [200, 204],
//           "json": [ [path, op, value?], ... ],
//           "scimContentType": true (default: a response with a body
//               must say application/scim+json)
//        },
//        "pageAll": true               (an import: see pageAll below)
//        "save": { "var": "path" }     (path into the response JSON, "" for
//                                       all of it, or "$header.name")
//     } ] }
//
// Variables: {{run}} (8 hex digits, unique to the run), {{guid}}, {{guid2}}
// (random UUIDs), {{origin}} (scheme, host and port of the SCIM base URL),
// and whatever the runner passes ({{token}}, {{tokenB}}) or an earlier step
// saved. A step that needs a variable an earlier (failed)
// step did not set fails, saying so.
//
// Ops: eq (deep equality), ne, eqi (strings, ignoring case), present,
// absent (missing or null), noneOrEmpty (absent or []), notEmpty, isInt,
// includes / excludes (an array holds / does not hold the value), length,
// matches (a regular expression), endsWith, type (typeof), notContains (a
// string does not hold the value; "$text" is the whole response body).

const crypto = require('crypto');
const util = require('util');
const jpath = require('./jpath');
const http = require('./http');

class Unset extends Error {}

function subst(v, vars) {
	if (typeof v === 'string') {
		return v.replace(/\{\{([A-Za-z0-9_]+)\}\}/g, (m, name) => {
			if (!(name in vars))
				throw new Unset(`variable ${name} is unset ` +
				    '(an earlier step failed)');
			return String(vars[name]);
		});
	}
	if (Array.isArray(v))
		return v.map((e) => subst(e, vars));
	if (v && typeof v === 'object') {
		const o = {};
		for (const [k, e] of Object.entries(v))
			o[subst(k, vars)] = subst(e, vars);
		return o;
	}
	return v;
}

function deepEq(a, b) {
	return util.isDeepStrictEqual(a, b);
}

function show(v) {
	const s = v === undefined ? 'undefined' : JSON.stringify(v);
	return s.length > 300 ? s.slice(0, 300) + '…' : s;
}

function lookup(res, path) {
	if (path === '$text')
		return res.text;
	if (path.startsWith('$header.'))
		return res.headers[path.slice(8).toLowerCase()];
	return jpath.get(res.json, path);
}

// One assertion: returns null or a message saying what was wrong.
function check(res, [path, op, want]) {
	const got = lookup(res, path);
	const fail = (what) => `${path} ${what} (got ${show(got)})`;
	switch (op) {
	case 'eq':
		return deepEq(got, want) ? null : fail(`should be ${show(want)}`);
	case 'ne':
		return !deepEq(got, want) ? null : fail(`should not be ${show(want)}`);
	case 'eqi':
		return typeof got === 'string' &&
		    got.toLowerCase() === String(want).toLowerCase() ? null :
		    fail(`should be ${show(want)}, ignoring case`);
	case 'present':
		return got !== undefined ? null : fail('should be present');
	case 'absent':
		return got === undefined || got === null ? null :
		    fail('should be absent');
	case 'notEmpty':
		return got !== undefined && got !== null && got !== '' &&
		    !(Array.isArray(got) && got.length === 0) ? null :
		    fail('should not be empty');
	case 'isInt':
		return Number.isInteger(got) ? null :
		    fail('should be an integer (a JSON number)');
	case 'includes':
		return Array.isArray(got) && got.some((e) => deepEq(e, want)) ?
		    null : fail(`should include ${show(want)}`);
	case 'excludes':
		return got === undefined || got === null ||
		    (Array.isArray(got) && !got.some((e) => deepEq(e, want))) ?
		    null : fail(`should not include ${show(want)}`);
	case 'length':
		return Array.isArray(got) && got.length === want ? null :
		    fail(`should have ${want} elements`);
	case 'matches':
		return typeof got === 'string' && new RegExp(want).test(got) ?
		    null : fail(`should match /${want}/`);
	case 'endsWith':
		return typeof got === 'string' && got.endsWith(want) ? null :
		    fail(`should end with ${show(want)}`);
	case 'noneOrEmpty':
		return got === undefined || got === null ||
		    (Array.isArray(got) && got.length === 0) ? null :
		    fail('should be absent or empty');
	case 'notContains':
		return typeof got === 'string' && !got.includes(want) ? null :
		    `${path} should not contain ${show(want)}`;
	case 'type':
		return typeof got === want ? null : fail(`should be a ${want}`);
	default:
		throw new Error(`unknown op ${op}`);
	}
}

// bodyFrom: {"var": NAME, "set": {"a.b": value, ...}}: the object an
// earlier step saved (a GET's whole body, for a read-modify-write PUT) with
// the given members set; {{vars}} in the values are substituted.
function editSaved(spec, vars) {
	if (!(spec.var in vars))
		throw new Unset(`variable ${spec.var} is unset (an earlier step failed)`);
	const o = JSON.parse(JSON.stringify(vars[spec.var]));
	for (const [path, v] of Object.entries(spec.set || {})) {
		const keys = path.split('.');
		let t = o;
		for (const k of keys.slice(0, -1)) {
			if (!t[k] || typeof t[k] !== 'object')
				t[k] = {};
			t = t[k];
		}
		t[keys[keys.length - 1]] = subst(v, vars);
	}
	return o;
}

// pageAll: an import as Okta runs it: the path (with count=N, without
// startIndex) is asked with startIndex=1, then 1+N, ... until totalResults
// resources are in hand or a page is empty; the assertions then see
// {totalResults, pages, Resources: every page's}. Each page must carry
// integer totalResults, startIndex (the one asked) and itemsPerPage.
async function pageAll(req, problems) {
	const all = [];
	let start = 1, pages = 0, total, last;
	for (; pages < 1000; pages++) {
		const sep = req.url.includes('?') ? '&' : '?';
		last = await http.send(Object.assign({}, req,
		    { url: `${req.url}${sep}startIndex=${start}` }));
		const j = last.json;
		if (last.status !== 200 || !j) {
			problems.push(`page at startIndex=${start}: status ${last.status}`);
			break;
		}
		if (!Number.isInteger(j.totalResults) || !Number.isInteger(j.itemsPerPage) ||
		    j.startIndex !== start) {
			problems.push(`page at startIndex=${start}: totalResults ` +
			    `${j.totalResults}, startIndex ${j.startIndex}, itemsPerPage ${j.itemsPerPage}`);
			break;
		}
		total = j.totalResults;
		const got = j.Resources || [];
		all.push(...got);
		if (got.length === 0 || all.length >= total)
			break;
		start += got.length;
	}
	const json = { totalResults: total, pages: pages + 1, Resources: all };
	return Object.assign({}, last, { json, text: JSON.stringify(json).slice(0, 300) });
}

async function runStep(file, step, vars, base) {
	const problems = [];
	const s = subst({
		path: step.path,
		url: step.url,
		headers: Object.assign({}, file.headers || {}, step.headers || {}),
		body: step.body,
		bodyText: step.bodyText,
		expect: step.expect || {},
		save: step.save || {},
	}, vars);
	const headers = {};
	for (const [k, v] of Object.entries(s.headers))
		if (v !== null)
			headers[k] = v;
	let body;
	if (s.bodyText !== undefined)
		body = s.bodyText;
	else if (s.body !== undefined)
		body = JSON.stringify(s.body);
	else if (step.bodyFrom)
		body = JSON.stringify(editSaved(step.bodyFrom, vars));
	if (body !== undefined && !Object.keys(headers).some((k) =>
	    k.toLowerCase() === 'content-type'))
		headers['Content-Type'] = 'application/scim+json';
	const req = { method: step.method, url: s.url || base + s.path, headers, body };
	const res = step.pageAll ? await pageAll(req, problems) : await http.send(req);

	const want = s.expect.status;
	if (want !== undefined) {
		const ok = Array.isArray(want) ? want.includes(res.status) :
		    res.status === want;
		if (!ok)
			problems.push(`status ${res.status}, want ${show(want)}`);
	}
	const scimCt = s.expect.scimContentType !== false;
	if (scimCt && res.text.length > 0) {
		const ct = res.headers['content-type'] || '';
		if (!/^application\/scim\+json\b/i.test(ct))
			problems.push(`Content-Type ${show(ct)}, want ` +
			    'application/scim+json');
	}
	if (res.text.length > 0 && res.json === undefined)
		problems.push('the body is not JSON');
	for (const a of s.expect.json || []) {
		const m = check(res, a);
		if (m)
			problems.push(m);
	}
	for (const [name, path] of Object.entries(s.save)) {
		const v = lookup(res, path);
		if (v === undefined || v === null)
			problems.push(`nothing at ${path} to save as ${name}`);
		else
			vars[name] = v;
	}
	return { req, res, problems };
}

// Runs every step of one replay file; calls report(name, ok, detail) once a
// step. Returns nothing: the counting is the caller's.
async function runFile(file, base, globals, report) {
	const vars = Object.assign({
		origin: new URL(base).origin,
		run: crypto.randomBytes(4).toString('hex'),
		guid: crypto.randomUUID(),
		guid2: crypto.randomUUID(),
	}, globals);
	for (const step of file.steps) {
		const name = `${file.name}: ${step.name}`;
		let r;
		try {
			r = await runStep(file, step, vars, base);
		} catch (e) {
			report(name, false, e instanceof Unset ? e.message :
			    `error: ${e.message}`);
			continue;
		}
		if (r.problems.length === 0) {
			report(name, true);
		} else {
			report(name, false, r.problems.join('; ') +
			    `\n    request: ${r.req.method} ${r.req.url}` +
			    (r.req.body ? `\n    body: ${r.req.body}` : '') +
			    `\n    response: ${r.res.status} ${show(r.res.text)}`);
		}
	}
}

module.exports = { runFile, subst, check };
