-- wrk script for bench/bench_survey_load.py: survey pages of many signed-in patients.
-- wrk ... -s bench/wrk_survey.lua URL -- TARGETS_FILE METHOD EXPECTED_STATUS
-- TARGETS_FILE: one line per patient, tab-separated: path, Cookie header, form body (POST).
-- Each wrk thread takes a disjoint share of the patients and walks it round-robin, so with
-- more patients per thread than connections per thread no two requests in flight name the
-- same patient. Prints one line "RESULT {json}" with counts and latency percentiles (us).

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  local file, method = args[1], args[2]
  expected = tonumber(args[3])
  unexpected = 0
  local all = {}
  for line in io.lines(file) do
    local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t?(.*)$")
    table.insert(all, {path = path, cookie = cookie, body = body})
  end
  local share = tonumber(args[4])
  requests = {}
  for k, target in ipairs(all) do
    if (k - 1) % share == thread_index then
      local headers = {Cookie = target.cookie}
      if method == "POST" then
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        table.insert(requests, wrk.format("POST", target.path, headers, target.body))
      else
        table.insert(requests, wrk.format("GET", target.path, headers))
      end
    end
  end
  following = 1
end

function request()
  local built = requests[following]
  following = following % #requests + 1
  return built
end

function response(status, headers, body)
  if status ~= expected then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests_done)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"socket_errors": %d, "unexpected_status": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, bad))
end
