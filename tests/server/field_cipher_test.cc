// The sealing of stored values, the key folder and the blind index, without
// a database.

#include "server/field_cipher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "server/blind_index.h"
#include "server/key_folder.h"
#include "server/record_keys.h"
#include "server/sealed_totp_secret.h"
#include "server/totp.h"

namespace kijun::server {
namespace {

namespace fs = std::filesystem;

TEST(FieldCipher, OpensWhatItSealedAtTheSamePlace) {
  std::string key = RandomBytes(kDataKeyBytes);
  std::string sealed = Seal(key, "難病 太郎", "institution.patients/7/identity");
  EXPECT_EQ(sealed.size(), 1 + 12 + std::string("難病 太郎").size() + 16);
  EXPECT_EQ(sealed.find("難病"), std::string::npos);
  EXPECT_EQ(Open(key, sealed, "institution.patients/7/identity"), "難病 太郎");
  // A fresh nonce each time: equal values do not look equal.
  EXPECT_NE(Seal(key, "難病 太郎", "institution.patients/7/identity"), sealed);
}

TEST(FieldCipher, RefusesAnotherRowColumnKeyOrAChangedByte) {
  std::string key = RandomBytes(kDataKeyBytes);
  std::string sealed = Seal(key, "12345678", "institution.patients/7/identity");
  EXPECT_THROW(Open(key, sealed, "institution.patients/8/identity"), DecryptionError);
  EXPECT_THROW(Open(key, sealed, "institution.patients/7/items"), DecryptionError);
  EXPECT_THROW(Open(RandomBytes(kDataKeyBytes), sealed, "institution.patients/7/identity"),
               DecryptionError);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string changed = sealed;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    EXPECT_THROW(Open(key, changed, "institution.patients/7/identity"), DecryptionError) << i;
  }
  EXPECT_THROW(Open(key, sealed.substr(0, 20), "institution.patients/7/identity"), DecryptionError);
}

TEST(FieldCipher, ByteaHexRoundTrip) {
  std::string bytes = RandomBytes(40);
  std::string hex = ToByteaHex(bytes);
  EXPECT_EQ(hex.substr(0, 2), "\\x");
  EXPECT_EQ(FromByteaHex(hex), bytes);
  EXPECT_THROW(FromByteaHex("\\x0g"), DecryptionError);
  EXPECT_THROW(FromByteaHex("0a"), DecryptionError);
}

TEST(SealedTotpSecret, BoundToItsUsersRowAndColumn) {
  EXPECT_EQ(TotpSecretPlace(7), "registry.users/7/totp_secret");
  RecordSeal seal(3, RandomBytes(kDataKeyBytes));
  std::string secret = NewTotpSecret();
  std::string sealed = seal.Seal(TotpSecretPlace(7), secret);
  EXPECT_EQ(sealed.find(secret), std::string::npos);
  EXPECT_EQ(FromByteaHex(sealed).find(secret), std::string::npos);
  EXPECT_EQ(seal.Open(TotpSecretPlace(7), sealed), secret);
  // Copied to another user's row, or read as another column: refused.
  EXPECT_THROW(seal.Open(TotpSecretPlace(8), sealed), DecryptionError);
  EXPECT_THROW(seal.Open(Place("registry.users", 7, "password_hash"), sealed), DecryptionError);
  EXPECT_THROW(RecordSeal(3, RandomBytes(kDataKeyBytes)).Open(TotpSecretPlace(7), sealed),
               DecryptionError);
}

TEST(BlindIndex, NormalisesSpacingWidthAndCaseOnly) {
  EXPECT_EQ(NormaliseForIndex("山田　太郎"), "山田太郎");
  EXPECT_EQ(NormaliseForIndex(" 山田 太郎 "), "山田太郎");
  EXPECT_EQ(NormaliseForIndex("３９０１２３４５"), "39012345");
  EXPECT_EQ(NormaliseForIndex("ＡＢｃ Def"), "abcdef");
  // Kana and kanji are not folded: that would merge different people.
  EXPECT_NE(NormaliseForIndex("やまだ"), NormaliseForIndex("ヤマダ"));
}

TEST(BlindIndex, EqualPatientsEqualIndexAndTheKeyMatters) {
  std::string key = RandomBytes(32);
  std::string a = PatientBlindIndex(key, "山田　太郎", "1950-05-01", "１２３");
  EXPECT_EQ(a, PatientBlindIndex(key, "山田 太郎", "1950-05-01", "123"));
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, PatientBlindIndex(key, "山田 太郎", "1950-05-02", "123"));
  EXPECT_NE(a, PatientBlindIndex(key, "山田 太郎", "1950-05-01", std::nullopt));
  EXPECT_NE(a, PatientBlindIndex(RandomBytes(32), "山田 太郎", "1950-05-01", "123"));
}

class KeyFolderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = (fs::temp_directory_path() /
               ("kijun-keys-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name()))
                  .string();
    fs::remove_all(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }
  std::string folder_;
};

TEST_F(KeyFolderTest, CreatesPrivateKeysOnceAndWrapsDataKeys) {
  ASSERT_TRUE(KeyFolder::Initialise(folder_));
  EXPECT_FALSE(KeyFolder::Initialise(folder_));
  EXPECT_EQ(fs::status(folder_).permissions() & fs::perms::all, fs::perms::owner_all);
  KeyFolder keys(folder_);
  std::string data_key = RandomBytes(kDataKeyBytes);
  WrappedKey wrapped = keys.Wrap(data_key, "institution.data_keys/1/wrapped");
  EXPECT_EQ(wrapped.kek_id, keys.CurrentId());
  EXPECT_EQ(keys.Unwrap(wrapped, "institution.data_keys/1/wrapped"), data_key);
  EXPECT_THROW(keys.Unwrap(wrapped, "institution.data_keys/2/wrapped"), DecryptionError);
  EXPECT_EQ(keys.CurrentBlindIndexKey().id, kOriginalIndexKeyId);
  EXPECT_EQ(keys.CurrentBlindIndexKey().key.size(), 32u);
}

TEST_F(KeyFolderTest, IndexKeysHaveVersionsAndAnArchivedOneIsNoLongerMatched) {
  KeyFolder::Initialise(folder_);
  KeyFolder keys(folder_);
  BlindIndexKey original = keys.CurrentBlindIndexKey();
  ASSERT_EQ(keys.BlindIndexKeys().size(), 1u);
  std::string next = keys.CreateIndexKey();
  EXPECT_EQ(fs::status(keys.IndexKeyFile(next)).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  keys.SetCurrentIndexKey(next);
  EXPECT_EQ(keys.CurrentBlindIndexKey().id, next);
  EXPECT_NE(keys.CurrentBlindIndexKey().key, original.key);

  KeyFolder server(folder_);  // another process: both keys, the current one first
  std::vector<BlindIndexKey> both = server.BlindIndexKeys();
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0].id, next);
  EXPECT_EQ(both[1].id, kOriginalIndexKeyId);
  EXPECT_EQ(both[1].key, original.key);
  std::vector<std::string> values = PatientBlindIndexes(both, "山田 太郎", "1950-05-01", "123");
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[1], PatientBlindIndex(original.key, "山田 太郎", "1950-05-01", "123"));
  EXPECT_NE(values[0], values[1]);

  // index.key archived away: the folder still loads, only the new key is used.
  fs::rename(folder_ + "/index.key", folder_ + "-archived.key");
  KeyFolder restarted(folder_);
  ASSERT_EQ(restarted.BlindIndexKeys().size(), 1u);
  EXPECT_EQ(restarted.BlindIndexKeys()[0].id, next);
  fs::remove(folder_ + "-archived.key");

  // The current index key missing is refused, naming its file.
  fs::remove(keys.IndexKeyFile(next));
  try {
    KeyFolder broken(folder_);
    FAIL() << "a folder without its current index key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("index-" + next + ".key"), std::string::npos) << e.what();
  }
}

TEST_F(KeyFolderTest, ANewCurrentKekWrapsNewKeysAndOldOnesStillUnwrap) {
  KeyFolder::Initialise(folder_);
  KeyFolder keys(folder_);
  std::string data_key = RandomBytes(kDataKeyBytes);
  WrappedKey before = keys.Wrap(data_key, "p");
  std::string next = keys.CreateKek();
  keys.SetCurrent(next);
  WrappedKey after = keys.Wrap(data_key, "p");
  EXPECT_EQ(after.kek_id, next);
  EXPECT_NE(before.kek_id, next);
  KeyFolder reloaded(folder_);  // another process (the server) sees the same
  EXPECT_EQ(reloaded.CurrentId(), next);
  EXPECT_EQ(reloaded.Unwrap(before, "p"), data_key);
  EXPECT_EQ(reloaded.Unwrap(after, "p"), data_key);
}

TEST_F(KeyFolderTest, RefusesLooseFilesAMissingFolderAndMalformedKeys) {
  EXPECT_THROW(KeyFolder{folder_}, std::runtime_error);
  KeyFolder::Initialise(folder_);
  fs::permissions(folder_ + "/index.key", fs::perms::group_read, fs::perm_options::add);
  try {
    KeyFolder keys(folder_);
    FAIL() << "a group-readable key file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("chmod 600"), std::string::npos) << e.what();
  }
  fs::permissions(folder_ + "/index.key", fs::perms::group_read, fs::perm_options::remove);
  { std::ofstream(folder_ + "/index.key") << "not-hex\n"; }
  fs::permissions(folder_ + "/index.key", fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_THROW(KeyFolder{folder_}, std::runtime_error);
}

}  // namespace
}  // namespace kijun::server
