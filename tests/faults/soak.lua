-- wrk script of tests/faults' soak: a mix of health checks, reads and
-- creates (v1 and seed 004), each thread stopping after its share of
-- SOAK_REQUESTS responses. Prints "soak NAME NUMBER" lines for faults.py.
--
-- Environment: SOAK_TOKEN (a SystemAdmin JWT), SOAK_TENANT, SOAK_USER (a user
-- to read), SOAK_PREFIX (usernames start with it), SOAK_REQUESTS, SOAK_THREADS,
-- SOAK_DONE_DIR: a thread that has had its share writes a file there and
-- stops (wrk itself runs for its -d; faults.py sends it SIGINT when every
-- thread is done, and wrk prints its summary then).

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("tid", #threads)
end

local token = os.getenv("SOAK_TOKEN")
local tenant = os.getenv("SOAK_TENANT")
local user = os.getenv("SOAK_USER")
local prefix = os.getenv("SOAK_PREFIX")
local done_dir = os.getenv("SOAK_DONE_DIR")
local share = math.ceil(tonumber(os.getenv("SOAK_REQUESTS")) /
	tonumber(os.getenv("SOAK_THREADS")))

local auth = { ["Authorization"] = "Bearer " .. token }
local auth_json = {
	["Authorization"] = "Bearer " .. token,
	["Content-Type"] = "application/json",
}

local n, seq = 0, 0
responses, s2xx, s4xx, s5xx, created = 0, 0, 0, 0, 0

local function name()
	n = n + 1
	return prefix .. "t" .. tid .. "n" .. n
end

-- One in ten: 5 health checks, 4 reads, 1 create (v1 and seed 004 in turn).
function request()
	seq = seq + 1
	local k = seq % 10
	if k <= 4 then
		return wrk.format("GET", "/healthz")
	elseif k == 5 then
		return wrk.format("GET", "/v1/tenants/" .. tenant .. "/users?limit=5", auth)
	elseif k == 6 then
		return wrk.format("GET", "/v1/tenants/" .. tenant .. "/users/" .. user, auth)
	elseif k == 7 then
		return wrk.format("GET", "/v1/tenants/" .. tenant, auth)
	elseif k == 8 then
		return wrk.format("GET", "/v1/tenants/" .. tenant .. "/roles", auth)
	elseif math.floor(seq / 10) % 2 == 0 then
		local u = name()
		return wrk.format("POST", "/api/organizations/" .. tenant .. "/users", auth_json,
			'{"Username":"' .. u .. '","Email":"' .. u .. '@example.com",' ..
			'"FirstName":"Soak","LastName":"Test","Roles":[{"Name":"Member"}]}')
	else
		local u = name()
		return wrk.format("POST", "/v1/tenants/" .. tenant .. "/users", auth_json,
			'{"username":"' .. u .. '","email":"' .. u .. '@example.com",' ..
			'"firstName":"Soak","attributes":{"k":"v"}}')
	end
end

function response(status, headers, body)
	responses = responses + 1
	if status >= 200 and status < 300 then
		s2xx = s2xx + 1
		if status == 201 or (status == 200 and string.find(body, '"Username"', 1, true)) then
			created = created + 1
		end
	elseif status >= 500 then
		s5xx = s5xx + 1
	elseif status >= 400 then
		s4xx = s4xx + 1
	end
	if responses == share then
		local f = io.open(done_dir .. "/thread" .. tid, "w")
		f:write(responses .. "\n")
		f:close()
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local t = { responses = 0, s2xx = 0, s4xx = 0, s5xx = 0, created = 0 }
	for _, thread in ipairs(threads) do
		for k, _ in pairs(t) do
			t[k] = t[k] + thread:get(k)
		end
	end
	local e = summary.errors
	for k, v in pairs(t) do
		io.write(string.format("soak %s %d\n", k, v))
	end
	io.write(string.format("soak errors %d\n", e.connect + e.read + e.write + e.timeout))
	io.write(string.format("soak latency_p99_us %d\n", latency:percentile(99)))
	io.write(string.format("soak latency_max_us %d\n", latency.max))
end
