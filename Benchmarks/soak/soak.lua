-- wrk script of the HTTP soak (http-soak.sh): tools/call spread over two plugins, each request
-- with its own JSON-RPC id, each response checked for that id and for the answer it implies.
--
-- Run with as many threads as connections (-t N -c N): each wrk thread then owns exactly one
-- connection, which sends a request, waits for its response, then sends the next (wrk does not
-- pipeline), so the id a response must carry is the last one this thread sent.
--
-- Arguments (after --): the session id (empty for a stateless endpoint), the protocol version.

-- Globals, not locals: setup() sets thread_id in each thread's Lua state, done() reads the
-- counters back with thread:get, and both only see globals.
counter = 0
thread_id = 0
expected_id = nil
expected_text = nil
checked, mismatches, failures, errors = 0, 0, 0, 0
first_mismatch = nil
local threads = {}

function setup(thread)
   thread:set("thread_id", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   session = args[1] or ""
   version = args[2] or "2025-11-25"
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   wrk.headers["Accept"] = "application/json, text/event-stream"
   wrk.headers["MCP-Protocol-Version"] = version
   if session ~= "" then wrk.headers["Mcp-Session-Id"] = session end
end

function request()
   counter = counter + 1
   -- Unique across threads: thread number in the high digits.
   local id = thread_id * 100000000 + counter
   local body
   if counter % 2 == 0 then
      -- The C plugin: math_add(id, 1) = id + 1.
      body = string.format('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"math_add","arguments":{"a":%d,"b":1}}}', id, id)
      expected_text = string.format('"result":%d', id + 1)
   else
      -- The Swift plugin: text_upper("soak-<id>") = "SOAK-<id>".
      body = string.format('{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"text_upper","arguments":{"text":"soak-%d"}}}', id, id)
      expected_text = string.format('SOAK-%d', id)
   end
   expected_id = id
   return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
   checked = checked + 1
   if status < 200 or status > 299 then
      failures = failures + 1
      return
   end
   -- The id, followed by a non-digit (so id 12 does not match 123).
   local pattern = '"id":' .. expected_id .. '[^0-9]'
   if not string.find(body, pattern) or not string.find(body, expected_text, 1, true) then
      mismatches = mismatches + 1
      if first_mismatch == nil then first_mismatch = string.format("expected id %d: %s", expected_id, string.sub(body, 1, 300)) end
   end
   if string.find(body, '"error":', 1, true) or string.find(body, '"isError":true', 1, true) then
      errors = errors + 1
   end
end

function done(summary, latency, requests)
   local total_checked, total_mismatches, total_failures, total_errors = 0, 0, 0, 0
   local sample = nil
   for _, thread in ipairs(threads) do
      total_checked = total_checked + thread:get("checked")
      total_mismatches = total_mismatches + thread:get("mismatches")
      total_failures = total_failures + thread:get("failures")
      total_errors = total_errors + thread:get("errors")
      sample = sample or thread:get("first_mismatch")
   end
   local socket_errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
   io.write(string.format("SOAK requests=%d checked=%d non2xx=%d id_mismatches=%d rpc_errors=%d socket_errors=%d status_errors=%d duration_s=%.1f req_per_s=%.0f p50_ms=%.2f p99_ms=%.2f\n",
      summary.requests, total_checked, total_failures, total_mismatches, total_errors, socket_errors, summary.errors.status,
      summary.duration / 1e6, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000))
   if sample then io.write("SOAK first mismatch: " .. sample .. "\n") end
end
