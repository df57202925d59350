#pragma once

#include <llvm/ExecutionEngine/ObjectCache.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace kijun::engine::jit {

// Compiled objects on disk, keyed by the module identifier (which the JIT
// sets to a hash of the rule set's content hash, the code generator's version
// and the LLVM version and target), so a restart does not recompile. Each
// file carries the SHA-256 of its object; a corrupt, truncated or foreign
// file is deleted and the module compiled again. Files are written to a
// temporary name and renamed, so a crash never leaves half a file.
class DiskObjectCache : public llvm::ObjectCache {
 public:
  explicit DiskObjectCache(std::string directory);

  void notifyObjectCompiled(const llvm::Module* module, llvm::MemoryBufferRef object) override;
  std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module* module) override;

  // Reads and checks the object cached for the module named `identifier`
  // ahead of compiling; true when it is there and sound, so the caller can
  // skip optimising the IR (getObject then hands over this object).
  bool Preload(const std::string& identifier);

  int hits() const { return hits_; }
  int misses() const { return misses_; }
  int rejected() const { return rejected_; }

 private:
  std::string PathFor(const std::string& identifier) const;
  // The checked object in the file at `path`, or null (a bad file is deleted).
  std::unique_ptr<llvm::MemoryBuffer> Read(const std::string& path);

  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<llvm::MemoryBuffer>> preloaded_;
  std::string directory_;
  std::atomic<int> hits_{0};
  std::atomic<int> misses_{0};
  std::atomic<int> rejected_{0};
};

}  // namespace kijun::engine::jit
