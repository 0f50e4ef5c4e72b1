-- bench/wrk/request.lua: the one wrk script of bench/run.  Every request is
-- made from a template (method, path, body) whose placeholders are filled
-- from a per-request sequence number, so that no two requests of a run are
-- the same (no two creates of one username, no membership added twice):
--
--   {U}       a unique token ("b" .. sequence), for usernames and e-mails
--   {UUID}    a fresh uuid
--   {USER}    an existing user's id
--   {GROUP}   a group's id (the sequence walks the groups)
--   {IDS}     BENCH_N quoted user ids; with {GROUP}, never the same pair twice
--   {CURSOR}  a page cursor of the big group
--   {NAME}    an existing user's username ("load" .. n: the loaded users,
--             BENCH_NUSERS of them; users.txt may hold a sample)
--   {START}   a SCIM startIndex of a page of 100 within the loaded users
--
-- Settings come from the environment (bench.py sets them): BENCH_METHOD,
-- BENCH_PATH, BENCH_BODY_FILE, BENCH_TOKEN, BENCH_CTYPE, BENCH_DATA (a
-- directory with users.txt, groups.txt, cursors.txt), BENCH_N, BENCH_RUN,
-- BENCH_GROUPS (another groups file), BENCH_SEQ0 (where the sequence
-- starts: a row run twice continues where it stopped), BENCH_THREADS, BENCH_OUT (where done() writes its JSON summary).

local function lines(path)
	local t = {}
	local f = io.open(path, "r")
	if f == nil then
		return t
	end
	for l in f:lines() do
		if l ~= "" then
			t[#t + 1] = l
		end
	end
	f:close()
	return t
end

local function slurp(path)
	if path == nil or path == "" then
		return nil
	end
	local f = assert(io.open(path, "rb"))
	local s = f:read("*a")
	f:close()
	return s
end

local threads = {}
local next_tid = 0

function setup(thread)
	thread:set("tid", next_tid)
	next_tid = next_tid + 1
	threads[#threads + 1] = thread
end

local method, path_t, body_t, headers
local users, quoted, groups, cursors
local n, run, seq0, nthreads, count, nusers
-- BENCH_HEADER "Name: template": one more header, filled per request
local header_name, header_t

function init(args)
	local data = os.getenv("BENCH_DATA")
	method = os.getenv("BENCH_METHOD") or "GET"
	path_t = os.getenv("BENCH_PATH")
	body_t = slurp(os.getenv("BENCH_BODY_FILE"))
	n = tonumber(os.getenv("BENCH_N") or "1")
	run = tonumber(os.getenv("BENCH_RUN") or "0")
	seq0 = tonumber(os.getenv("BENCH_SEQ0") or "0")
	nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
	headers = {}
	local token = os.getenv("BENCH_TOKEN")
	if token ~= nil and token ~= "" then
		headers["Authorization"] = "Bearer " .. token
	end
	local ctype = os.getenv("BENCH_CTYPE")
	if ctype ~= nil and ctype ~= "" then
		headers["Content-Type"] = ctype
	end
	local h = os.getenv("BENCH_HEADER")
	if h ~= nil and h ~= "" then
		header_name, header_t = h:match("^([^:]+):%s*(.*)$")
	end
	users = lines(data .. "/users.txt")
	groups = lines(os.getenv("BENCH_GROUPS") or (data .. "/groups.txt"))
	cursors = lines(data .. "/cursors.txt")
	nusers = tonumber(os.getenv("BENCH_NUSERS") or "") or #users
	quoted = {}
	for i, u in ipairs(users) do
		quoted[i] = '"' .. u .. '"'
	end
	count = 0
end

local function ids(seq)
	local ng = #groups
	local nu = #quoted
	local off = (math.floor(seq / ng) * n) % nu
	if off + n <= nu then
		return table.concat(quoted, ",", off + 1, off + n)
	end
	return table.concat(quoted, ",", off + 1, nu) .. "," ..
	    table.concat(quoted, ",", 1, n - (nu - off))
end

local function fill(t, seq)
	if t == nil then
		return nil
	end
	return (t:gsub("{(%u+)}", function(k)
		if k == "U" then
			return string.format("b%dx%d", run, seq)
		elseif k == "UUID" then
			return string.format("%08x-0000-4000-8000-%012x", run, seq)
		elseif k == "USER" then
			return users[(seq * 7919) % #users + 1]
		elseif k == "GROUP" then
			return groups[seq % #groups + 1]
		elseif k == "IDS" then
			return ids(seq)
		elseif k == "CURSOR" then
			return cursors[seq % #cursors + 1]
		elseif k == "NAME" then
			return "load" .. ((seq * 7919) % nusers + 1)
		elseif k == "START" then
			return tostring((seq * 7919) % math.max(1, nusers - 99) + 1)
		end
		return nil
	end))
end

-- BENCH_DELAY_MS: each connection waits this long before its next
-- request, which caps a row's rate (the anonymous flood's).  Defined only
-- when set: wrk times every request of a script that has delay().
if (os.getenv("BENCH_DELAY_MS") or "") ~= "" then
	local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS"))
	function delay()
		return delay_ms
	end
end

function request()
	local seq = seq0 + count * nthreads + tid
	count = count + 1
	if header_name ~= nil then
		headers[header_name] = fill(header_t, seq)
	end
	return wrk.format(method, fill(path_t, seq), headers, fill(body_t, seq))
end

function done(summary, latency, requests)
	local e = summary.errors
	local f = assert(io.open(os.getenv("BENCH_OUT"), "w"))
	f:write(string.format('{"requests":%d,"duration_us":%d,"bytes":%d,' ..
	    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
	    '"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
	    summary.requests, summary.duration, summary.bytes,
	    e.connect, e.read, e.write, e.status, e.timeout,
	    latency:percentile(50), latency:percentile(99), latency.max))
	f:close()
end
