-- wrk script for the page benchmarks (bench/submit.py): every workload, the baseline included, goes
-- through this same script, so the client does the same work per request whatever is measured.
--
--   wrk ... -s bench/wrk_requests.lua http://127.0.0.1:PORT -- REQUESTS_FILE THREADS
--
-- REQUESTS_FILE has one request per line: METHOD <tab> PATH <tab> COOKIE <tab> CONTENT-TYPE <tab> BODY.
-- Thread k takes lines k, k+THREADS, k+2*THREADS, ... and cycles through them in order, so with more
-- lines per thread than connections two connections never send the same line at the same time (for the
-- submit workload: never the same respondent). Response statuses are counted per thread; done()
-- prints one line "BENCH_JSON {...}" with the counts, the totals and the latency percentiles.

local threads = {}
local thread_count = 0

function setup(thread)
   thread:set("tid", thread_count)
   thread_count = thread_count + 1
   table.insert(threads, thread)
end

requests = {}
position = 0
statuses = {}

function init(args)
   -- args[0] is the URL, then come the arguments after "--"
   local path, every = args[1], tonumber(args[2])
   local line_number = 0
   for line in io.lines(path) do
      if line_number % every == tid then
         local method, url, cookie, content_type, body =
            line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
         if method == nil then
            error("malformed line " .. line_number .. " in " .. path)
         end
         local headers = {}
         if cookie ~= "" then headers["Cookie"] = cookie end
         if content_type ~= "" then headers["Content-Type"] = content_type end
         if body == "" then body = nil end
         requests[#requests + 1] = wrk.format(method, url, headers, body)
      end
      line_number = line_number + 1
   end
   if #requests == 0 then
      error("no requests for thread " .. tid .. " in " .. path)
   end
end

function request()
   position = position % #requests + 1
   return requests[position]
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests_made)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, count in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + count
      end
   end
   local parts = {}
   for status, count in pairs(counts) do
      parts[#parts + 1] = string.format('"%s": %d', status, count)
   end
   local errors = summary.errors
   print(string.format(
      'BENCH_JSON {"duration_us": %d, "responses": %d, "bytes": %d, "statuses": {%s}, ' ..
      '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, "status_errors": %d, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p95": %d, "p99": %d, "p999": %d, "max": %d, "mean": %.1f}}',
      summary.duration, summary.requests, summary.bytes, table.concat(parts, ", "),
      errors.connect, errors.read, errors.write, errors.timeout, errors.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean))
end
