// pcapBegin(fd, snapLength, format, linkType) and
// pcapWrite(nativePool, fd, snapLength, format, indices, count): the pcap / pcapng writer
// (native/raw/pcap_writer.h; format 0 = classic pcap, 1 = pcapng) over a file descriptor
// lib/pcap.ts owns.
#pragma once

#include <napi.h>

namespace pbp_addon {

Napi::Value pcapBegin(const Napi::CallbackInfo& info);
Napi::Value pcapWrite(const Napi::CallbackInfo& info);

}  // namespace pbp_addon
