-- wrk script of bench/run.sh: one scenario per wrk run, chosen with key=value arguments after
-- `--`:
--
--   wrk -s bench/bench.lua URL -- scenario=chapter_auth dir=DATA threads=2 start_us=... \
--       [lo=0 hi=N] [stop=K] [path=/healthz]
--
-- dir holds the data files of bench/prepare.py. Readers are split between wrk threads (reader
-- r belongs to thread (r-1) % threads + 1), so each reader's progress writes come from one
-- thread with a client_time that only grows: start_us (microseconds, taken just before this
-- wrk run, so after every earlier run's writes) plus one per request. Searches walk a shuffled
-- list of distinct entries [lo, hi) from a different point in each thread, so nothing repeats
-- until the list is used up. stop=K ends the thread after K responses (the query-count pass
-- runs one connection). Random picks are uniform: a novel, then a chapter of it.

local opts = {}
local data = {}
local gen
local n = 0

local function load(name)
  return dofile(opts.dir .. "/" .. name .. ".lua")
end

local function pick(t)
  return t[math.random(#t)]
end

-- A uniformly random novel index of the catalog (or of the given subset of indices).
local function random_chapter(subset)
  local c = data.catalog
  local i = subset and pick(subset) or math.random(#c.novels)
  local k = math.random(c.count[i])
  local list = c.lists[i]
  local chapter = list and list[k] or (c.first[i] + k - 1)
  return c.novels[i], chapter, k, c.count[i]
end

local function iso(us)
  local s = math.floor(us / 1e6)
  return os.date("!%Y-%m-%dT%H:%M:%S", s) .. string.format(".%06dZ", us - s * 1e6)
end

local mine = {} -- this thread's reader indices

local function reader()
  local r = pick(mine)
  return r, { ["authorization"] = "Bearer " .. data.readers.tokens[r] }
end

local scenarios = {
  path = function()
    return wrk.format("GET", opts.path)
  end,
  novel = function()
    return wrk.format("GET", "/api/v1/novels/" .. pick(data.catalog.novels))
  end,
  chapter_list = function()
    return wrk.format("GET", "/api/v1/novels/" .. pick(data.catalog.novels) .. "/chapters")
  end,
  chapter_hot = function()
    local novel, chapter = random_chapter(data.catalog.hot)
    return wrk.format("GET", "/api/v1/novels/" .. novel .. "/chapters/" .. chapter)
  end,
  chapter = function()
    local novel, chapter = random_chapter()
    return wrk.format("GET", "/api/v1/novels/" .. novel .. "/chapters/" .. chapter)
  end,
  chapter_auth = function()
    local novel, chapter = random_chapter()
    local _, h = reader()
    return wrk.format("GET", "/api/v1/novels/" .. novel .. "/chapters/" .. chapter, h)
  end,
  me = function()
    local _, h = reader()
    return wrk.format("GET", "/api/v1/me", h)
  end,
  bookshelf = function()
    local _, h = reader()
    return wrk.format("GET", "/api/v1/bookshelf", h)
  end,
  progress_get = function()
    local r, h = reader()
    return wrk.format("GET", "/api/v1/progress/" .. pick(data.readers.shelves[r]), h)
  end,
  progress_put = function()
    local novel, chapter, k, count = random_chapter()
    local _, h = reader()
    h["content-type"] = "application/json"
    local body = string.format(
      '{"chapter_id":%d,"offset":%d,"percent":%.2f,"client_time":"%s"}',
      chapter, math.random(0, 4000), 100 * (k - 1) / count, iso(opts.start_us + n))
    return wrk.format("PUT", "/api/v1/progress/" .. novel, h, body)
  end,
  search = function()
    return wrk.format("GET", "/api/v1/search?q=" .. data.list[opts.lo + (opts.offset + n) % opts.span])
  end,
  suggest = function()
    return wrk.format("GET", "/api/v1/search/suggestions?q=" .. data.list[opts.lo + (opts.offset + n) % opts.span])
  end,
}

function setup(thread)
  setup_count = (setup_count or 0) + 1
  thread:set("tid", setup_count)
end

function init(args)
  for _, a in ipairs(args) do
    local k, v = a:match("^([%w_]+)=(.*)$")
    if k then opts[k] = v end
  end
  opts.threads = tonumber(opts.threads or "1")
  opts.start_us = tonumber(opts.start_us or "0")
  gen = scenarios[opts.scenario]
  if not gen then error("unknown scenario " .. tostring(opts.scenario)) end
  -- A seed per run and thread (start_us differs between runs: a warm-up's picks are not the
  -- timed run's).
  math.randomseed((opts.start_us % 2147483647) + tid * 7919)
  local s = opts.scenario
  if s ~= "path" then data.catalog = load("catalog") end
  if s == "chapter_auth" or s == "me" or s == "bookshelf" or s:match("^progress") then
    data.readers = load("readers")
    for r = 1, #data.readers.tokens do
      if (r - 1) % opts.threads == tid - 1 then mine[#mine + 1] = r end
    end
    if #mine == 0 then error("fewer readers than wrk threads") end
  end
  if s == "search" or s == "suggest" then
    data.list = load(s)
    -- Lua arrays start at 1: entries lo+1 .. hi of the list.
    opts.lo = tonumber(opts.lo or "0") + 1
    opts.span = tonumber(opts.hi or tostring(#data.list)) - opts.lo + 1
    opts.offset = math.floor(opts.span / opts.threads) * (tid - 1)
  end
  local stop = tonumber(opts.stop or "0")
  if stop > 0 then
    local seen = 0
    response = function()
      seen = seen + 1
      if seen == stop then
        wrk.thread:stop()
        -- wrk runs for its whole -d otherwise: interrupt it (the shell's parent is wrk).
        os.execute("(sleep 0.05; kill -INT $PPID) &")
      end
    end
  end
end

function request()
  n = n + 1
  return gen()
end
