// pcapBegin(fd, snapLength, linkType) and pcapWrite(nativePool, fd, snapLength, indices, count):
// the pcap writer (native/raw/pcap_writer.h) over a file descriptor lib/pcap.ts owns.
#pragma once

#include <napi.h>

namespace pbp_addon {

Napi::Value pcapBegin(const Napi::CallbackInfo& info);
Napi::Value pcapWrite(const Napi::CallbackInfo& info);

}  // namespace pbp_addon
