#include "dsl/program.h"

#include <filesystem>
#include <set>

#include "dsl/ast_clone.h"
#include "dsl/external_functions.h"
#include "dsl/parser.h"
#include "dsl/pass.h"
#include "dsl/sha256.h"

namespace kijun::dsl {

namespace fs = std::filesystem;

std::vector<ast::RuleFile*> Program::AllFiles() const {
  std::vector<ast::RuleFile*> all = modules;
  if (main != nullptr) all.push_back(main);
  return all;
}

namespace {

class Loader {
 public:
  Loader(Program& program, SourceManager& sources, Diagnostics& diagnostics)
      : program_(program), sources_(sources), diagnostics_(diagnostics) {}

  void LoadMain(const SourceFile& source) {
    auto file = ParseRuleFile(source, diagnostics_);
    program_.main = file.get();
    auto* raw = file.get();
    program_.files.push_back(std::move(file));
    in_progress_.insert(Canonical(source.path()));
    LoadImports(*raw);
  }

 private:
  static std::string Canonical(const std::string& path) {
    std::error_code ec;
    auto canonical = fs::weakly_canonical(path, ec);
    return ec ? path : canonical.string();
  }

  // The module at `path` as parsed from `source`: a copy of the one this
  // run's SourceManager kept, or parsed now (and kept when the parse gave no
  // diagnostic, so a module with problems is reported to every program).
  std::unique_ptr<ast::RuleFile> ParseOnce(const std::string& path, const SourceFile& source) {
    if (const ast::RuleFile* kept = sources_.ParsedModule(path, source.text())) {
      return CloneParsedFile(*kept);
    }
    size_t before = diagnostics_.all().size();
    auto module = ParseRuleFile(source, diagnostics_);
    if (diagnostics_.all().size() == before && module->is_module) {
      sources_.KeepParsedModule(path, CloneParsedFile(*module));
    }
    return module;
  }

  void LoadImports(ast::RuleFile& file) {
    fs::path folder = fs::path(file.source->path()).parent_path();
    for (auto& import : file.imports) {
      fs::path target = (folder / import.path).lexically_normal();
      import.resolved_path = Canonical(target.string());
      if (in_progress_.count(import.resolved_path) != 0) {
        diagnostics_.Error(import.where, "K402", "import が循環しています: " + import.path,
                           "import cycle through '" + import.path + "'",
                           "モジュール同士が互いに import しないようにしてください",
                           "modules must not import each other in a circle");
        continue;
      }
      if (done_.count(import.resolved_path) != 0) continue;
      const SourceFile* source = sources_.Load(target.string());
      if (source == nullptr) {
        std::vector<std::string> siblings;
        std::error_code ec;
        fs::path dir = target.parent_path();
        if (fs::is_directory(dir, ec)) {
          for (const auto& entry : fs::directory_iterator(dir, ec)) {
            siblings.push_back(entry.path().filename().string());
          }
        }
        std::string close = ClosestName(target.filename().string(), siblings);
        if (!close.empty()) {
          // Suggest the path as the author writes it: folder and file.
          fs::path written = fs::path(import.path).parent_path() / close;
          close = written.generic_string();
        }
        diagnostics_.Error(
            import.where, "K403", "import するファイル「" + import.path + "」が見つかりません",
            "imported file '" + import.path + "' was not found (looked at " + target.string() + ")",
            close.empty() ? "パスはこのファイルのフォルダからの相対パスです"
                          : "「" + close + "」のことですか？",
            close.empty() ? "paths are relative to this file's folder"
                          : "did you mean '" + close + "'?");
        continue;
      }
      auto module = ParseOnce(import.resolved_path, *source);
      if (!module->is_module) {
        diagnostics_.Error(import.where, "K404",
                           "「" + import.path + "」はモジュールではなく疾病ファイルです",
                           "'" + import.path + "' is a disease file, not a module",
                           "共有する尺度は `module` で始まるファイルに書いてください",
                           "put shared scales in a file that starts with `module`");
        continue;
      }
      auto* raw = module.get();
      program_.files.push_back(std::move(module));
      in_progress_.insert(import.resolved_path);
      LoadImports(*raw);
      in_progress_.erase(import.resolved_path);
      done_.insert(import.resolved_path);
      program_.modules.push_back(raw);
    }
  }

  Program& program_;
  SourceManager& sources_;
  Diagnostics& diagnostics_;
  std::set<std::string> in_progress_;
  std::set<std::string> done_;
};

// "name=plugin@version" of every plugin function the program calls, sorted:
// the same text calls different code when a plugin changes, so its results,
// its version hash and its cached native code must not be reused.
std::string CalledPlugins(Program& program) {
  std::set<std::string> called;
  ForEachRootExpr(program, [&](ast::Expr& root, const std::string&) {
    ForEachSubExpr(root, [&](ast::Expr& e) {
      if (e.kind != ast::ExprKind::kCall) return;
      if (const ExternalFunction* f = FindExternalFunction(e.name)) {
        called.insert(f->name + "=" + f->provider);
      }
    });
  });
  if (called.empty()) return {};
  std::string text = "plugins:";
  for (const auto& c : called) text += "\n" + c;
  return text;
}

void Hash(Program& program) {
  std::vector<std::string_view> parts{kLanguageVersion};
  for (auto* file : program.AllFiles()) parts.push_back(file->source->text());
  // Only programs that call plugin functions get the extra part, so every
  // other program keeps the hash it always had.
  std::string plugins = CalledPlugins(program);
  if (!plugins.empty()) parts.push_back(plugins);
  // Length-prefix each part so that boundaries are part of the hash.
  std::string material;
  for (auto part : parts) material.append(std::to_string(part.size())).append(":").append(part);
  program.content_hash = "sha256:" + Sha256Hex(material);
}

}  // namespace

std::unique_ptr<Program> LoadProgram(const std::string& path, SourceManager& sources,
                                     Diagnostics& diagnostics) {
  auto program = std::make_unique<Program>();
  const SourceFile* source = sources.Load(path);
  if (source == nullptr) {
    diagnostics.Error({}, "K400", "ファイル「" + path + "」を読めません",
                      "cannot read file '" + path + "'");
    auto empty = std::make_unique<ast::RuleFile>();
    empty->source = sources.Add(path, "");
    program->main = empty.get();
    program->files.push_back(std::move(empty));
    return program;
  }
  Loader(*program, sources, diagnostics).LoadMain(*source);
  Hash(*program);
  return program;
}

std::unique_ptr<Program> LoadProgramFromText(const std::string& path, std::string text,
                                             SourceManager& sources, Diagnostics& diagnostics) {
  auto program = std::make_unique<Program>();
  const SourceFile* source = sources.Add(path, std::move(text));
  Loader(*program, sources, diagnostics).LoadMain(*source);
  Hash(*program);
  return program;
}

}  // namespace kijun::dsl
