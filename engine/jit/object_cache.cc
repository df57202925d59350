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

std::string DiskObjectCache::PathFor(const std::string& identifier) const {
  // The identifier is a hex hash (see JitEngine::Compile); keep only safe characters.
  std::string name;
  for (char ch : identifier) {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_') name += ch;
  }
  return (fs::path(directory_) / (name + ".o")).string();
}

void DiskObjectCache::notifyObjectCompiled(const llvm::Module* module,
                                           llvm::MemoryBufferRef object) {
  std::string path = PathFor(module->getModuleIdentifier());
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

bool DiskObjectCache::Preload(const std::string& identifier) {
  std::string path = PathFor(identifier);
  std::error_code ec;
  if (!fs::exists(path, ec)) return false;  // getObject counts the miss
  std::unique_ptr<llvm::MemoryBuffer> object = Read(path);
  std::lock_guard<std::mutex> lock(mutex_);
  bool sound = object != nullptr;
  preloaded_[path] = std::move(object);  // null: rejected, already counted
  return sound;
}

std::unique_ptr<llvm::MemoryBuffer> DiskObjectCache::getObject(const llvm::Module* module) {
  std::string path = PathFor(module->getModuleIdentifier());
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = preloaded_.find(path);
    if (it != preloaded_.end()) {
      std::unique_ptr<llvm::MemoryBuffer> object = std::move(it->second);
      preloaded_.erase(it);
      if (object) ++hits_;
      return object;
    }
  }
  std::unique_ptr<llvm::MemoryBuffer> object = Read(path);
  if (object) ++hits_;
  return object;
}

std::unique_ptr<llvm::MemoryBuffer> DiskObjectCache::Read(const std::string& path) {
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
