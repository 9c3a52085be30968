#include "redisscripts.h"

namespace qpush::store {

namespace {

// Helpers prepended to scripts that need them.
const char kNow[] = R"lua(
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
)lua";

const char kAddOffline[] = R"lua(
local function addOffline(base, cid, id, expireAt, limit, now)
  local k = base .. 'o:' .. cid
  redis.call('ZADD', k, id, id)
  if limit <= 0 then
    redis.call('DEL', k)
    return
  end
  redis.call('ZREMRANGEBYRANK', k, 0, -limit - 1)
  local want = expireAt - now
  if redis.call('PTTL', k) < want then redis.call('PEXPIRE', k, want) end
end
)lua";

const char kDnd[] = R"lua(
local function editDnd(cur, adds, removes)
  local list, seen = {}, {}
  for item in string.gmatch(cur or '', '[^,]+') do
    if not seen[item] then list[#list + 1] = item; seen[item] = true end
  end
  for _, a in ipairs(adds) do
    if a ~= '' and not seen[a] then list[#list + 1] = a; seen[a] = true end
  end
  local rm = {}
  for _, r in ipairs(removes) do rm[r] = true end
  local out = {}
  for _, x in ipairs(list) do if not rm[x] then out[#out + 1] = x end end
  return table.concat(out, ',')
end
local function splitArgs(from, n)
  local adds, removes = {}, {}
  for i = from, from + n - 1 do adds[#adds + 1] = ARGV[i] end
  for i = from + n, #ARGV do removes[#removes + 1] = ARGV[i] end
  return adds, removes
end
)lua";

const char kMembers[] = R"lua(
local PLATFORMS = {'web', 'ios', 'android'}
local function roomMembers(base, room)
  local out = {}
  for _, p in ipairs(PLATFORMS) do
    for _, cid in ipairs(redis.call('SMEMBERS', base .. 'r:' .. room .. ':' .. p)) do
      out[#out + 1] = {cid, p}
    end
  end
  return out
end
)lua";

// KEYS: m:<id> msgs mexp rn:<room> rm:<room> st:m st:h st:d
// ARGV: base id ttl nsp room data sendDate lm apnsName extra except online
//       recentLimit offlineLimit offline-cids...
// (The push's follow-up job is enqueued before, by kJobEnqueue.)
const char kPush[] = R"lua(
local base, id, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local now = nowMs()
local expireAt = now + ttl
local serverNum = redis.call('INCR', KEYS[4]) - 1
redis.call('HSET', KEYS[1], 'id', id, 'nsp', ARGV[4], 'room', ARGV[5], 'data', ARGV[6], 'sd', ARGV[7],
  'sn', serverNum, 'lm', ARGV[8], 'an', ARGV[9], 'ex', ARGV[10], 'exc', ARGV[11], 'exp', expireAt,
  'oc', ARGV[12], 'ac', 0, 'ai', 0, 'aa', 0, 'aw', 0, 'pc', 0, 'ps', 0, 'pe', '', 'res', '')
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], id, id)
redis.call('ZADD', KEYS[3], expireAt, id)
redis.call('ZADD', KEYS[5], serverNum, id)
redis.call('ZREMRANGEBYRANK', KEYS[5], 0, -tonumber(ARGV[13]) - 1)
local statTtl = {120000, 7200000, 172800000}
for i = 6, 8 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIRE', KEYS[i], statTtl[i - 5]) end
end
local limit = tonumber(ARGV[14])
for i = 15, #ARGV do addOffline(base, ARGV[i], id, expireAt, limit, now) end
return {serverNum, expireAt}
)lua";

// KEYS: m:<id> a:<id>   ARGV: base id, then per client: cid platformField platformName
// -> -1 unknown/expired, else one code per client: 0 already counted,
// 1 counted, 2 not a target; a client listed twice counts once.
const char kAcks[] = R"lua(
local room = redis.call('HGET', KEYS[1], 'room')
if not room then return -1 end
local exc = redis.call('HGET', KEYS[1], 'exc')
local base, id = ARGV[1], ARGV[2]
local out, added, perField = {}, 0, {}
for i = 3, #ARGV - 2, 3 do
  local cid, field, pname = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  redis.call('ZREM', base .. 'o:' .. cid, id)
  local r = 2
  if cid ~= exc and redis.call('SISMEMBER', base .. 'r:' .. room .. ':' .. pname, cid) == 1 then
    r = redis.call('HSETNX', KEYS[2], cid, pname)
    if r == 1 then
      added = added + 1
      perField[field] = (perField[field] or 0) + 1
    end
  end
  out[#out + 1] = r
end
if added > 0 then
  redis.call('HINCRBY', KEYS[1], 'ac', added)
  for field, n in pairs(perField) do redis.call('HINCRBY', KEYS[1], field, n) end
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return out
)lua";

// KEYS: m:<id>   ARGV: tried succeeded env result
const char kApns[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HINCRBY', KEYS[1], 'pc', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'ps', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'pe', ARGV[3]) end
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'res', ARGV[4]) end
return 1
)lua";

// KEYS: m:<id> ao:<id>   ARGV: base (clientId, "<succeeded><cleared>reason")...
// One answer per client: HSETNX keeps the first, only new ones are counted.
const char kApnsOutcomes[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local tried, ok = 0, 0
for i = 2, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) == 1 then
    tried = tried + 1
    if string.sub(ARGV[i + 1], 1, 1) == '1' then ok = ok + 1 end
  end
end
if tried > 0 then
  redis.call('HINCRBY', KEYS[1], 'pc', tried)
  redis.call('HINCRBY', KEYS[1], 'ps', ok)
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return tried
)lua";

// KEYS: msgs   ARGV: base offset size
const char kListReports[] = R"lua(
local base, offset, size = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out, skipped, pos = {}, 0, 0
while #out < size do
  local ids = redis.call('ZREVRANGE', KEYS[1], pos, pos + 199)
  if #ids == 0 then break end
  pos = pos + #ids
  for _, id in ipairs(ids) do
    local h = redis.call('HGETALL', base .. 'm:' .. id)
    if #h == 0 then
      redis.call('ZREM', KEYS[1], id)
      pos = pos - 1
    elseif skipped < offset then
      skipped = skipped + 1
    else
      out[#out + 1] = h
      if #out >= size then break end
    end
  end
end
return out
)lua";

// KEYS: m:<id> a:<id>   ARGV: base
const char kPending[] = R"lua(
local base = ARGV[1]
local room = redis.call('HGET', KEYS[1], 'room')
if not room then return -1 end
local exc = redis.call('HGET', KEYS[1], 'exc')
local out = {}
for _, p in ipairs({'ios', 'android'}) do
  for _, cid in ipairs(redis.call('SMEMBERS', base .. 'r:' .. room .. ':' .. p)) do
    if cid ~= exc and redis.call('HEXISTS', KEYS[2], cid) == 0 then
      local ck = base .. 'c:' .. cid
      local lm = redis.call('HGET', ck, 'lm')
      if lm and lm ~= '0' then
        out[#out + 1] = {cid, redis.call('HGETALL', ck)}
      end
    end
  end
end
return out
)lua";

// KEYS: c:<cid> clients   ARGV: cid userid platform uuid mask lct ldt ud mob sys tok lm dnd
const char kUpdateClient[] = R"lua(
local k = KEYS[1]
if redis.call('EXISTS', k) == 0 then
  redis.call('HSET', k, 'userid', ARGV[2], 'plat', ARGV[3], 'uuid', ARGV[4], 'fct', 0, 'lct', 0, 'ldt', 0,
    'ud', 0, 'mob', '', 'sys', '', 'tok', '', 'dnd', '', 'lm', 1)
end
local mask = ARGV[5]
local function has(i) return string.sub(mask, i, i) == '1' end
if has(1) then
  redis.call('HSET', k, 'lct', ARGV[6], 'lm', 1)
  if tonumber(redis.call('HGET', k, 'fct')) == 0 then redis.call('HSET', k, 'fct', ARGV[6]) end
end
local fields = {'ldt', 'ud', 'mob', 'sys', 'tok', 'lm', 'dnd'}
for i = 2, 8 do
  if has(i) then redis.call('HSET', k, fields[i - 1], ARGV[5 + i]) end
end
local t = redis.call('HMGET', k, 'fct', 'lct', 'ldt', 'ud')
local seen = 0
for _, v in ipairs(t) do
  local n = tonumber(v) or 0
  if n > seen then seen = n end
end
redis.call('ZADD', KEYS[2], seen, ARGV[1])
return redis.call('HGETALL', k)
)lua";

// KEYS: c:<cid>   ARGV: nAdd adds... removes...
const char kEditClientDnd[] = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local adds, removes = splitArgs(2, tonumber(ARGV[1]))
local v = editDnd(redis.call('HGET', KEYS[1], 'dnd'), adds, removes)
redis.call('HSET', KEYS[1], 'dnd', v)
return v
)lua";

// KEYS: cr:<cid>   ARGV: base cid platform rooms...
const char kJoin[] = R"lua(
for i = 4, #ARGV do
  redis.call('SADD', KEYS[1], ARGV[i])
  redis.call('SADD', ARGV[1] .. 'r:' .. ARGV[i] .. ':' .. ARGV[3], ARGV[2])
end
return 1
)lua";

const char kLeave[] = R"lua(
for i = 4, #ARGV do
  redis.call('SREM', KEYS[1], ARGV[i])
  redis.call('SREM', ARGV[1] .. 'r:' .. ARGV[i] .. ':' .. ARGV[3], ARGV[2])
end
return 1
)lua";

// KEYS: clients (routing)   ARGV: base kind(join|leave) target sources...
const char kTransfer[] = R"lua(
local base, join, target = ARGV[1], ARGV[2] == 'join', ARGV[3]
local members = {}
for i = 4, #ARGV do
  for _, m in ipairs(roomMembers(base, ARGV[i])) do members[m[1]] = m[2] end
end
local changed = {}
for cid, p in pairs(members) do
  local n
  if join then
    n = redis.call('SADD', base .. 'r:' .. target .. ':' .. p, cid)
    redis.call('SADD', base .. 'cr:' .. cid, target)
  else
    n = redis.call('SREM', base .. 'r:' .. target .. ':' .. p, cid)
    redis.call('SREM', base .. 'cr:' .. cid, target)
  end
  if n == 1 then changed[#changed + 1] = cid end
end
return changed
)lua";

// KEYS: clients (routing)   ARGV: base room value
const char kRoomLeaveMessage[] = R"lua(
local n = 0
for _, m in ipairs(roomMembers(ARGV[1], ARGV[2])) do
  local ck = ARGV[1] .. 'c:' .. m[1]
  if redis.call('EXISTS', ck) == 1 then
    redis.call('HSET', ck, 'lm', ARGV[3])
    n = n + 1
  end
end
return n
)lua";

// KEYS: clients (routing)   ARGV: base room nAdd adds... removes...
const char kRoomDnd[] = R"lua(
local adds, removes = splitArgs(4, tonumber(ARGV[3]))
local n = 0
for _, m in ipairs(roomMembers(ARGV[1], ARGV[2])) do
  local ck = ARGV[1] .. 'c:' .. m[1]
  if redis.call('EXISTS', ck) == 1 then
    redis.call('HSET', ck, 'dnd', editDnd(redis.call('HGET', ck, 'dnd'), adds, removes))
    n = n + 1
  end
end
return n
)lua";

// KEYS: clients (routing)   ARGV: base rooms...   -> {web, ios, android} per room
const char kRoomCounts[] = R"lua(
local out = {}
for i = 2, #ARGV do
  local c = {}
  for _, p in ipairs(PLATFORMS) do c[#c + 1] = redis.call('SCARD', ARGV[1] .. 'r:' .. ARGV[i] .. ':' .. p) end
  out[#out + 1] = c
end
return out
)lua";

// KEYS: clients   ARGV: base cutoff
const char kLegacy[] = R"lua(
local base = ARGV[1]
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2])
for _, cid in ipairs(ids) do
  for _, room in ipairs(redis.call('SMEMBERS', base .. 'cr:' .. cid)) do
    for _, p in ipairs(PLATFORMS) do redis.call('SREM', base .. 'r:' .. room .. ':' .. p, cid) end
  end
  redis.call('DEL', base .. 'c:' .. cid, base .. 'cr:' .. cid, base .. 'o:' .. cid)
  redis.call('ZREM', KEYS[1], cid)
end
return ids
)lua";

// KEYS: rn:<room> rm:<room>   ARGV: base clientNum fetch limit maxBytes
const char kSync[] = R"lua(
local serverNum = tonumber(redis.call('GET', KEYS[1]) or '0')
local out = {}
local clientNum, limit, maxBytes = tonumber(ARGV[2]), tonumber(ARGV[4]), tonumber(ARGV[5])
local bytes = 0
if ARGV[3] == '1' and clientNum < serverNum and limit > 0 then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], math.max(clientNum, 0), '+inf')) do
    local h = redis.call('HGETALL', ARGV[1] .. 'm:' .. id)
    if #h == 0 then
      redis.call('ZREM', KEYS[2], id)
    else
      for i = 1, #h, 2 do
        if h[i] == 'data' then bytes = bytes + #h[i + 1] end
      end
      if #out > 0 and bytes > maxBytes then break end
      out[#out + 1] = h
      if #out >= limit then break end
    end
  end
end
return {serverNum, out}
)lua";

// KEYS: m:<id>   ARGV: base id limit cids...
const char kAddOfflineScript[] = R"lua(
local expireAt = tonumber(redis.call('HGET', KEYS[1], 'exp'))
if not expireAt then return -1 end
local now = nowMs()
for i = 4, #ARGV do addOffline(ARGV[1], ARGV[i], tonumber(ARGV[2]), expireAt, tonumber(ARGV[3]), now) end
return 1
)lua";

// KEYS: o:<cid>   ARGV: base maxBytes
const char kOffline[] = R"lua(
local out = {}
local bytes, maxBytes = 0, tonumber(ARGV[2])
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local h = redis.call('HGETALL', ARGV[1] .. 'm:' .. id)
  if #h == 0 then
    redis.call('ZREM', KEYS[1], id)
  else
    for i = 1, #h, 2 do
      if h[i] == 'data' then bytes = bytes + #h[i + 1] end
    end
    if #out > 0 and bytes > maxBytes then break end
    out[#out + 1] = h
  end
end
return out
)lua";

// Durable work (docs/storage.md "Jobs"): every key below carries the hash
// tag {jobs} (ARGV[1] = "<prefix>{jobs}"), so one slot holds the whole
// queue. A job is a hash j:<jid>; it waits in the sorted set `due` until its
// time, then becomes an entry {jid} of the stream `stream`, read by the
// consumer group `workers`. The hash is the job's "not done" marker:
// completing deletes it (with XACK + XDEL) in one script, and an entry whose
// hash is gone is acknowledged and dropped wherever it is read again.
const char kJobs[] = R"lua(
local GROUP = 'workers'
local function ensureGroup(stream)
  redis.pcall('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM')
end
local function fieldOf(fields, name)
  if not fields then return nil end
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return nil
end
-- A delivered entry: the job (attempts + 1, entry id noted) or, for a wake
-- entry or a job done meanwhile, acknowledged and dropped.
local function take(J, stream, id, jid, out)
  local jk = jid and (J .. 'j:' .. jid)
  if jk and redis.call('EXISTS', jk) == 1 then
    redis.call('HINCRBY', jk, 'att', 1)
    redis.call('HSET', jk, 'sid', id)
    local h = redis.call('HGETALL', jk)
    h[#h + 1] = 'id'
    h[#h + 1] = jid
    out[#out + 1] = h
  else
    redis.call('XACK', stream, GROUP, id)
    redis.call('XDEL', stream, id)
  end
end
local function nextDue(due)
  local head = redis.call('ZRANGE', due, 0, 0, 'WITHSCORES')
  if head[2] then return tonumber(head[2]) end
  return -1
end
)lua";

// KEYS: seq due stream   ARGV: J nsp kind payload due
// A wake entry tells one waiting worker that the earliest due time changed.
const char kJobEnqueue[] = R"lua(
local J = ARGV[1]
local jid = redis.call('INCR', KEYS[1])
redis.call('HSET', J .. 'j:' .. jid, 'nsp', ARGV[2], 'kind', ARGV[3], 'payload', ARGV[4], 'due', ARGV[5], 'att', 0)
redis.call('SADD', J .. 'ns:' .. ARGV[2], jid)
redis.call('ZADD', KEYS[2], tonumber(ARGV[5]), jid)
if redis.call('ZRANGE', KEYS[2], 0, 0)[1] == tostring(jid) then
  ensureGroup(KEYS[3])
  redis.call('XADD', KEYS[3], '*', 'wake', jid)
end
return jid
)lua";

// KEYS: due stream cursor   ARGV: J now max minIdleMs consumer
// -> {jobs, next due time or -1}. 1. due jobs enter the stream; 2. entries
// another consumer has held for minIdleMs are taken over (XAUTOCLAIM, the
// scan cursor kept in `cursor`); 3. new entries are read (XREADGROUP).
const char kJobClaim[] = R"lua(
local J, now, max = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local stream = KEYS[2]
ensureGroup(stream)
for _, jid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, max)) do
  redis.call('ZREM', KEYS[1], jid)
  redis.call('XADD', stream, '*', 'jid', jid)
end
local out = {}
local cursor = redis.call('GET', KEYS[3]) or '0-0'
local r = redis.call('XAUTOCLAIM', stream, GROUP, ARGV[5], ARGV[4], cursor, 'COUNT', max)
redis.call('SET', KEYS[3], r[1])
for _, e in ipairs(r[2]) do
  if e then take(J, stream, e[1], fieldOf(e[2], 'jid'), out) end
end
-- (wake entries and entries of finished jobs do not count: read on)
while #out < max do
  local rr = redis.call('XREADGROUP', 'GROUP', GROUP, ARGV[5], 'COUNT', max - #out, 'STREAMS', stream, '>')
  if not rr then break end
  for _, e in ipairs(rr[1][2]) do take(J, stream, e[1], fieldOf(e[2], 'jid'), out) end
end
return {out, nextDue(KEYS[1])}
)lua";

// KEYS: stream due   ARGV: J, then per entry read by a blocking XREADGROUP:
// id jid ('' for a wake entry) -> {jobs, next due time or -1}
const char kJobAdopt[] = R"lua(
local out = {}
for i = 2, #ARGV, 2 do
  local jid = ARGV[i + 1]
  if jid == '' then jid = nil end
  take(ARGV[1], KEYS[1], ARGV[i], jid, out)
end
return {out, nextDue(KEYS[2])}
)lua";

// KEYS: j:<jid> stream due ns:<nsp>   ARGV: jid -> 1 done now, 0 already done
const char kJobComplete[] = R"lua(
local sid = redis.call('HGET', KEYS[1], 'sid')
local existed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SREM', KEYS[4], ARGV[1])
if sid then
  redis.call('XACK', KEYS[2], GROUP, sid)
  redis.call('XDEL', KEYS[2], sid)
end
return existed
)lua";

// KEYS: ns:<nsp> stream due   ARGV: J -> jobs removed
const char kJobDropNamespace[] = R"lua(
local jids = redis.call('SMEMBERS', KEYS[1])
for _, jid in ipairs(jids) do
  local jk = ARGV[1] .. 'j:' .. jid
  local sid = redis.call('HGET', jk, 'sid')
  redis.call('DEL', jk)
  redis.call('ZREM', KEYS[3], jid)
  if sid then
    redis.call('XACK', KEYS[2], GROUP, sid)
    redis.call('XDEL', KEYS[2], sid)
  end
end
redis.call('DEL', KEYS[1])
return #jids
)lua";

// KEYS: stream   ARGV: J consumer, then jids: the worker still runs these
// jobs; their entries' idle time restarts (XCLAIM to itself, JUSTID) so that
// no other worker takes them over while the work goes on.
const char kJobRenew[] = R"lua(
local cmd = {'XCLAIM', KEYS[1], GROUP, ARGV[2], 0}
for i = 3, #ARGV do
  local sid = redis.call('HGET', ARGV[1] .. 'j:' .. ARGV[i], 'sid')
  if sid then cmd[#cmd + 1] = sid end
end
if #cmd == 5 then return 0 end
cmd[#cmd + 1] = 'JUSTID'
return #redis.call(unpack(cmd))
)lua";

// KEYS: mexp msgs   ARGV: now
const char kSweep[] = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
)lua";

RedisScript make(std::initializer_list<const char *> parts)
{
    QByteArray body;
    for (const char *p : parts)
        body += p;
    return RedisScript::fromBody(body);
}

} // namespace

RedisScripts RedisScripts::build()
{
    return RedisScripts{
        make({kNow, kAddOffline, kPush}),
        make({kAcks}),
        make({kApns}),
        make({kApnsOutcomes}),
        make({kListReports}),
        make({kPending}),
        make({kUpdateClient}),
        make({kDnd, kEditClientDnd}),
        make({kJoin}),
        make({kLeave}),
        make({kMembers, kTransfer}),
        make({kMembers, kRoomLeaveMessage}),
        make({kDnd, kMembers, kRoomDnd}),
        make({kMembers, kRoomCounts}),
        make({kMembers, kLegacy}),
        make({kSync}),
        make({kNow, kAddOffline, kAddOfflineScript}),
        make({kOffline}),
        make({kJobs, kJobEnqueue}),
        make({kJobs, kJobClaim}),
        make({kJobs, kJobAdopt}),
        make({kJobs, kJobComplete}),
        make({kJobs, kJobDropNamespace}),
        make({kJobs, kJobRenew}),
        make({kSweep}),
    };
}

QList<RedisScript> RedisScripts::all() const
{
    return {
        push,         acks,          apnsResult, apnsOutcomes, listReports,      pending,
        updateClient, editClientDnd, join,       leave,        transfer,         roomLeaveMessage,
        roomDnd,      roomCounts,    legacy,     sync,         addOffline,       offline,
        jobEnqueue,   jobClaim,      jobAdopt,   jobComplete,  jobDropNamespace, jobRenew,
        sweep};
}

} // namespace qpush::store
