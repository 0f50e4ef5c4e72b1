#!/usr/bin/env node
'use strict';
// runner.js: runs the SCIM suites against a running stack, from outside the
// project's code: plain HTTP from node, nothing of rosterd's linked in.
//
//   SCIM_TOKEN=rsd_... SCIM_TOKEN_B=rsd_... \
//   node tests/scim/runner.js --base https://127.0.0.1:PORT/scim/v2 \
//       [--ca CERT.pem] [--counts FILE] [SUITE...]
//
// Suites: every tests/scim/replays/*.json (named by file name without
// .json), schema-roundtrip (lib/conformance.js: PATCH and PUT of every writable
// attribute /Schemas advertises, read back), membership-scale
// (lib/membership.js: hundreds of members per PATCH and PUT in the
// providers' shapes), and every Runscope export in
// tests/scim/okta/ (named okta/FILE, run with
// tests/scim/okta/initial-script.js as the environment's initial script).
// SUITE names pick some of them, -SUITE leaves one out; a name that is no
// suite is a failure. A
// SUITE that is the path of a .json file runs it as a Runscope export (so
// Okta's published file runs as downloaded, wherever it is kept).
// SCIM_TOKEN is a tenant API token of the tenant under test; SCIM_TOKEN_B
// one of another tenant (the isolation replay uses it); each SCIM_VAR_name
// is the replays' {{name}} (tenant ids, other tokens).
//
// Prints "ok - …" / "not ok - …" per step (details indented below a
// failure), then "N passed, N failed" (", K skipped" when K > 0), or with
// --counts FILE writes "PASSED FAILED SKIPPED" there instead (tests/scim/run
// adds checks of its own to the summary); exits 1 on any failure.

const fs = require('fs');
const path = require('path');
const http = require('./lib/http');
const replay = require('./lib/replay');
const runscope = require('./lib/runscope');
const conformance = require('./lib/conformance');
const membership = require('./lib/membership');

const here = __dirname;

function usage(msg) {
	process.stderr.write(`runner.js: ${msg}\n` +
	    'usage: node runner.js --base URL [--ca FILE] [--counts FILE] ' +
	    '[SUITE...]\n');
	process.exit(2);
}

function parseArgs(argv) {
	const o = { names: [] };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === '--base')
			o.base = argv[++i];
		else if (a === '--ca')
			o.ca = argv[++i];
		else if (a === '--counts')
			o.counts = argv[++i];
		else if (a.startsWith('--') || a === '-')
			usage(`unknown option ${a}`);
		else
			o.names.push(a);
	}
	if (!o.base)
		usage('--base is required');
	o.base = o.base.replace(/\/+$/, '');
	return o;
}

function suites() {
	const out = [];
	const rdir = path.join(here, 'replays');
	for (const f of fs.readdirSync(rdir).sort())
		if (f.endsWith('.json'))
			out.push({ name: f.slice(0, -5), kind: 'replay', file: path.join(rdir, f) });
	out.push({ name: 'schema-roundtrip', kind: 'conformance' });
	out.push({ name: 'membership-scale', kind: 'membership' });
	const odir = path.join(here, 'okta');
	if (fs.existsSync(odir))
		for (const f of fs.readdirSync(odir).sort())
			if (f.endsWith('.json'))
				out.push({ name: `okta/${f.slice(0, -5)}`, kind: 'runscope',
				    file: path.join(odir, f) });
	// Okta's SPEC test reads the first user of GET /Users and wants it
	// to have a name and an email: its suites go first, while the users
	// they create are the tenant's first.
	const rank = (x) => x.kind === 'runscope' ? 0 : x.name === 'okta-spec' ? 1 : 2;
	return out.sort((x, y) => rank(x) - rank(y));
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	const token = process.env.SCIM_TOKEN;
	if (!token)
		usage('SCIM_TOKEN is not set');
	http.configure({ caFile: o.ca });
	let passed = 0, failed = 0, skipped = 0;
	const report = (name, ok, detail, note) => {
		const skip = note && note.startsWith('SKIP');
		if (skip)
			skipped++;
		else if (ok)
			passed++;
		else
			failed++;
		let line = `${ok ? 'ok' : 'not ok'} - ${name}`;
		if (note)
			line += ` # ${note}`;
		process.stdout.write(line + '\n');
		if (detail)
			process.stdout.write(detail.trimEnd().split('\n').map((l) =>
			    '    ' + l.replace(/^ +/, '')).join('\n') + '\n');
	};
	const all = suites();
	let chosen = all;
	const skip = o.names.filter((n) => n.startsWith('-')).map((n) => n.slice(1));
	for (const n of skip)
		if (!all.some((x) => x.name === n))
			report(`suite ${n}`, false, 'no such suite (to leave out)');
	chosen = chosen.filter((x) => !skip.includes(x.name));
	const pick = o.names.filter((n) => !n.startsWith('-'));
	if (pick.length) {
		chosen = [];
		for (const n of pick) {
			const s = all.find((x) => x.name === n);
			if (s)
				chosen.push(s);
			else if (n.endsWith('.json') && fs.existsSync(n))
				chosen.push({ name: path.basename(n, '.json'),
				    kind: 'runscope', file: path.resolve(n) });
			else
				report(`suite ${n}`, false, 'no such suite');
		}
	}
	const globals = { token, tokenB: process.env.SCIM_TOKEN_B || '' };
	for (const [k, v] of Object.entries(process.env))
		if (k.startsWith('SCIM_VAR_'))
			globals[k.slice(9)] = v;
	for (const s of chosen) {
		if (s.kind === 'conformance') {
			await conformance.run(o.base, token, report);
			continue;
		}
		if (s.kind === 'membership') {
			await membership.run(o.base, token, report);
			continue;
		}
		let doc;
		try {
			doc = JSON.parse(fs.readFileSync(s.file, 'utf8'));
		} catch (e) {
			report(s.name, false, `cannot read ${s.file}: ${e.message}`);
			continue;
		}
		if (s.kind === 'replay') {
			doc.name = doc.name || s.name;
			await replay.runFile(doc, o.base, globals, report);
			continue;
		}
		// A Runscope export: the environment it expects, then its
		// initial script, then the test.
		const vars = { SCIMBaseURL: o.base, auth: `Bearer ${token}` };
		try {
			runscope.initialScript(fs.readFileSync(
			    path.join(here, 'okta', 'initial-script.js'), 'utf8'),
			    vars, () => {});
		} catch (e) {
			report(`${s.name}: initial script`, false, e.message);
			continue;
		}
		// Okta's guide: "create at least one user" before the SPEC
		// test (its first step reads Resources[0] of GET /Users).
		await replay.runFile({
			name: s.name,
			headers: { Authorization: 'Bearer {{token}}' },
			steps: [{
				name: 'setup: one user exists (the guide asks for one)',
				method: 'POST', path: '/Users',
				body: {
					schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
					userName: 'seed.{{run}}@example.org',
					name: { givenName: 'Seed', familyName: 'User{{run}}' },
					emails: [{ primary: true, value: 'seed.{{run}}@example.org', type: 'work' }],
					active: true,
				},
				expect: { status: [201, 409] },
			}],
		}, o.base, globals, report);
		await runscope.runTest(doc, vars, report, () => {});
	}
	if (o.counts) {
		fs.writeFileSync(o.counts, `${passed} ${failed} ${skipped}\n`);
	} else {
		let sum = `${passed} passed, ${failed} failed`;
		if (skipped)
			sum += `, ${skipped} skipped`;
		process.stdout.write(sum + '\n');
	}
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	process.stdout.write(`not ok - runner: ${e.stack}\n0 passed, 1 failed\n`);
	process.exit(1);
});
