// Reads a fuzz input front to back, one byte at a time. Past the end every read yields 0, so a
// truncated input still decodes (to harmless zero arguments) and done() ends the op loop.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pbp::fuzz {

class ByteStream {
 public:
  ByteStream(const uint8_t* data, size_t size) : data_(data), size_(size) {}

  bool done() const { return pos_ >= size_; }

  uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }

  // Little-endian, as the seed corpus writes them.
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t(byte()) << (8 * i);
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace pbp::fuzz
