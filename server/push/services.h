// The domain's request services over one store, built together by the
// composition root: reports, client records, room settings, online reports
// and namespace administration. The REST API reaches data only through these
// (and the registry and pipeline); it holds no store.
#pragma once

#include "clientrecords.h"
#include "namespaceadmin.h"
#include "onlinereports.h"
#include "reports.h"
#include "roomsettings.h"

namespace qpush::push {

struct Services
{
    Services(store::Store *store, NamespaceRegistry *registry, LiveClients *live,
             Presence *presence, const Settings *settings)
        : reports(store, settings), clients(store, settings), rooms(store),
          online(store, registry, presence, settings),
          namespaces(registry, live, presence, &clients)
    {
    }
    Services(const Services &) = delete;
    Services &operator=(const Services &) = delete;

    Reports reports;
    ClientRecords clients;
    RoomSettings rooms;
    OnlineReports online;
    NamespaceAdmin namespaces;
};

} // namespace qpush::push
