#!/usr/bin/env node
// An OpenID Connect provider for the console stage: oidc-provider (npm,
// pinned by package-lock.json here) on a loopback port with TLS, serving
// the authorization code flow with PKCE to one public client, the console,
// with oidc-provider's own development login and consent pages (any login
// name, any password). Access tokens are JWTs (RFC 9068) for the resource
// indicator rosterd is configured with, carrying the tenant and roles the
// configuration gives each login name.
//
//   node tests/console/idp.mjs CONFIG.json
//
// CONFIG: {"tls": {"cert", "key"}, "redirect_uri": the console's address,
//          "resource": the audience, "accounts": {"LOGIN": {claims}}}
// Prints {"ready": true, "issuer": ...} on standard output once it serves;
// stops on SIGTERM or when standard input ends.
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import process from 'node:process';

import Provider, { errors } from 'oidc-provider';

const conf = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const origin = new URL(conf.redirect_uri).origin;
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomBytes(9).toString('base64url'),
	use: 'sig' };

const server = https.createServer({ cert: fs.readFileSync(conf.tls.cert),
	key: fs.readFileSync(conf.tls.key) });
server.listen(0, '127.0.0.1', () => {
	const issuer = `https://127.0.0.1:${server.address().port}`;
	const provider = new Provider(issuer, {
		clients: [{
			client_id: 'rosterd-console',
			token_endpoint_auth_method: 'none',
			redirect_uris: [conf.redirect_uri],
			grant_types: ['authorization_code'],
			response_types: ['code'],
		}],
		jwks: { keys: [jwk] },
		pkce: { required: () => true, methods: ['S256'] },
		clientBasedCORS: (ctx, o) => o === origin,
		findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
		features: {
			devInteractions: { enabled: true },
			resourceIndicators: {
				enabled: true,
				defaultResource: () => conf.resource,
				useGrantedResource: () => true,
				getResourceServerInfo: (ctx, resource) => {
					if (resource !== conf.resource)
						throw new errors.InvalidTarget();
					return { scope: 'api', audience: resource, accessTokenTTL: 600,
						accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
				},
			},
		},
		extraTokenClaims: (ctx, token) => (conf.accounts || {})[token.accountId] || {},
		cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
	});
	provider.on('server_error', (ctx, err) => process.stderr.write(`idp: ${err?.message}\n`));
	const handler = provider.callback();
	server.on('request', (req, res) => {
		process.stderr.write(`idp: ${req.method} ${req.url.split('?')[0]}\n`);
		handler(req, res);
	});
	process.stdout.write(`${JSON.stringify({ ready: true, issuer })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
