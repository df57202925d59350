// Rule bundles: building, reading, extracting and verifying the manifest,
// and Ed25519 signatures over the bundle text.

#include "plugins/rule_bundle.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "plugins/bundle_signature.h"

namespace kijun::plugins {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class RuleBundleTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "kijun-bundle-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    work_ = pattern;
    rules_ = work_ / "rules";
    fs::path diseases = fs::path(KIJUN_SOURCE_DIR) / "diseases";
    fs::create_directories(rules_ / "nanbyo");
    fs::copy(diseases / "scales", rules_ / "scales", fs::copy_options::recursive);
    fs::copy(diseases / "nanbyo" / "006_parkinson.kijun", rules_ / "nanbyo");
    fs::copy(diseases / "nanbyo" / "002_als.kijun", rules_ / "nanbyo");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(work_, ec);
  }

  // A bundle of rules_ as text.
  std::string Build() {
    json bundle;
    std::string error;
    EXPECT_TRUE(BuildBundle(rules_.string(), bundle, error)) << error;
    return bundle.dump(1) + "\n";
  }

  // The error ReadBundle gives for `bundle` (which must be refused).
  std::string RefusalOf(const json& bundle) {
    RuleBundle read;
    std::string error;
    EXPECT_FALSE(ReadBundle(bundle.dump(), read, error));
    return error;
  }

  void MakeKey(const std::string& name) {
    std::string error;
    fs::create_directories(work_ / "keys" / name);
    ASSERT_TRUE(
        GenerateSigningKey(PrivateKey(name), (work_ / "keys" / name / "pub.pem").string(), error))
        << error;
  }
  std::string PrivateKey(const std::string& name) {
    return (work_ / "keys" / (name + "_private.pem")).string();
  }
  std::string Trusted(const std::string& name) { return (work_ / "keys" / name).string(); }

  fs::path work_, rules_;
};

TEST_F(RuleBundleTest, BuildsReadsExtractsAndVerifies) {
  std::string text = Build();
  RuleBundle bundle;
  std::string error;
  ASSERT_TRUE(ReadBundle(text, bundle, error)) << error;
  EXPECT_EQ(bundle.format, "kijun-bundle/1");
  EXPECT_EQ(bundle.language, "kijun-lang/1");
  EXPECT_EQ(bundle.created.size(), 20u) << bundle.created;
  // Every .kijun file, relative, sorted; only the two diseases in the manifest.
  EXPECT_EQ(bundle.files.size(),
            2 + static_cast<size_t>(std::distance(fs::directory_iterator(rules_ / "scales"),
                                                  fs::directory_iterator())));
  EXPECT_EQ(bundle.files.count("scales/kihon_joho.kijun"), 1u);
  EXPECT_EQ(bundle.files["nanbyo/006_parkinson.kijun"],
            ReadFile(rules_ / "nanbyo" / "006_parkinson.kijun"));
  ASSERT_EQ(bundle.manifest.size(), 2u);
  const ManifestEntry& pd = bundle.manifest[1];
  EXPECT_EQ(pd.disease, "指定難病/6");
  EXPECT_EQ(pd.name, "パーキンソン病");
  EXPECT_EQ(pd.file, "nanbyo/006_parkinson.kijun");
  EXPECT_EQ(pd.revision, 2403);
  EXPECT_EQ(pd.effective, "2024-04-01");
  EXPECT_EQ(pd.content_hash.rfind("sha256:", 0), 0u);
  EXPECT_EQ(bundle.manifest[0].disease, "指定難病/2");

  fs::path out = work_ / "extracted";
  ASSERT_TRUE(ExtractBundle(bundle, out.string(), error)) << error;
  EXPECT_EQ(ReadFile(out / "scales" / "kihon_joho.kijun"),
            ReadFile(rules_ / "scales" / "kihon_joho.kijun"));
  EXPECT_TRUE(VerifyManifest(bundle, out.string(), error)) << error;
  // Not into a folder that holds files already.
  EXPECT_FALSE(ExtractBundle(bundle, out.string(), error));
  EXPECT_NE(error.find("is not empty"), std::string::npos) << error;
}

TEST_F(RuleBundleTest, BrokenRevisionIsNotBundled) {
  std::ofstream(rules_ / "nanbyo" / "006_parkinson.kijun", std::ios::app) << "\nlevel )(\n";
  json bundle;
  std::string error;
  EXPECT_FALSE(BuildBundle(rules_.string(), bundle, error));
  EXPECT_NE(error.find("rule files have errors"), std::string::npos) << error;
  EXPECT_NE(error.find("006_parkinson.kijun:"), std::string::npos) << error;
}

TEST_F(RuleBundleTest, TamperedFileFailsTheManifest) {
  RuleBundle bundle;
  std::string error;
  ASSERT_TRUE(ReadBundle(Build(), bundle, error)) << error;
  // A changed module changes the hash of every disease that imports it.
  bundle.files["scales/hoehn_yahr.kijun"] += "\n# changed\n";
  ASSERT_TRUE(ExtractBundle(bundle, (work_ / "x").string(), error)) << error;
  EXPECT_FALSE(VerifyManifest(bundle, (work_ / "x").string(), error));
  EXPECT_NE(error.find("nanbyo/006_parkinson.kijun: content_hash"), std::string::npos) << error;
  EXPECT_EQ(error.find("nanbyo/002_als.kijun: content_hash"), std::string::npos) << error;
}

TEST_F(RuleBundleTest, ManifestMustListEveryDisease) {
  RuleBundle bundle;
  std::string error;
  ASSERT_TRUE(ReadBundle(Build(), bundle, error)) << error;
  bundle.manifest.erase(bundle.manifest.begin());
  ASSERT_TRUE(ExtractBundle(bundle, (work_ / "x").string(), error)) << error;
  EXPECT_FALSE(VerifyManifest(bundle, (work_ / "x").string(), error));
  EXPECT_NE(error.find("002_als.kijun"), std::string::npos) << error;
  EXPECT_NE(error.find("not in the manifest"), std::string::npos) << error;
}

TEST_F(RuleBundleTest, RefusesUnsupportedLanguage) {
  json bundle = json::parse(Build());
  bundle["language"] = "kijun-lang/2";
  EXPECT_NE(RefusalOf(bundle).find("bundle language kijun-lang/2 is not supported by this "
                                   "registry (supports kijun-lang/1)"),
            std::string::npos);
}

TEST_F(RuleBundleTest, RefusesBadPaths) {
  json base = json::parse(Build());
  std::string text = base["files"]["scales/nyha.kijun"];
  for (const auto& [path, message] : std::vector<std::pair<std::string, std::string>>{
           {"../evil.kijun", "'..' is not allowed"},
           {"scales/../../evil.kijun", "'..' is not allowed"},
           {"/etc/evil.kijun", "absolute path"},
           {"scales\\evil.kijun", "backslashes"},
           {"scales/evil.sh", "is not a .kijun file"},
           {"scales//evil.kijun", "empty or '.'"}}) {
    json bundle = base;
    bundle["files"][path] = text;
    std::string error = RefusalOf(bundle);
    EXPECT_NE(error.find(message), std::string::npos) << path << ": " << error;
    EXPECT_NE(error.find(path), std::string::npos) << path << ": " << error;
  }
  // And in the manifest.
  json bundle = base;
  bundle["manifest"][0]["file"] = "../nanbyo/002_als.kijun";
  EXPECT_NE(RefusalOf(bundle).find("manifest[0].file"), std::string::npos);
}

TEST_F(RuleBundleTest, RefusesMissingFileAndMalformedBundles) {
  json bundle = json::parse(Build());
  bundle["files"].erase("nanbyo/002_als.kijun");
  EXPECT_NE(RefusalOf(bundle).find("manifest[0].file 'nanbyo/002_als.kijun' is missing from files"),
            std::string::npos);

  bundle = json::parse(Build());
  bundle["format"] = "kijun-bundle/9";
  EXPECT_NE(RefusalOf(bundle).find("unknown bundle format 'kijun-bundle/9'"), std::string::npos);

  bundle = json::parse(Build());
  bundle["manifest"][1]["content_hash"] = "md5:1234";
  EXPECT_NE(RefusalOf(bundle).find("manifest[1].content_hash"), std::string::npos);

  bundle = json::parse(Build());
  bundle["manifest"][1].erase("revision");
  EXPECT_NE(RefusalOf(bundle).find("manifest[1].revision is missing"), std::string::npos);

  RuleBundle read;
  std::string error;
  EXPECT_FALSE(ReadBundle("{\"format\": ", read, error));
  EXPECT_NE(error.find("bundle is not valid JSON"), std::string::npos) << error;
}

TEST_F(RuleBundleTest, SignsAndVerifies) {
  MakeKey("a");
  struct stat st {};
  ASSERT_EQ(stat(PrivateKey("a").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string error;
  EXPECT_FALSE(GenerateSigningKey(PrivateKey("a"), (work_ / "other.pem").string(), error));
  EXPECT_NE(error.find("already exists"), std::string::npos) << error;

  std::string plain = Build();
  std::string signed_text;
  ASSERT_TRUE(SignBundle(plain, PrivateKey("a"), signed_text, error)) << error;
  json file = json::parse(signed_text);
  EXPECT_EQ(file["format"], "kijun-signed-bundle/1");
  EXPECT_EQ(file["bundle"], plain);
  ASSERT_EQ(file["signatures"].size(), 1u);
  EXPECT_EQ(file["signatures"][0]["algorithm"], "ed25519");

  std::string bundle_text, key_id;
  EXPECT_EQ(VerifyBundle(signed_text, Trusted("a"), bundle_text, key_id, error),
            SignatureStatus::kValid)
      << error;
  EXPECT_EQ(bundle_text, plain);
  EXPECT_EQ(key_id, KeyIdOfPemFile(Trusted("a") + "/pub.pem", error));
  EXPECT_EQ(key_id, file["signatures"][0]["key_id"]);
  EXPECT_EQ(key_id.size(), 7u + 64u);

  // A second key adds a second signature over the same inner text; either
  // key alone is then enough.
  MakeKey("b");
  std::string twice;
  ASSERT_TRUE(SignBundle(signed_text, PrivateKey("b"), twice, error)) << error;
  json both = json::parse(twice);
  EXPECT_EQ(both["bundle"], plain);
  EXPECT_EQ(both["signatures"].size(), 2u);
  EXPECT_EQ(VerifyBundle(twice, Trusted("b"), bundle_text, key_id, error), SignatureStatus::kValid)
      << error;
  EXPECT_EQ(key_id, both["signatures"][1]["key_id"]);
  // Signing again with the same key does not add a third.
  std::string thrice;
  ASSERT_TRUE(SignBundle(twice, PrivateKey("b"), thrice, error)) << error;
  EXPECT_EQ(json::parse(thrice)["signatures"].size(), 2u);
}

TEST_F(RuleBundleTest, UnsignedUnknownBadAndMalformed) {
  MakeKey("a");
  MakeKey("b");
  std::string plain = Build();
  std::string bundle_text, key_id, error;
  EXPECT_EQ(VerifyBundle(plain, Trusted("a"), bundle_text, key_id, error),
            SignatureStatus::kUnsigned);
  EXPECT_EQ(bundle_text, plain);
  EXPECT_NE(error.find("not signed"), std::string::npos) << error;

  std::string signed_text;
  ASSERT_TRUE(SignBundle(plain, PrivateKey("b"), signed_text, error)) << error;
  EXPECT_EQ(VerifyBundle(signed_text, Trusted("a"), bundle_text, key_id, error),
            SignatureStatus::kUnknownKey);
  EXPECT_NE(error.find("no signature by a trusted key"), std::string::npos) << error;
  EXPECT_TRUE(key_id.empty());

  // One byte of the inner bundle changed.
  json file = json::parse(signed_text);
  std::string inner = file["bundle"];
  size_t at = inner.find("2403");
  ASSERT_NE(at, std::string::npos);
  inner[at] = '9';
  file["bundle"] = inner;
  EXPECT_EQ(VerifyBundle(file.dump(), Trusted("b"), bundle_text, key_id, error),
            SignatureStatus::kBadSignature);
  EXPECT_NE(error.find("signature does not verify"), std::string::npos) << error;

  // A signature that is not base64, by a trusted key.
  file = json::parse(signed_text);
  file["signatures"][0]["signature"] = "!!!";
  EXPECT_EQ(VerifyBundle(file.dump(), Trusted("b"), bundle_text, key_id, error),
            SignatureStatus::kBadSignature);

  for (const std::string& bad :
       {std::string("not json"), std::string("[1, 2]"), std::string("{\"format\": \"other\"}"),
        std::string("{\"format\": \"kijun-signed-bundle/1\", \"bundle\": 3, \"signatures\": []}"),
        std::string("{\"format\": \"kijun-signed-bundle/1\", \"bundle\": \"x\", \"signatures\": "
                    "[{\"algorithm\": \"ed25519\"}]}")}) {
    EXPECT_EQ(VerifyBundle(bad, Trusted("a"), bundle_text, key_id, error),
              SignatureStatus::kMalformed)
        << bad;
    EXPECT_FALSE(error.empty());
  }
  // An invalid bundle is not signed.
  EXPECT_FALSE(SignBundle("{\"format\": \"kijun-bundle/1\"}", PrivateKey("a"), signed_text, error));
  EXPECT_NE(error.find("not signing an invalid bundle"), std::string::npos) << error;
}

}  // namespace
}  // namespace kijun::plugins
