#pragma once

// Reads a JSONL stream in large blocks and hands out each line in place,
// with simdjson's padding readable after it, so a line is parsed where it
// was read: no copy into a string per line, no copy into the parser. Lines
// are what std::getline gives: split at '\n' (kept '\r'), the last one
// given even without a final newline, none after a final newline.

#include <simdjson.h>

#include <cstddef>
#include <istream>
#include <vector>

namespace kijun::engine::batch {

class JsonLineReader {
 public:
  explicit JsonLineReader(std::istream& in, size_t block_size = size_t{1} << 20);

  // The next line, valid until the next call; false at the end of the
  // stream (or when it fails).
  bool Next(simdjson::padded_string_view& line);

 private:
  // Reads more of the stream after the unread bytes (moved to the front,
  // the buffer doubled when one line fills it); false when nothing came.
  bool Fill();

  std::istream& in_;
  // The bytes read, then SIMDJSON_PADDING zero bytes beyond the capacity.
  std::vector<char> buffer_;
  size_t capacity_;
  size_t begin_ = 0;  // the first unread byte
  size_t end_ = 0;    // one past the last byte read
  bool at_end_ = false;
};

}  // namespace kijun::engine::batch
