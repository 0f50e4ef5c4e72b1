'use strict';
// jpath.js: the small property paths the replays and the Runscope
// interpreter use to point into a JSON body.
//
//   name.givenName            member access
//   Resources[0].id           array index
//   members[].value           every element (the rest maps over them)
//   emails[type=work].value   the first element whose type is "work"
//   ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].employeeNumber
//                             a key with dots or colons in it
//
// get(obj, path) returns undefined where the path leads nowhere.

function parse(path) {
	const segs = [];
	let i = 0;
	while (i < path.length) {
		const c = path[i];
		if (c === '.') {
			i++;
			continue;
		}
		if (c === '[') {
			let j = i + 1;
			if (path[j] === '"') {
				let k = j + 1;
				while (k < path.length && path[k] !== '"')
					k += path[k] === '\\' ? 2 : 1;
				segs.push({ key: JSON.parse(path.slice(j, k + 1)) });
				j = k + 1;
				if (path[j] !== ']')
					throw new Error(`bad path ${path}`);
				i = j + 1;
				continue;
			}
			const end = path.indexOf(']', j);
			if (end < 0)
				throw new Error(`bad path ${path}`);
			const inner = path.slice(j, end);
			if (inner === '')
				segs.push({ all: true });
			else if (/^\d+$/.test(inner))
				segs.push({ index: Number(inner) });
			else if (inner.includes('=')) {
				const eq = inner.indexOf('=');
				segs.push({ match: [inner.slice(0, eq), inner.slice(eq + 1)] });
			} else
				segs.push({ key: inner });
			i = end + 1;
			continue;
		}
		let j = i;
		while (j < path.length && path[j] !== '.' && path[j] !== '[')
			j++;
		segs.push({ key: path.slice(i, j) });
		i = j;
	}
	return segs;
}

function walk(v, segs) {
	for (let n = 0; n < segs.length; n++) {
		const s = segs[n];
		if (v === undefined || v === null)
			return undefined;
		if (s.all) {
			if (!Array.isArray(v))
				return undefined;
			const rest = segs.slice(n + 1);
			return v.map((e) => walk(e, rest));
		}
		if (s.index !== undefined) {
			if (!Array.isArray(v))
				return undefined;
			v = v[s.index];
		} else if (s.match) {
			if (!Array.isArray(v))
				return undefined;
			const [k, want] = s.match;
			v = v.find((e) => e && typeof e === 'object' &&
			    String(e[k]) === want);
		} else {
			if (typeof v !== 'object' || Array.isArray(v))
				return undefined;
			v = Object.prototype.hasOwnProperty.call(v, s.key) ?
			    v[s.key] : undefined;
		}
	}
	return v;
}

function get(obj, path) {
	if (path === '' || path === undefined)
		return obj;
	return walk(obj, parse(path));
}

module.exports = { get, parse };
