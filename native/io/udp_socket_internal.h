// What udp_socket.cpp (open, receive) and udp_socket_send.cpp share. Linux only; included by
// those two files only.
#pragma once

#include <netinet/udp.h>
#include <sys/socket.h>
#include <time.h>

#include <cstddef>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

namespace pbp::io {

// Control space per message: a UDP_SEGMENT (TX) or SO_TIMESTAMPNS + UDP_GRO (RX) cmsg.
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(timespec)) + CMSG_SPACE(sizeof(int));

}  // namespace pbp::io
