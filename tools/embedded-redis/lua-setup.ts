// The Lua half of the adapter (see lua.ts): run once in each new lua_State,
// it turns Lua 5.4's standard library into Redis 7.0's Lua 5.1 environment
// and returns the table of globals scripts see and Redis's error handler.
// It receives `native`, the functions written in JavaScript (lua-native.ts).

/** Chunk name of this code; the error handler hides its frames, as if the wrappers were C functions. */
export const SETUP_CHUNK = "=embedded-redis";

export const SETUP_LUA = `
local native = ...
local getinfo = debug.getinfo
local type, tostring, next, pairs, select, setmetatable = type, tostring, next, pairs, select, setmetatable
local pack, unpack = table.pack, table.unpack
local floor, ceil, fmod, atan, log, huge = math.floor, math.ceil, math.fmod, math.atan, math.log, math.huge
local tonumber, pcall, format = tonumber, pcall, string.format
local gmatch, match, gsub, sub, find, lower = string.gmatch, string.match, string.gsub, string.sub, string.find, string.lower

-- Wrappers written here are exposed as C closures (native.lift), and the error handler
-- below skips them and this chunk, so errors point at the script as with Redis's C functions.
local own = {}
local function lift(fn)
  local closure = native.lift(fn)
  own[closure] = true
  return closure
end

-- Every Lua 5.1 number is a double. The numbers the adapter hands in are
-- floats; so are the results of these, which in 5.4 return integers.
local function tonumber51(...)
  local n = tonumber(...)
  local text, base = ...
  if n == 0 and type(text) == 'string' and (base == nil or base == 10) and find(text, '^%s*%-') then
    return -0.0 -- strtod keeps the sign of "-0"; 5.4 reads it as the integer 0
  end
  if n ~= nil then return n + 0.0 end
  if base == nil and type(text) == 'string' then
    -- 5.1 reads numbers with strtod, which also takes inf, infinity and nan.
    local sign, word = match(lower(text), '^%s*([-+]?)(%a+)%s*$')
    if word == 'inf' or word == 'infinity' then return sign == '-' and -huge or huge end
    if word == 'nan' then return sign == '-' and -native.nan() or native.nan() end
  end
  return nil
end
math.floor = lift(function(x) return floor(x) + 0.0 end)
math.ceil = lift(function(x) return ceil(x) + 0.0 end)
math.fmod = lift(function(a, b)
  if type(a) == 'number' then a = a + 0.0 end
  if type(b) == 'number' then b = b + 0.0 end
  return fmod(a, b)
end)

-- 5.1's string.format truncates a non-integral number for %d, %x, %c...; 5.4 raises.
local INTEGER_CONVERSION = { d = true, i = true, o = true, u = true, x = true, X = true, c = true }
string.format = lift(function(fmt, ...)
  local args = pack(...)
  if type(fmt) == 'string' then
    local i = 0
    for conversion in gmatch(fmt, '%%[-+ #0]*%d*%.?%d*(.)') do
      if conversion ~= '%' then
        i = i + 1
        local v = args[i]
        if INTEGER_CONVERSION[conversion] and type(v) == 'number' and v > -huge and v < huge then
          args[i] = v >= 0 and floor(v) or ceil(v)
        end
      end
    end
  end
  return format(fmt, unpack(args, 1, args.n))
end)

-- Lua 5.1 functions 5.4 dropped (the ones with exact equivalents).
table.getn = lift(function(t) return #t end)
table.maxn = lift(function(t)
  local n = 0
  for k in pairs(t) do
    if type(k) == 'number' and k > n then n = k end
  end
  return n
end)
math.atan2 = lift(function(y, x) return atan(y, x) end)
math.log10 = lift(function(x) return log(x, 10) end)
math.pow = lift(function(x, y) return x ^ y end)
math.ldexp = lift(function(m, e) return m * 2.0 ^ e end)
math.mod = math.fmod
string.gfind = string.gmatch

-- Lua 5.4 additions a script must not come to depend on (Redis has none of them).
math.type, math.tointeger, math.ult, math.maxinteger, math.mininteger = nil, nil, nil, nil, nil
table.move, table.pack, table.unpack = nil, nil, nil
string.pack, string.packsize, string.unpack = nil, nil, nil
coroutine.close, coroutine.isyieldable = nil, nil

-- Redis's pcall: an error raised as {err=...} (as redis.call raises) is caught as its message.
local function pcall51(...)
  local result = pack(pcall(...))
  if result[1] then return unpack(result, 1, result.n) end
  local e = result[2]
  if type(e) == 'table' then
    local message = e.err
    if type(message) == 'string' or type(message) == 'number' then e = message end
  end
  return false, e
end

-- luaPushErrorBuff: "-CODE message" or "message" becomes {err = "CODE message"}.
local function error_table(text)
  local code, message = 'ERR', text
  if sub(text, 1, 1) == '-' then
    local space = find(text, ' ', 1, true)
    if space then code, message = sub(text, 2, space - 1), sub(text, space + 1) else message = sub(text, 2) end
  end
  return { err = code .. ' ' .. match(message, '^[\\r\\n]*(.-)[\\r\\n]*$') }
end

local function constant(value) return lift(function() return value end) end
local redis = {
  call = native.call,
  pcall = native.pcall,
  sha1hex = native.sha1hex,
  log = native.log,
  setresp = native.setresp,
  set_repl = native.set_repl,
  error_reply = lift(function(...)
    local text = ...
    if select('#', ...) ~= 1 or type(text) ~= 'string' then return error_table('wrong number or type of arguments') end
    if sub(text, 1, 1) ~= '-' then text = '-' .. text end
    return error_table(text)
  end),
  status_reply = lift(function(...)
    local text = ...
    if select('#', ...) ~= 1 or type(text) ~= 'string' then return error_table('wrong number or type of arguments') end
    return { ok = text }
  end),
  replicate_commands = constant(true),
  breakpoint = constant(false),
  debug = lift(function() end),
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = '7.0.15', REDIS_VERSION_NUM = 458767,
}
local cjson = { encode = native.encode, decode = native.decode, null = native.null }

-- Redis makes every library table read-only; here scripts see read-only views of them.
local function readonly(t)
  return setmetatable({}, {
    __index = t,
    __newindex = native.readonly,
    __pairs = function() return next, t, nil end,
    __metatable = false,
  })
end
local string_view = readonly(string)
local string_meta = getmetatable('')
string_meta.__index = string_view
string_meta.__metatable = readonly(string_meta)

local globals = {
  string = string_view, table = readonly(table), math = readonly(math), coroutine = readonly(coroutine),
  redis = readonly(redis), cjson = readonly(cjson),
  assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = lift(pcall51),
  rawequal = rawequal, rawget = rawget, rawset = rawset, select = select, type = type, unpack = unpack,
  setmetatable = setmetatable, getmetatable = getmetatable, tonumber = lift(tonumber51), tostring = tostring,
  xpcall = xpcall, collectgarbage = collectgarbage,
  gcinfo = lift(function() return floor(collectgarbage('count')) + 0.0 end),
  _VERSION = 'Lua 5.1',
}

-- 5.4 words type errors "attempt to index a nil value (field 'a')", 5.1 "attempt to index
-- field 'a' (a nil value)"; 5.4 also names constants, which 5.1 does not.
local function message51(text)
  return (gsub(text, "attempt to ([%a ]-) a (%a+) value %((%a+) '(.-)'%)$", function(op, kind, what, name)
    if what == 'constant' then return 'attempt to ' .. op .. ' a ' .. kind .. ' value' end
    return 'attempt to ' .. op .. ' ' .. what .. " '" .. name .. "' (a " .. kind .. ' value)'
  end))
end

-- Redis's __redis__err__handler (eval.c), plus: frames of this chunk and of its lifted
-- wrappers are skipped, and a position this chunk put in a message is replaced by the
-- script's, as if the wrappers were the C functions they stand in for.
local function handler(err)
  local i = getinfo(2, 'nSlf')
  local level = 2
  if i and i.what == 'C' then
    level = 3
    i = getinfo(level, 'nSlf')
  end
  while i and (i.source == '${SETUP_CHUNK}' or own[i.func]) do
    level = level + 1
    i = getinfo(level, 'nSlf')
  end
  if type(err) ~= 'table' then
    local text = tostring(err)
    if type(err) == 'string' then
      if i then
        text = gsub(text, '^embedded%-redis:%d+: ', function() return i.short_src .. ':' .. i.currentline .. ': ' end)
      end
      text = message51(text)
    end
    err = { err = 'ERR ' .. text }
  end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline
  end
  return err
end

debug = nil
return globals, handler
`;
