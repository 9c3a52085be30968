// The members of one room: a compact set of sockets. Most rooms are small
// (every client has its own user room), where a QSet's hash spans would cost
// over a kilobyte each; here a small room is a plain vector, and a large one
// adds an index for O(1) removal. Iteration is over the vector.
#pragma once

#include <QtGlobal>

#include <cstddef>
#include <memory>
#include <unordered_map>
#include <vector>

namespace qpush::sio {

class Socket;

class SocketSet
{
public:
    SocketSet() = default;
    SocketSet(const SocketSet &other) : m_list(other.m_list)
    {
        if (other.m_index)
            m_index = std::make_unique<std::unordered_map<Socket *, size_t>>(*other.m_index);
    }
    SocketSet &operator=(const SocketSet &other)
    {
        if (this != &other)
            *this = SocketSet(other);
        return *this;
    }
    SocketSet(SocketSet &&) noexcept = default;
    SocketSet &operator=(SocketSet &&) noexcept = default;
    ~SocketSet() = default;

    bool contains(Socket *s) const
    {
        if (m_index)
            return m_index->count(s) != 0;
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
        if (m_index)
            m_index->emplace(s, m_list.size() - 1);
        else if (m_list.size() > kIndexThreshold)
            rebuildIndex();
        return true;
    }
    bool remove(Socket *s)
    {
        size_t pos = m_list.size();
        if (m_index) {
            auto it = m_index->find(s);
            if (it == m_index->end())
                return false;
            pos = it->second;
            m_index->erase(it);
        } else {
            for (size_t i = 0; i < m_list.size(); ++i)
                if (m_list[i] == s)
                    pos = i;
            if (pos == m_list.size())
                return false;
        }
        if (pos != m_list.size() - 1) {
            m_list[pos] = m_list.back();
            if (m_index)
                (*m_index)[m_list[pos]] = pos;
        }
        m_list.pop_back();
        if (m_list.size() < kIndexThreshold / 2 && m_index)
            m_index.reset();
        if (m_list.empty())
            m_list.shrink_to_fit();
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
        m_index = std::make_unique<std::unordered_map<Socket *, size_t>>();
        m_index->reserve(m_list.size() * 2);
        for (size_t i = 0; i < m_list.size(); ++i)
            m_index->emplace(m_list[i], i);
    }
    std::vector<Socket *> m_list;
    // Only for large rooms; a pointer, as an empty map inline would cost
    // every (mostly one-member) room 56 bytes.
    std::unique_ptr<std::unordered_map<Socket *, size_t>> m_index;
};

} // namespace qpush::sio
