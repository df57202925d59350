#include "engine/jit/object_cache.h"

#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "dsl/sha256.h"

namespace kijun::engine::jit {

namespace fs = std::filesystem;

namespace {

constexpr const char* kMagic = "KIJUN-OBJECT-1\n";

}  // namespace

DiskObjectCache::DiskObjectCache(std::string directory) : directory_(std::move(directory)) {
  std::error_code ec;
  fs::create_directories(directory_, ec);
}

std::string DiskObjectCache::PathFor(const llvm::Module* module) const {
  // The identifier is a hex hash (see JitEngine::Compile); keep only safe characters.
  std::string name;
  for (char ch : module->getModuleIdentifier()) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') name += ch;
  }
  return (fs::path(directory_) / (name + ".o")).string();
}

void DiskObjectCache::notifyObjectCompiled(const llvm::Module* module,
                                           llvm::MemoryBufferRef object) {
  std::string path = PathFor(module);
  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::binary);
    if (!out) return;  // a cache that cannot be written is only slower
    out << kMagic << dsl::Sha256Hex({object.getBufferStart(), object.getBufferSize()}) << '\n';
    out.write(object.getBufferStart(), static_cast<std::streamsize>(object.getBufferSize()));
    if (!out) {
      std::error_code ec;
      fs::remove(temporary, ec);
      return;
    }
  }
  std::error_code ec;
  fs::rename(temporary, path, ec);
  if (ec) fs::remove(temporary, ec);
}

std::unique_ptr<llvm::MemoryBuffer> DiskObjectCache::getObject(const llvm::Module* module) {
  std::string path = PathFor(module);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ++misses_;
    return nullptr;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string contents = buffer.str();
  std::string magic(kMagic);
  size_t digest_end = contents.find('\n', magic.size());
  bool ok = contents.compare(0, magic.size(), magic) == 0 && digest_end == magic.size() + 64;
  if (ok) {
    std::string digest = contents.substr(magic.size(), 64);
    const char* object = contents.data() + digest_end + 1;
    size_t size = contents.size() - digest_end - 1;
    ok = size > 0 && dsl::Sha256Hex({object, size}) == digest;
    if (ok) {
      ++hits_;
      return llvm::MemoryBuffer::getMemBufferCopy(llvm::StringRef(object, size), path);
    }
  }
  // Corrupt or stale: drop it; the caller compiles and stores a fresh one.
  ++rejected_;
  std::error_code ec;
  fs::remove(path, ec);
  return nullptr;
}

}  // namespace kijun::engine::jit
