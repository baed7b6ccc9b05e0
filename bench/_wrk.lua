-- wrk script of the gateway benchmark's capacity phase (bench/_capacity.py): POSTs chat
-- completions from 256 different end users (the sticky routing key), like bench/_loadgen.py,
-- and prints one WRK_JSON line with the counts and latency percentiles when done.
local stream = os.getenv("WRK_STREAM") == "1"
local model = os.getenv("WRK_MODEL") or "gpt-4o"
local bodies = {}
local system = "You are the support assistant of an online shop. Answer in two sentences, politely, and never invent order numbers."
local question = "Hi, I ordered a pair of running shoes last week (order #4821). When will it arrive?"
for i = 0, 255 do
  local extra = stream and ',"stream":true,"stream_options":{"include_usage":true}' or ""
  bodies[i] = string.format('{"model":"%s","messages":[{"role":"system","content":"%s"},{"role":"user","content":"%s"}],"max_tokens":200,"temperature":0.2,"user":"bench-user-%04d"%s}', model, system, question, i, extra)
end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. (os.getenv("WRK_KEY") or "x")}
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", nil, headers, bodies[n % 256])
end
done = function(summary, latency, requests)
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"status_errors":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99)))
end
