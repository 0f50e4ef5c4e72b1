'use strict';
// runscope.js: runs a Runscope API test export (the JSON that Runscope's
// "Export" writes, as Okta publishes its "Okta SCIM 2.0 SPEC Test") against
// a server, unchanged: its request steps with their headers, bodies and
// {{variables}}, its assertions, its variable extraction, its scripts and
// before_scripts, and the environment's initial script.
//
// What differs from Runscope's own runner, and why:
// * "pause" steps do not wait: they exist for servers that apply writes
//   late; a pause would only make the run longer here, and a test must not
//   pass or fail on a time window.
// * Assertions on response_time are reported but never make a step fail
//   (same rule); the time taken is printed.
// * is_a_number wants a JSON number, not a numeric string (RFC 7644: the
//   paging values are integers; Okta's import needs numbers).
// * Scripts run in node's vm with the globals Runscope documents:
//   request, response (status, headers, body, response_time), variables
//   (get/set), assert (a chai-style subset on node's assert), log.
//
// Comparisons: equal, not_equal, equal_number, not_empty, empty, has_value,
// has_key, contains, does_not_contain, is_a_number, is_null, is_less_than,
// is_less_than_or_equal, is_greater_than, is_greater_than_or_equal.
// Sources: response_status, response_json, response_headers, response_text,
// response_time.

const nodeAssert = require('assert');
const vm = require('vm');
const jpath = require('./jpath');
const http = require('./http');

function substitute(s, vars, missing) {
	if (typeof s !== 'string')
		return s;
	return s.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (m, name) => {
		if (Object.prototype.hasOwnProperty.call(vars, name))
			return String(vars[name]);
		missing.add(name);
		return m;	// Runscope leaves an unknown variable as written
	});
}

function chaiAssert(failures) {
	// Records a failure instead of throwing past the script, as Runscope
	// counts each failed script assertion.
	const wrap = (fn) => (...args) => {
		try {
			fn(...args);
		} catch (e) {
			failures.push(`script: ${e.message}`);
		}
	};
	const a = wrap((v, msg) => nodeAssert.ok(v, msg));
	a.ok = wrap((v, msg) => nodeAssert.ok(v, msg));
	a.isOk = a.ok;
	a.notOk = wrap((v, msg) => nodeAssert.ok(!v, msg));
	a.equal = wrap((x, y, msg) => nodeAssert.equal(x, y, msg));
	a.notEqual = wrap((x, y, msg) => nodeAssert.notEqual(x, y, msg));
	a.strictEqual = wrap((x, y, msg) => nodeAssert.strictEqual(x, y, msg));
	a.deepEqual = wrap((x, y, msg) => nodeAssert.deepStrictEqual(x, y, msg));
	a.isTrue = wrap((v, msg) => nodeAssert.strictEqual(v, true, msg));
	a.isFalse = wrap((v, msg) => nodeAssert.strictEqual(v, false, msg));
	a.isNull = wrap((v, msg) => nodeAssert.strictEqual(v, null, msg));
	a.isNotNull = wrap((v, msg) => nodeAssert.notStrictEqual(v, null, msg));
	a.isDefined = wrap((v, msg) => nodeAssert.notStrictEqual(v, undefined, msg));
	a.isArray = wrap((v, msg) => nodeAssert.ok(Array.isArray(v), msg || 'not an array'));
	a.isObject = wrap((v, msg) => nodeAssert.ok(v && typeof v === 'object', msg || 'not an object'));
	a.isString = wrap((v, msg) => nodeAssert.strictEqual(typeof v, 'string', msg));
	a.isNumber = wrap((v, msg) => nodeAssert.strictEqual(typeof v, 'number', msg));
	a.isBoolean = wrap((v, msg) => nodeAssert.strictEqual(typeof v, 'boolean', msg));
	a.include = wrap((hay, needle, msg) => nodeAssert.ok(
	    hay != null && hay.includes(needle), msg || `${JSON.stringify(needle)} not included`));
	a.notInclude = wrap((hay, needle, msg) => nodeAssert.ok(
	    hay == null || !hay.includes(needle), msg || `${JSON.stringify(needle)} included`));
	a.lengthOf = wrap((v, n, msg) => nodeAssert.strictEqual(v.length, n, msg));
	a.property = wrap((o, p, msg) => nodeAssert.ok(o != null && p in o, msg || `no property ${p}`));
	a.match = wrap((s, re, msg) => nodeAssert.match(s, re, msg));
	a.fail = wrap((msg) => nodeAssert.fail(msg));
	return a;
}

function source(res, a) {
	switch (a.source) {
	case 'response_status':
		return res.status;
	case 'response_time':
		return res.ms;
	case 'response_text':
		return res.text;
	case 'response_headers':
		return res.headers[String(a.property || '').toLowerCase()];
	case 'response_json':
		if (res.json === undefined)
			return undefined;
		return jpath.get(res.json, a.property || '');
	default:
		throw new Error(`unknown assertion source ${a.source}`);
	}
}

function empty(v) {
	return v === undefined || v === null || v === '' ||
	    (Array.isArray(v) && v.length === 0) ||
	    (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0);
}

function str(v) {
	return v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v);
}

// null when the assertion holds, else what was wrong.
function compare(got, a, want) {
	const num = Number(want);
	const say = (m) => `${a.source}${a.property ? ' ' + a.property : ''}: ${m} ` +
	    `(got ${got === undefined ? 'nothing' : JSON.stringify(got)})`;
	switch (a.comparison) {
	case 'equal':
		return got !== undefined && str(got) === want ? null :
		    say(`should equal ${JSON.stringify(want)}`);
	case 'not_equal':
		return str(got) !== want ? null : say(`should not equal ${JSON.stringify(want)}`);
	case 'equal_number':
		return typeof got !== 'undefined' && got !== null && got !== '' &&
		    Number(got) === num ? null : say(`should be the number ${want}`);
	case 'not_empty':
		return !empty(got) ? null : say('should not be empty');
	case 'empty':
		return empty(got) ? null : say('should be empty');
	case 'is_null':
		return got === null ? null : say('should be null');
	case 'is_a_number':
		return typeof got === 'number' ? null : say('should be a number');
	case 'has_key':
		return got && typeof got === 'object' &&
		    Object.prototype.hasOwnProperty.call(got, want) ? null :
		    say(`should have the key ${want}`);
	case 'has_value': {
		// An array holds the value; on an object, one of its values
		// is the value or an array holding it.
		const holds = (v) => Array.isArray(v) ? v.some((e) => str(e) === want) :
		    v !== undefined && v !== null && str(v) === want;
		let ok = false;
		if (Array.isArray(got))
			ok = holds(got);
		else if (got && typeof got === 'object')
			ok = Object.values(got).some(holds);
		return ok ? null : say(`should hold the value ${JSON.stringify(want)}`);
	}
	case 'contains':
		if (Array.isArray(got))
			return got.some((e) => str(e) === want || str(e).includes(want)) ?
			    null : say(`should contain ${JSON.stringify(want)}`);
		return got !== undefined && got !== null && str(got).includes(want) ?
		    null : say(`should contain ${JSON.stringify(want)}`);
	case 'does_not_contain':
		if (Array.isArray(got))
			return !got.some((e) => str(e).includes(want)) ? null :
			    say(`should not contain ${JSON.stringify(want)}`);
		return got === undefined || got === null || !str(got).includes(want) ?
		    null : say(`should not contain ${JSON.stringify(want)}`);
	case 'is_less_than':
		return Number(got) < num ? null : say(`should be less than ${want}`);
	case 'is_less_than_or_equal':
		return Number(got) <= num ? null : say(`should be at most ${want}`);
	case 'is_greater_than':
		return Number(got) > num ? null : say(`should be more than ${want}`);
	case 'is_greater_than_or_equal':
		return Number(got) >= num ? null : say(`should be at least ${want}`);
	default:
		return say(`unknown comparison ${a.comparison}`);
	}
}

function runScript(code, ctx, what, failures) {
	if (!code || !code.trim())
		return;
	try {
		vm.runInNewContext(code, ctx, { timeout: 10000, filename: what });
	} catch (e) {
		failures.push(`${what}: ${e.message}`);
	}
}

function varsApi(vars) {
	return {
		get: (k) => vars[k],
		set: (k, v) => {
			vars[k] = v;
		},
	};
}

// Runs the initial script (the environment's script, before any step).
function initialScript(code, vars, log) {
	const failures = [];
	runScript(code, {
		variables: varsApi(vars),
		log,
		Math, JSON, Date, encodeURIComponent,
	}, 'initial script', failures);
	if (failures.length)
		throw new Error(failures.join('; '));
}

// Runs one exported test; report(name, ok, detail, notes) once per request
// step; skipped steps are reported as skipped (ok with a note).
async function runTest(test, vars, report, log) {
	let n = 0;
	for (const step of test.steps) {
		if (step.step_type === 'pause')
			continue;
		if (step.step_type !== 'request') {
			report(`${test.name}: step of type ${step.step_type}`, false,
			    'this runner does not know that step type');
			continue;
		}
		n++;
		const name = `${test.name}: ${n}. ${(step.note || step.url).trim()}`;
		if (step.skipped) {
			report(name, true, null, 'SKIP the test marks it skipped');
			continue;
		}
		const failures = [];
		const notes = [];
		const missing = new Set();
		const request = {
			method: step.method,
			url: substitute(step.url, vars, missing),
			headers: {},
			body: step.body === undefined ? undefined :
			    substitute(step.body, vars, missing),
		};
		for (const [k, vs] of Object.entries(step.headers || {}))
			request.headers[k] = (Array.isArray(vs) ? vs : [vs]).map((v) =>
			    substitute(v, vars, missing)).join(', ');
		for (const code of step.before_scripts || [])
			runScript(code, {
				request, variables: varsApi(vars), log,
				assert: chaiAssert(failures), JSON, Math,
			}, 'before_script', failures);
		if (missing.size)
			failures.push(`unset variables: ${[...missing].join(', ')}`);
		// Runscope sends the URL as a browser would: spaces and
		// quotes in the query percent-encoded.
		let url;
		try {
			url = new URL(request.url).href;
		} catch (e) {
			report(name, false, `bad URL ${request.url}`);
			continue;
		}
		let res;
		try {
			res = await http.send({
				method: request.method, url, headers: request.headers,
				body: request.body,
			});
		} catch (e) {
			report(name, false, `error: ${e.message}`);
			continue;
		}
		for (const a of step.assertions || []) {
			const got = source(res, a);
			const want = a.value === null || a.value === undefined ? null :
			    substitute(String(a.value), vars, missing);
			const m = compare(got, a, want);
			if (a.source === 'response_time') {
				notes.push(`response time ${res.ms.toFixed(0)} ms` +
				    (m ? ` (not enforced: ${a.comparison} ${a.value})` : ''));
				continue;
			}
			if (m)
				failures.push(m);
		}
		if (missing.size && !failures.some((f) => f.startsWith('unset')))
			failures.push(`unset variables: ${[...missing].join(', ')}`);
		for (const v of step.variables || []) {
			const got = source(res, v);
			if (got !== undefined)
				vars[v.name] = got !== null && typeof got === 'object' ?
				    JSON.stringify(got) : got;
		}
		const response = {
			status: res.status,
			headers: res.headers,
			body: res.text,
			response_time: res.ms,
		};
		for (const code of step.scripts || [])
			runScript(code, {
				request, response, variables: varsApi(vars), log,
				assert: chaiAssert(failures), JSON, Math,
			}, 'script', failures);
		report(name, failures.length === 0,
		    failures.length ? failures.join('; ') +
		    `\n    request: ${request.method} ${url}` +
		    (request.body ? `\n    body: ${request.body}` : '') +
		    `\n    response: ${res.status} ${res.text.slice(0, 300)}` : null,
		    notes.join('; ') || null);
	}
}

module.exports = { runTest, initialScript };
