'use strict';
// http.js: one HTTP request against the stack, as a SCIM client sends it.
//
// send({method, url, headers, body}) -> {status, headers, text, json, ms}
// url is absolute and already encoded the way the client puts it on the wire
// (a replay decides between "+" and "%20"); body is a string or undefined.
// The CA given to configure() is the only one trusted (the stack's
// self-signed certificate). Every request has a hang guard (timeoutMs), not
// a pass/fail deadline: a request that hangs is reported as an error.

const https = require('https');
const http = require('http');
const fs = require('fs');

let ca;
let timeoutMs = 60000;

function configure(opts) {
	if (opts.caFile)
		ca = fs.readFileSync(opts.caFile);
	if (opts.timeoutMs)
		timeoutMs = opts.timeoutMs;
}

function send(req) {
	return new Promise((resolve, reject) => {
		const u = new URL(req.url);
		const mod = u.protocol === 'https:' ? https : http;
		const headers = Object.assign({}, req.headers || {});
		if (req.body !== undefined && req.body !== null)
			headers['Content-Length'] = Buffer.byteLength(req.body);
		const started = process.hrtime.bigint();
		const r = mod.request({
			method: req.method,
			host: u.hostname,
			port: u.port,
			path: u.pathname + u.search,
			headers,
			ca,
			agent: false,
		}, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json;
				try {
					json = text.length ? JSON.parse(text) : undefined;
				} catch (e) {
					json = undefined;
				}
				resolve({
					status: res.statusCode,
					headers: res.headers,
					text,
					json,
					ms: Number(process.hrtime.bigint() - started) / 1e6,
				});
			});
			res.on('error', reject);
		});
		r.setTimeout(timeoutMs, () => {
			r.destroy(new Error(`no answer within ${timeoutMs} ms (hang guard)`));
		});
		r.on('error', reject);
		if (req.body !== undefined && req.body !== null)
			r.write(req.body);
		r.end();
	});
}

module.exports = { configure, send };
