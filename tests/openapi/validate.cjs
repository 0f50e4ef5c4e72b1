#!/usr/bin/env node
// Checks docs/openapi.json for tests/openapi/run with packages from npm:
//
//   node validate.cjs MODULES DOC    validates DOC; prints "ok - "/"not ok - "
//                                    lines, details as "# " lines
//   node validate.cjs --routes DOC   prints DOC's operations, one a line:
//                                    METHOD, path, x-rosterd-right (tabs)
//
// MODULES is the directory holding the node_modules that tests/openapi/run
// installed (outside the repository). The checks:
//   1. @readme/openapi-parser validates DOC as OpenAPI 3.1 (the OAI schema,
//      plus path parameters, duplicate parameters and operationIds, refs);
//   2. every Schema Object of DOC compiles with Ajv in strict JSON Schema
//      2020-12 mode (the OAI schema leaves Schema Objects unchecked: a typo
//      such as "minLenght" or "type": "strng" would pass 1);
//   3. each operation says what right it requires, consistently: an
//      x-rosterd-right, "security": [] exactly when it is "public", and a
//      description that begins "Requires:".
'use strict';

const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

function operations(doc) {
	const out = [];
	for (const [p, item] of Object.entries(doc.paths || {}))
		for (const m of METHODS)
			if (item && item[m])
				out.push({ method: m.toUpperCase(), path: p, op: item[m] });
	return out;
}

function readDoc(file) {
	return JSON.parse(fs.readFileSync(file, 'utf8'));
}

let passed = 0;
let failed = 0;

function result(good, what, details) {
	if (good) {
		passed++;
		console.log(`ok - ${what}`);
	} else {
		failed++;
		console.log(`not ok - ${what}`);
	}
	for (const d of details || [])
		for (const line of String(d).split('\n'))
			console.log(`#   ${line}`);
}

// JSON pointer of a path of keys, as a URI fragment.
function pointer(keys) {
	return keys.map((k) => encodeURIComponent(String(k).replace(/~/g, '~0')
	    .replace(/\//g, '~1'))).join('/');
}

// A JSON pointer, for people.
function ptr(keys) {
	return keys.map((k) => '/' + String(k).replace(/~/g, '~0')
	    .replace(/\//g, '~1')).join('');
}

// Every Schema Object position of an OpenAPI 3.1 document (enough for
// this one: components.schemas and every "schema" of a parameter, header
// or media type; schemas nested in those are compiled with them).
function schemaPositions(doc) {
	const found = [];
	for (const name of Object.keys((doc.components || {}).schemas || {}))
		found.push(['components', 'schemas', name]);
	(function walk(v, keys) {
		if (v === null || typeof v !== 'object')
			return;
		if (keys[0] === 'components' && keys[1] === 'schemas')
			return;
		for (const [k, sub] of Object.entries(v)) {
			if (k === 'schema' && sub !== null && typeof sub === 'object')
				found.push(keys.concat('schema'));
			else
				walk(sub, keys.concat(k));
		}
	})(doc, []);
	return found;
}

async function validateDoc(modules, file) {
	const req = createRequire(path.join(path.resolve(modules), 'package.json'));
	const parser = req('@readme/openapi-parser');
	const Ajv2020 = req('ajv/dist/2020').default;
	const versions = ['@readme/openapi-parser', 'ajv'].map((n) =>
	    `${n} ${req(`${n}/package.json`).version}`);
	console.log(`# validators: ${versions.join(', ')}`);

	let doc;
	try {
		doc = readDoc(file);
	} catch (e) {
		result(false, `${file} is JSON`, [e.message]);
		return;
	}
	result(/^3\.1\.\d+$/.test(String(doc.openapi)),
	    `${file} declares OpenAPI 3.1 (openapi: ${doc.openapi})`);

	// 1. The validator mutates what it is given: give it a copy.  Since
	// version 3 it answers {valid, errors, warnings}; before (the version
	// for Node.js 18), it threw when the document was invalid and
	// answered the document otherwise.  Any other answer is a failure:
	// a validator that said nothing has not said "valid".
	const parserMajor = Number(
	    req('@readme/openapi-parser/package.json').version.split('.')[0]);
	let valid = false;
	let details = [];
	try {
		const res = await parser.validate(JSON.parse(JSON.stringify(doc)));
		if (parserMajor >= 3 && res && typeof res.valid === 'boolean') {
			valid = res.valid;
			details = (res.warnings || []).map((w) =>
			    `warning: ${w.message}`);
			if (!valid)
				details.unshift(parser.compileErrors(res));
		} else if (parserMajor < 3 && res && typeof res === 'object' &&
		    res.openapi === doc.openapi) {
			valid = true;
		} else {
			details = [`the validator (major version ${parserMajor}) ` +
			    `answered neither a verdict nor the document: ` +
			    `${JSON.stringify(res).slice(0, 200)}`];
		}
	} catch (e) {
		valid = false;
		details = [e.message];
	}
	result(valid, `${file} validates as OpenAPI 3.1 ` +
	    '(@readme/openapi-parser)', details);

	// 2. Strict JSON Schema 2020-12 for every Schema Object.
	const ajv = new Ajv2020({ strict: true, allErrors: true,
	    validateFormats: true });
	// OpenAPI's own Schema Object keywords (annotations).
	for (const k of ['discriminator', 'xml', 'externalDocs', 'example'])
		ajv.addKeyword({ keyword: k });
	// The formats this document uses; anything else is a typo.
	for (const f of ['uuid', 'email', 'date-time', 'int32', 'int64',
	    'uri-reference'])
		ajv.addFormat(f, true);
	// The root that "#/components/..." refs resolve in; "components" is
	// no JSON Schema keyword: what it holds compiles when referenced.
	ajv.addKeyword({ keyword: 'components' });
	ajv.addSchema({ $id: 'urn:rosterd:openapi', components: doc.components });
	const rebase = (s) => JSON.parse(JSON.stringify(s).replace(
	    /"#\/components\//g, '"urn:rosterd:openapi#/components/'));
	const positions = schemaPositions(doc);
	const bad = [];
	for (const keys of positions) {
		let s = doc;
		for (const k of keys)
			s = s[k];
		try {
			ajv.compile(keys[0] === 'components' ?
			    { $ref: `urn:rosterd:openapi#/${pointer(keys)}` } :
			    rebase(s));
		} catch (e) {
			// A schema referenced from many places fails in each.
			if (!bad.some((b) => b.endsWith(`: ${e.message}`)))
				bad.push(`${ptr(keys)}: ${e.message}`);
		}
	}
	result(bad.length === 0, `${positions.length} Schema Objects compile ` +
	    'as strict JSON Schema 2020-12 (Ajv)', bad);

	// 3. Rights, security and descriptions agree.
	const rights = ['public', 'SystemAdmin', 'TenantAdmin', 'TenantReader'];
	const wrong = [];
	for (const { method, path: p, op } of operations(doc)) {
		const r = op['x-rosterd-right'];
		const where = `${method} ${p}`;
		if (!rights.includes(r))
			wrong.push(`${where}: x-rosterd-right is ${r}`);
		const open = Array.isArray(op.security) && op.security.length === 0;
		if (!Array.isArray(op.security))
			wrong.push(`${where}: no security of its own`);
		else if ((r === 'public') !== open)
			wrong.push(`${where}: right ${r} but security ` +
			    JSON.stringify(op.security));
		if (!/^Requires: /.test(op.description || ''))
			wrong.push(`${where}: the description does not begin ` +
			    'with "Requires:"');
	}
	result(wrong.length === 0, `every operation states its right ` +
	    '(x-rosterd-right, security, "Requires:")', wrong);
}

async function main() {
	const args = process.argv.slice(2);
	if (args.length === 2 && args[0] === '--routes') {
		for (const { method, path: p, op } of operations(readDoc(args[1])))
			console.log(`${method}\t${p}\t${op['x-rosterd-right'] || '-'}`);
		return 0;
	}
	if (args.length !== 2) {
		console.error('usage: validate.cjs MODULES DOC | --routes DOC');
		return 2;
	}
	await validateDoc(args[0], args[1]);
	console.log(`# ${passed} passed, ${failed} failed`);
	return failed === 0 ? 0 : 1;
}

main().then((rc) => { process.exitCode = rc; }, (e) => {
	console.log(`not ok - the validator crashed: ${e && e.stack || e}`);
	process.exitCode = 1;
});
