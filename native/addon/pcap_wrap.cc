#include "pcap_wrap.h"

#include "../raw/pcap_writer.h"
#include "errors.h"
#include "pool_wrap.h"

namespace pbp_addon {
namespace {

// The writer keeps only fd, snap length and format between calls, so it is rebuilt per call from
// them (nothing to own or finalize on the native side).
bool readWriter(const Napi::CallbackInfo& info, size_t at, uint32_t& fd, uint32_t& snap, uint32_t& format) {
  if (!readUint32(info, at, "fd", fd) || !readUint32(info, at + 1, "snapLength", snap) ||
      !readUint32(info, at + 2, "format", format))
    return false;
  if (fd > 0x7FFFFFFF) {
    throwIOReturn(info.Env(), pbp::IOReturn::BadArgument, "fd must be a file descriptor, got " + std::to_string(fd));
    return false;
  }
  return true;
}

}  // namespace

Napi::Value pcapBegin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t fd, snap, format, linkType;
  if (!readWriter(info, 0, fd, snap, format) || !readUint32(info, 3, "linkType", linkType)) return env.Undefined();
  pbp::raw::PcapWriter w;
  pbp::Status s = pbp::raw::PcapWriter::begin(int(fd), snap, linkType, pbp::raw::PcapWriter::Format(format), w);
  if (!s.isOk()) return throwStatus(env, s);
  return Napi::Number::New(env, double(w.bytesWritten()));
}

Napi::Value pcapWrite(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PoolWrap* pool = PoolWrap::from(env, info.Length() > 0 ? info[0] : env.Undefined());
  if (!pool) return env.Undefined();
  if (!pool->pool()) return throwIOReturn(env, pbp::IOReturn::NotAttached, "the pool has been released");
  uint32_t fd, snap, format, n;
  Napi::Uint32Array a;
  if (!readWriter(info, 1, fd, snap, format) || !readUint32Array(info, 4, "indices", a) ||
      !readCount(info, 5, a.ElementLength(), n))
    return env.Undefined();
  pbp::raw::PcapWriter w;
  pbp::Status s = pbp::raw::PcapWriter::resume(int(fd), snap, pbp::raw::PcapWriter::Format(format), w);
  if (s.isOk()) s = w.write(*pool->pool(), a.Data(), n);
  if (!s.isOk()) return throwStatus(env, s);
  return Napi::Number::New(env, double(w.bytesWritten()));
}

}  // namespace pbp_addon
