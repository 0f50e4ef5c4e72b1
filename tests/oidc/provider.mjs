#!/usr/bin/env node
// A real OpenID Connect provider for rosterd's integration tests:
// oidc-provider (npm, pinned in package.json / package-lock.json; install
// with `npm ci` here, as scripts/deps --test does) on a loopback port with
// TLS, issuing client-credentials access tokens as JWTs (RFC 9068: typ
// "at+jwt", aud the requested resource indicator).
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG (JSON; every member optional except tls):
//   host        "127.0.0.1"
//   port        0 (any free port)
//   issuer      "https://{host}:{port}/realms/rosterd-it"; "{host}" and
//               "{port}" are replaced by the bound address.  The path
//               part is where the provider is mounted (discovery at
//               {issuer}/.well-known/openid-configuration, keys at
//               {issuer}/jwks, tokens at {issuer}/token).  Another
//               instance may claim the same issuer string on another port.
//   tls         {"cert": PEM file, "key": PEM file}
//   keys_file   a private JWKS ({"keys": [...]}), the first key signs;
//               made (one key of "alg", random kid) when the file does not
//               exist, and rewritten on every rotation, so that a second
//               instance given the same file has the same keys
//   alg         "RS256" (or PS256, ES256, ...): the access tokens' alg and
//               the type of the keys made here
//   kid         the kid of the first key made here (default: random), e.g.
//               another instance's kid on a key of this one's own
//   jwk_alg     true: the published keys carry "alg" (default false: they
//               do not, as with Entra ID; an RSA key then fits RS* and PS*)
//   resources   ["https://rosterd.test/api"]: the resource indicators
//               (token audiences) a client may ask for; the first is the
//               default when a token request names none
//   clients     [{"client_id", "client_secret", "claims": {...}}]: the
//               claims are added to each access token of that client
//               (tenant, roles, ...), client_secret_basic or _post
//   ttl         600: access token lifetime, seconds
//   jwks_max_age  N: the JWKS responses say "Cache-Control: public,
//               max-age=N" (as Entra's and Google's do); default: no
//               Cache-Control header (as oidc-provider itself answers)
//   exit_on_stdin_eof  true: stop when standard input reaches its end (the
//               test keeps a pipe open; if the test dies, this stops too)
//
// A token request may also carry x_claims, a JSON object of claims added
// for that token only (after the client's).  Registered claims (iss, aud,
// exp, iat, sub, jti, client_id, scope) are the provider's own and cannot
// be replaced.
//
// Prints one line on standard output once it serves:
//   {"ready": true, "pid", "port", "issuer", "control_token", "kids"}
// and logs one line per request on standard error (method, path, status;
// never a body, header or token).  SIGTERM or SIGINT: stops serving and
// exits 0.
//
// Control endpoints for the test, outside the issuer's path, each needing
// the header "X-Control-Token: <control_token>"; each answers the state:
//   GET  /_ctl/state                 {"issuer", "kids": [signing kid first],
//                                     "alg", "outage", "served": {path under
//                                     the issuer: count}, "outage_served":
//                                     count, "tls_refused": connections a
//                                     client gave up without a request: a
//                                     failed handshake (the certificate's
//                                     CA refused) or a handshake followed
//                                     by a close (its name refused)}
//   POST /_ctl/rotate?step=add       a new key, published, not signing yet
//   POST /_ctl/rotate?step=promote   the newest key signs; the others stay
//                                    published (verification of tokens
//                                    signed before)
//   POST /_ctl/rotate?step=retire    only the signing key stays published
//   POST /_ctl/rotate?step=replace   a new key signs and is the only one
//                                    published (an abrupt rotation)
//   POST /_ctl/outage?mode=503|garbage|off
//                                    503: every provider route answers 503;
//                                    garbage: 200 with a body that is not
//                                    JSON; off: normal service.  Requests
//                                    answered so are counted in
//                                    outage_served.

import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import process from 'node:process';

import Provider, { errors } from 'oidc-provider';

function fail(msg) {
	process.stderr.write(`provider: ${msg}\n`);
	process.exit(2);
}

if (process.argv.length !== 3)
	fail('usage: node provider.mjs CONFIG.json');
let conf;
try {
	conf = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
} catch (e) {
	fail(`${process.argv[2]}: ${e.message}`);
}

const host = conf.host || '127.0.0.1';
const alg = conf.alg || 'RS256';
const resources = conf.resources || ['https://rosterd.test/api'];
const ttl = conf.ttl || 600;
const controlToken = crypto.randomBytes(24).toString('hex');
if (!conf.tls || !conf.tls.cert || !conf.tls.key)
	fail('tls.cert and tls.key are required');

// ---- keys

function newKey() {
	let pair;
	if (alg.startsWith('RS') || alg.startsWith('PS'))
		pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
	else if (alg === 'ES256' || alg === 'ES384' || alg === 'ES512')
		pair = crypto.generateKeyPairSync('ec', {
			namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg],
		});
	else if (alg === 'EdDSA')
		pair = crypto.generateKeyPairSync('ed25519');
	else
		fail(`alg ${alg}: not supported here`);
	const jwk = pair.privateKey.export({ format: 'jwk' });
	jwk.kid = crypto.randomBytes(9).toString('base64url');
	jwk.use = 'sig';
	return jwk;
}

let keys;	// private JWKs, the signing key first
if (conf.keys_file && fs.existsSync(conf.keys_file)) {
	keys = JSON.parse(fs.readFileSync(conf.keys_file, 'utf8')).keys;
	if (!Array.isArray(keys) || keys.length === 0)
		fail(`${conf.keys_file}: no keys`);
} else {
	keys = [newKey()];
	if (conf.kid)
		keys[0].kid = conf.kid;
}

function saveKeys() {
	if (!conf.keys_file)
		return;
	const tmp = `${conf.keys_file}.${process.pid}.tmp`;
	fs.writeFileSync(tmp, JSON.stringify({ keys }, null, 1), { mode: 0o600 });
	fs.renameSync(tmp, conf.keys_file);
}
saveKeys();

// The keystore oidc-provider gets: the signing key first (it signs with
// the first key that fits the alg), "alg" set when asked for.
function providerJwks() {
	return {
		keys: keys.map((k) => {
			const out = { ...k };
			if (conf.jwk_alg)
				out.alg = alg;
			else
				delete out.alg;
			return out;
		}),
	};
}

// ---- the provider

// Storage for what the provider keeps (nothing lasting: the access tokens
// are JWTs), in this process's memory, as a test provider wants it.
class MemoryAdapter {
	static store = new Map();

	constructor(model) {
		this.model = model;
	}

	key(id) {
		return `${this.model}:${id}`;
	}

	async upsert(id, payload) {
		MemoryAdapter.store.set(this.key(id), payload);
	}

	async find(id) {
		return MemoryAdapter.store.get(this.key(id));
	}

	async findByUid() {
		return undefined;
	}

	async findByUserCode() {
		return undefined;
	}

	async consume(id) {
		const p = MemoryAdapter.store.get(this.key(id));
		if (p)
			p.consumed = Math.floor(Date.now() / 1000);
	}

	async destroy(id) {
		MemoryAdapter.store.delete(this.key(id));
	}

	async revokeByGrantId() {
	}
}

let issuer;		// set once the port is known
let mountPath;		// the issuer's path, '' for none
let provider;		// replaced on every rotation (its keystore is fixed)
let handler;

function makeProvider() {
	const clients = (conf.clients || []).map((c) => ({
		client_id: c.client_id,
		client_secret: c.client_secret,
		grant_types: ['client_credentials'],
		response_types: [],
		redirect_uris: [],
		token_endpoint_auth_method: c.auth_method || 'client_secret_basic',
		// the provider's default (RS256) must fit its keys
		id_token_signed_response_alg: alg,
	}));
	const claimsOf = new Map((conf.clients || []).map((c) => [c.client_id, c.claims || {}]));
	const p = new Provider(issuer, {
		adapter: MemoryAdapter,
		clients,
		jwks: providerJwks(),
		clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
		features: {
			devInteractions: { enabled: false },
			clientCredentials: { enabled: true },
			introspection: { enabled: false },
			revocation: { enabled: false },
			resourceIndicators: {
				enabled: true,
				defaultResource: () => resources[0],
				useGrantedResource: () => true,
				getResourceServerInfo: (ctx, resource) => {
					if (!resources.includes(resource))
						throw new errors.InvalidTarget();
					return {
						scope: 'api',
						audience: resource,
						accessTokenTTL: ttl,
						accessTokenFormat: 'jwt',
						jwt: { sign: { alg } },
					};
				},
			},
		},
		extraTokenClaims: (ctx, token) => {
			const extra = { ...(claimsOf.get(token.clientId) || {}) };
			// The token endpoint keeps only its grant's parameters in
			// ctx.oidc.params; x_claims is read from the parsed body.
			const raw = ctx?.oidc?.body?.x_claims;
			if (raw) {
				let more;
				try {
					more = JSON.parse(raw);
				} catch {
					throw new errors.InvalidRequest('x_claims is not JSON');
				}
				if (more === null || typeof more !== 'object' || Array.isArray(more))
					throw new errors.InvalidRequest('x_claims is not an object');
				Object.assign(extra, more);
			}
			return extra;
		},
		ttl: { ClientCredentials: ttl },
		cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
	});
	p.proxy = false;
	// Errors are answered to the client; only their names are logged.
	p.on('server_error', (ctx, err) => {
		process.stderr.write(`provider: server_error ${err && err.message}\n`);
	});
	return p;
}

function installProvider() {
	provider = makeProvider();
	handler = provider.callback();
}

// ---- the server

let outage = 'off';
const served = {};
let outageServed = 0;
let tlsRefused = 0;

function send(res, status, body, type = 'application/json') {
	res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
	res.end(body);
}

function state() {
	return {
		issuer,
		kids: keys.map((k) => k.kid),
		alg,
		outage,
		served,
		outage_served: outageServed,
		tls_refused: tlsRefused,
	};
}

function control(req, res, url) {
	if (req.headers['x-control-token'] !== controlToken)
		return send(res, 403, '{"error":"control token"}');
	if (req.method === 'GET' && url.pathname === '/_ctl/state')
		return send(res, 200, JSON.stringify(state()));
	if (req.method === 'POST' && url.pathname === '/_ctl/rotate') {
		const step = url.searchParams.get('step');
		if (step === 'add') {
			keys.push(newKey());
		} else if (step === 'promote') {
			if (keys.length < 2)
				return send(res, 409, '{"error":"one key: nothing to promote"}');
			keys.unshift(keys.pop());
		} else if (step === 'retire') {
			keys = keys.slice(0, 1);
		} else if (step === 'replace') {
			keys = [newKey()];
		} else {
			return send(res, 400, '{"error":"step: add, promote, retire or replace"}');
		}
		saveKeys();
		installProvider();
		return send(res, 200, JSON.stringify(state()));
	}
	if (req.method === 'POST' && url.pathname === '/_ctl/outage') {
		const mode = url.searchParams.get('mode');
		if (!['503', 'garbage', 'off'].includes(mode))
			return send(res, 400, '{"error":"mode: 503, garbage or off"}');
		outage = mode;
		return send(res, 200, JSON.stringify(state()));
	}
	return send(res, 404, '{"error":"no such control"}');
}

function serve(req, res) {
	req.socket.requests = (req.socket.requests || 0) + 1;
	const url = new URL(req.url, 'https://provider.invalid');
	res.on('finish', () => {
		process.stderr.write(`provider: ${req.method} ${url.pathname} ${res.statusCode}\n`);
	});
	if (url.pathname.startsWith('/_ctl/'))
		return control(req, res, url);
	if (mountPath !== '' && url.pathname !== mountPath &&
	    !url.pathname.startsWith(`${mountPath}/`))
		return send(res, 404, '{"error":"not under the issuer"}');
	const sub = url.pathname.slice(mountPath.length) || '/';
	served[sub] = (served[sub] || 0) + 1;
	if (outage !== 'off') {
		outageServed++;
		if (outage === '503')
			return send(res, 503, '{"error":"temporarily_unavailable"}');
		return send(res, 200, '<html>not JSON', 'application/json');
	}
	if (conf.jwks_max_age !== undefined && sub === '/jwks')
		res.setHeader('Cache-Control', `public, max-age=${conf.jwks_max_age}`);
	// Mounted as Express mounts it: oidc-provider derives the mount
	// path from originalUrl minus url.
	req.originalUrl = req.url;
	req.url = req.url.slice(mountPath.length) || '/';
	return handler(req, res);
}

const server = https.createServer({
	cert: fs.readFileSync(conf.tls.cert),
	key: fs.readFileSync(conf.tls.key),
}, serve);

let stopping = false;
function stop() {
	if (stopping)
		return;
	stopping = true;
	server.close(() => process.exit(0));
	server.closeAllConnections();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
if (conf.exit_on_stdin_eof) {
	process.stdin.on('end', stop);
	process.stdin.on('close', stop);
	process.stdin.resume();
}

server.on('tlsClientError', (e) => {
	tlsRefused++;
	process.stderr.write(`provider: TLS handshake failed: ${e.code || e.message}\n`);
});
server.on('secureConnection', (sock) => {
	sock.on('close', () => {
		if (!sock.requests && !stopping) {
			tlsRefused++;
			process.stderr.write('provider: TLS connection closed without a request\n');
		}
	});
});
server.on('error', (e) => fail(`listen: ${e.message}`));
server.listen(conf.port || 0, host, () => {
	const { port } = server.address();
	issuer = (conf.issuer || 'https://{host}:{port}/realms/rosterd-it')
		.replaceAll('{host}', host).replaceAll('{port}', String(port));
	const path = new URL(issuer).pathname;
	mountPath = path.endsWith('/') ? path.slice(0, -1) : path;
	installProvider();
	process.stdout.write(`${JSON.stringify({
		ready: true,
		pid: process.pid,
		port,
		issuer,
		control_token: controlToken,
		kids: keys.map((k) => k.kid),
	})}\n`);
});
