// rosterd's /v1 API with the session's bearer token. Every answer that is
// not 2xx throws an ApiError carrying the problem details; a 401 also ends
// the session (the sign-in screen says why).
import { session } from './session.js';

export class ApiError extends Error {
	constructor(status, problem, etag)
	{
		super(problem?.title || `HTTP ${status}`);
		this.status = status;
		this.problem = problem || {};
		this.etag = etag;
	}
}

export function tpath(rest = '')
{
	return `/v1/tenants/${encodeURIComponent(session.tenant)}${rest}`;
}

// The highest Rosterd-LSN of this page's writes, sent with every read: a
// read served by a standby then waits for what the write did
// (docs/operations.md, read replicas). "X/Y", two hex halves of a number.
let lastLsn = null;

function lsnNumber(s)
{
	const m = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(s || '');
	return m ? BigInt(`0x${m[1]}`) * 0x100000000n + BigInt(`0x${m[2]}`) : null;
}

// anonymous: no Authorization header (the invitation's acceptance).
export async function api(method, path, { body, ifMatch, query, anonymous } = {})
{
	const url = new URL(path, location.origin);
	for (const [k, v] of Object.entries(query || {}))
		if (v !== undefined && v !== null && v !== '')
			url.searchParams.set(k, v);
	const headers = { Accept: 'application/json' };
	if (session.token && !anonymous)
		headers.Authorization = `Bearer ${session.token}`;
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	if (ifMatch)
		headers['If-Match'] = ifMatch;
	if (method === 'GET' && lastLsn)
		headers['Rosterd-LSN'] = lastLsn;
	let res;
	try {
		res = await fetch(url, { method, headers, cache: 'no-store', credentials: 'omit',
		    body: body === undefined ? undefined : JSON.stringify(body) });
	} catch (e) {
		throw new ApiError(0, { title: 'The server could not be reached.', detail: String(e.message || e) });
	}
	const text = await res.text();
	let data = null;
	if (text) {
		try {
			data = JSON.parse(text);
		} catch {
			data = { title: text.slice(0, 200) };
		}
	}
	if (res.status === 401 && !anonymous) {
		session.expired();
		throw new ApiError(401, data);
	}
	if (!res.ok)
		throw new ApiError(res.status, data || { title: res.statusText }, res.headers.get('ETag'));
	const lsn = res.headers.get('Rosterd-LSN');
	if (method !== 'GET' && lsnNumber(lsn) !== null &&
	    (lastLsn === null || lsnNumber(lsn) > lsnNumber(lastLsn)))
		lastLsn = lsn;
	return { status: res.status, data, etag: res.headers.get('ETag') };
}

// Every item of a listed collection, page after page (1,000 a page): for
// the pickers, which must offer every group and role of the tenant.
export async function allItems(path)
{
	const items = [];
	let cursor;
	do {
		const r = await api('GET', path, { query: { limit: 1000, cursor } });
		items.push(...r.data.items);
		cursor = r.data.nextCursor;
	} while (cursor);
	return items;
}
