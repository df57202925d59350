#include "engine/batch/json_line_reader.h"

#include <cstring>

namespace kijun::engine::batch {

JsonLineReader::JsonLineReader(std::istream& in, size_t block_size)
    : in_(in), buffer_(block_size + simdjson::SIMDJSON_PADDING), capacity_(block_size) {}

bool JsonLineReader::Next(simdjson::padded_string_view& line) {
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline != nullptr) {
      auto length = size_t(newline - start);
      // Everything up to the end of the buffer, padding included, is readable.
      line = simdjson::padded_string_view(start, length, buffer_.size() - begin_);
      begin_ += length + 1;
      return true;
    }
    if (!at_end_ && Fill()) continue;
    if (begin_ == end_) return false;
    // The last line, without a newline.
    line = simdjson::padded_string_view(start, end_ - begin_, buffer_.size() - begin_);
    begin_ = end_;
    return true;
  }
}

bool JsonLineReader::Fill() {
  size_t unread = end_ - begin_;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, unread);
    begin_ = 0;
    end_ = unread;
  }
  if (end_ == capacity_) {
    capacity_ *= 2;
    buffer_.resize(capacity_ + simdjson::SIMDJSON_PADDING);
  }
  in_.read(buffer_.data() + end_, std::streamsize(capacity_ - end_));
  auto got = size_t(in_.gcount());
  end_ += got;
  // The bytes after the data stay readable; simdjson does not need them zero,
  // but a shorter read leaves the previous block's bytes there, harmless.
  if (got == 0 || !in_) at_end_ = true;
  return got > 0;
}

}  // namespace kijun::engine::batch
