// The members of one room: a compact set of sockets. Most rooms are small
// (every client has its own user room), where a QSet's hash spans would cost
// over a kilobyte each; here a small room is a plain vector, and a large one
// adds an index for O(1) removal. Iteration is over the vector.
#pragma once

#include <QtGlobal>

#include <cstddef>
#include <unordered_map>
#include <vector>

namespace qpush::sio {

class Socket;

class SocketSet
{
public:
    bool contains(Socket *s) const
    {
        if (!m_index.empty())
            return m_index.count(s) != 0;
        for (Socket *x : m_list)
            if (x == s)
                return true;
        return false;
    }
    bool insert(Socket *s)
    {
        if (contains(s))
            return false;
        m_list.push_back(s);
        if (!m_index.empty())
            m_index.emplace(s, m_list.size() - 1);
        else if (m_list.size() > kIndexThreshold)
            rebuildIndex();
        return true;
    }
    bool remove(Socket *s)
    {
        size_t pos = m_list.size();
        if (!m_index.empty()) {
            auto it = m_index.find(s);
            if (it == m_index.end())
                return false;
            pos = it->second;
            m_index.erase(it);
        } else {
            for (size_t i = 0; i < m_list.size(); ++i)
                if (m_list[i] == s)
                    pos = i;
            if (pos == m_list.size())
                return false;
        }
        if (pos != m_list.size() - 1) {
            m_list[pos] = m_list.back();
            if (!m_index.empty())
                m_index[m_list[pos]] = pos;
        }
        m_list.pop_back();
        if (m_list.size() < kIndexThreshold / 2 && !m_index.empty())
            m_index.clear();
        return true;
    }
    qsizetype size() const { return qsizetype(m_list.size()); }
    bool isEmpty() const { return m_list.empty(); }
    auto begin() const { return m_list.begin(); }
    auto end() const { return m_list.end(); }

private:
    static constexpr size_t kIndexThreshold = 32;
    void rebuildIndex()
    {
        m_index.clear();
        m_index.reserve(m_list.size() * 2);
        for (size_t i = 0; i < m_list.size(); ++i)
            m_index.emplace(m_list[i], i);
    }
    std::vector<Socket *> m_list;
    std::unordered_map<Socket *, size_t> m_index; // only for large rooms
};

} // namespace qpush::sio
