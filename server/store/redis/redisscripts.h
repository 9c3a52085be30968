#pragma once
// The Lua scripts of the Redis store. Each changes several keys of ONE
// namespace atomically; every key it touches carries the namespace's hash
// tag, so in a cluster a script never crosses slots. ARGV[1] is always the
// namespace's key base "<prefix>{<nsp>}" from which dynamic keys are built.

#include "redisclient.h"

namespace qpush::store {

struct RedisScripts
{
    RedisScript push;
    RedisScript acks;
    RedisScript apnsResult;
    RedisScript apnsOutcomes;
    RedisScript listReports;
    RedisScript pending;
    RedisScript updateClient;
    RedisScript editClientDnd;
    RedisScript join;
    RedisScript leave;
    RedisScript transfer;
    RedisScript roomLeaveMessage;
    RedisScript roomDnd;
    RedisScript roomCounts;
    RedisScript legacy;
    RedisScript sync;
    RedisScript addOffline;
    RedisScript offline;
    RedisScript jobEnqueue;
    RedisScript jobClaim;
    RedisScript jobAdopt;
    RedisScript jobComplete;
    RedisScript jobDropNamespace;
    RedisScript jobRenew;
    RedisScript sweep;

    static RedisScripts build();
    QList<RedisScript> all() const;
};

} // namespace qpush::store
