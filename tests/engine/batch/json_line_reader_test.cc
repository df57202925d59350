#include "engine/batch/json_line_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace kijun::engine::batch {
namespace {

std::vector<std::string> GetlineLines(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// The reader's lines, each checked to have simdjson's padding readable.
std::vector<std::string> ReaderLines(const std::string& text, size_t block) {
  std::istringstream in(text);
  JsonLineReader reader(in, block);
  std::vector<std::string> lines;
  simdjson::padded_string_view line;
  while (reader.Next(line)) {
    EXPECT_GE(line.padding(), simdjson::SIMDJSON_PADDING) << "line " << lines.size() + 1;
    lines.emplace_back(line);
  }
  return lines;
}

TEST(JsonLineReader, GivesTheLinesGetlineGives) {
  const std::vector<std::string> texts = {
      "",
      "\n",
      "\n\n\n",
      "one",
      "one\n",
      "one\ntwo",
      "one\r\ntwo\r\n",
      "{\"a\":1}\n\n{\"b\":2}\n",
      "  \n\t\n{}",
      std::string(5000, 'x') + "\n" + "short\n" + std::string(3, 'y'),
      "漢字の行\n２行目\n",
  };
  for (const auto& text : texts) {
    for (size_t block : {size_t{1}, size_t{2}, size_t{7}, size_t{64}, size_t{1} << 20}) {
      EXPECT_EQ(ReaderLines(text, block), GetlineLines(text))
          << "block " << block << ", text of " << text.size() << " bytes";
    }
  }
}

TEST(JsonLineReader, RandomStreamsAcrossBlockBoundaries) {
  std::mt19937 rng(11);
  for (int round = 0; round < 200; ++round) {
    std::string text;
    int n = int(rng() % 40);
    for (int i = 0; i < n; ++i) {
      text.append(rng() % 120, char('a' + rng() % 26));
      if (rng() % 5 != 0) text += '\n';
    }
    size_t block = 1 + rng() % 100;
    ASSERT_EQ(ReaderLines(text, block), GetlineLines(text)) << "round " << round;
  }
}

TEST(JsonLineReader, LinesParseInPlace) {
  std::string text;
  for (int i = 0; i < 1000; ++i)
    text += "{\"id\":\"F" + std::to_string(i) + "\",\"n\":" + std::to_string(i) + "}\n";
  std::istringstream in(text);
  JsonLineReader reader(in, 100);
  simdjson::dom::parser parser;
  simdjson::padded_string_view line;
  int64_t expected = 0;
  while (reader.Next(line)) {
    simdjson::dom::element e;
    ASSERT_EQ(parser.parse(line).get(e), simdjson::SUCCESS) << std::string_view(line);
    int64_t n = 0;
    ASSERT_EQ(e["n"].get(n), simdjson::SUCCESS);
    EXPECT_EQ(n, expected++);
  }
  EXPECT_EQ(expected, 1000);
}

}  // namespace
}  // namespace kijun::engine::batch
