#pragma once

// The text a disease version was compiled from, kept in memory when it is
// published so that the same version can be compiled again later (loaded
// lazily by the version store, plugins/version_store.h) even when the files
// on disk have changed since: a watched folder being edited, a module
// rewritten, a bundle's staging folder replaced by the next deploy.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dsl/program.h"
#include "engine/ir.h"

namespace kijun::plugins {

struct VersionSource {
  struct File {
    std::string path;                         // absolute and lexically normal
    std::shared_ptr<const std::string> text;  // shared between versions importing it
  };
  std::string path;          // the disease file, as it was published
  std::string content_hash;  // of the program, as the publish computed it
  std::vector<File> files;   // every file the program read, the disease file first
};

// Shares the text of files that many versions import (the scales) between
// the versions one publish captures, so each module's text is kept once.
class SourceTexts {
 public:
  std::shared_ptr<const std::string> Share(const std::string& path, const std::string& text);

 private:
  std::map<std::string, std::shared_ptr<const std::string>> texts_;
};

// The source of `program` (a disease file and its imports, as read).
VersionSource CaptureSource(const dsl::Program& program, SourceTexts& texts);

// Parses, checks and lowers the version again from its kept text, and
// checks that it is the same version (the same content hash). The rules'
// path is the one it was published from. Null, with `error` set (bilingual),
// when it cannot be compiled.
std::optional<engine::ir::RuleSet> CompileFromSource(const VersionSource& source,
                                                     std::string& error);

}  // namespace kijun::plugins
