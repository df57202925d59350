// The reference interpreter, construct by construct.

#include <gtest/gtest.h>

#include "engine/judgment_render.h"
#include "tests/test_support.h"

namespace kijun::engine {
namespace {

using nlohmann::json;
using testing_support::Compile;
using testing_support::Disease;

class Interpreter : public testing::Test {
 protected:
  void Load(const std::string& body) {
    compiled_ = Compile(Disease(body));
    ASSERT_TRUE(compiled_.rules) << compiled_.Rendered();
  }
  Judgment Judge(const json& items, const std::string& variant = "",
                 std::optional<int64_t> date = {}) {
    return testing_support::JudgeItems(*compiled_.rules, items, variant, date);
  }
  // The calculated value as the result JSON shows it (null = unknown).
  json Calc(const Judgment& j, const std::string& name) {
    if (!compiled_.rules) return "not compiled";
    int slot = compiled_.rules->FindCalc(name);
    EXPECT_GE(slot, 0) << name;
    if (slot < 0) return "no such calculation";
    return CalcValueToJson(compiled_.rules->calcs[size_t(slot)], j.calcs[size_t(slot)].value);
  }
  static bool HasMessage(const Judgment& j, const std::string& name, bool error) {
    for (const auto& m : j.messages) {
      if (m.name == name && m.is_error == error) return true;
    }
    return false;
  }
  testing_support::Compiled compiled_;
};

TEST_F(Interpreter, ArithmeticAndRounding) {
  Load(R"(
section s "s" {
  item 身長 "身長" : decimal(1) 30.0..250.0 "cm"
  item 体重 "体重" : decimal(1) 1.0..300.0 "kg"
}
calc BMI : decimal(1) "kg/m2" = 体重 / (身長 / 100) ^ 2
calc 二倍 : decimal(2) = round(体重 * 2, 0) + 0.125
calc 切り捨て : integer = floor(体重)
calc 差 : decimal(1) = abs(体重 - 60)
)");
  Judgment j = Judge({{"身長", 160.0}, {"体重", 55.5}});
  EXPECT_EQ(Calc(j, "BMI"), 21.7);     // 55.5 / 2.56 = 21.679…
  EXPECT_EQ(Calc(j, "二倍"), 111.13);  // 111 + 0.125, half away from zero
  EXPECT_EQ(Calc(j, "切り捨て"), 55);
  EXPECT_EQ(Calc(j, "差"), 4.5);
  // 48.0 / 1.6² is 18.75 in decimals but 18.7499999… in binary: 四捨五入 gives 18.8.
  EXPECT_EQ(Calc(Judge({{"身長", 160.0}, {"体重", 48.0}}), "BMI"), 18.8);
}

TEST_F(Interpreter, DivisionByZeroIsACheckErrorNotNaN) {
  Load(R"(
section s "s" { item a "a" : integer 0..10 }
calc 比 : decimal(2) = 10 / a
)");
  Judgment j = Judge({{"a", 0}});
  EXPECT_TRUE(Calc(j, "比").is_null());
  EXPECT_TRUE(HasMessage(j, "比", true));
  EXPECT_TRUE(j.HasErrors());
}

TEST_F(Interpreter, OutOfDomainPowerIsACheckError) {
  Load(R"(
section s "s" { item a "a" : decimal(1) -10.0..10.0 }
calc 根 : decimal(2) = a ^ 0.5
)");
  Judgment j = Judge({{"a", -4.0}});
  EXPECT_TRUE(Calc(j, "根").is_null());
  EXPECT_TRUE(HasMessage(j, "根", true));
  EXPECT_EQ(Calc(Judge({{"a", 4.0}}), "根"), 2.0);
}

TEST_F(Interpreter, AtLeastKOfIsUnknownOnlyWhenUnknownsCouldChangeIt) {
  Load(R"(
section s "s" {
  item a "a" : answer
  item b "b" : answer
  item c "c" : answer
}
calc 二つ以上 : boolean = at least 2 of (a, b, c)
calc 数 : integer = count(a, b, c)
)");
  EXPECT_EQ(Calc(Judge({{"a", "該当"}, {"b", "該当"}, {"c", "不明"}}), "二つ以上"), true);
  EXPECT_EQ(Calc(Judge({{"a", "非該当"}, {"b", "非該当"}, {"c", "不明"}}), "二つ以上"), false);
  EXPECT_TRUE(Calc(Judge({{"a", "該当"}, {"b", "非該当"}, {"c", "不明"}}), "二つ以上").is_null());
  EXPECT_EQ(Calc(Judge({{"a", "該当"}, {"b", "非該当"}, {"c", "該当"}}), "数"), 2);
  EXPECT_TRUE(Calc(Judge({{"a", "該当"}, {"b", "非該当"}}), "数").is_null());
}

TEST_F(Interpreter, WeightedPointsWithPerDomainMaximum) {
  // SLE 2019 style: only the highest item of a domain counts.
  Load(R"(
section s "s" {
  item 脱毛 "脱毛" : answer
  item 口腔潰瘍 "口腔潰瘍" : answer
  item 急性皮膚ループス "ACLE" : answer
  item 関節炎 "関節炎" : answer
}
calc 皮膚粘膜 : integer = max(if 脱毛 then 2 else 0, if 口腔潰瘍 then 2 else 0, if 急性皮膚ループス then 6 else 0)
calc 合計点 : integer = 皮膚粘膜 + (if 関節炎 then 6 else 0)
calc 十点以上 : boolean = 合計点 >= 10
)");
  Judgment j = Judge(
      {{"脱毛", "該当"}, {"口腔潰瘍", "該当"}, {"急性皮膚ループス", "該当"}, {"関節炎", "該当"}});
  EXPECT_EQ(Calc(j, "皮膚粘膜"), 6);
  EXPECT_EQ(Calc(j, "合計点"), 12);
  // ACLE unknown: skin is 2..6, total 8..12: undecided.
  j = Judge(
      {{"脱毛", "該当"}, {"口腔潰瘍", "非該当"}, {"急性皮膚ループス", "不明"}, {"関節炎", "該当"}});
  EXPECT_TRUE(Calc(j, "十点以上").is_null());
  // ACLE unknown but arthritis absent: at most 6: decided false.
  j = Judge({{"脱毛", "該当"},
             {"口腔潰瘍", "非該当"},
             {"急性皮膚ループス", "不明"},
             {"関節炎", "非該当"}});
  EXPECT_EQ(Calc(j, "十点以上"), false);
}

TEST_F(Interpreter, CasesBandsAValue) {
  Load(R"(
section s "s" { item eGFR "eGFR" : decimal(1) 0.0..200.0 }
calc 区分 : text = cases { eGFR >= 90 -> "G1"; eGFR >= 60 -> "G2"; else -> "G3" }
)");
  EXPECT_EQ(Calc(Judge({{"eGFR", 90.0}}), "区分"), "G1");
  EXPECT_EQ(Calc(Judge({{"eGFR", 89.9}}), "区分"), "G2");
  EXPECT_EQ(Calc(Judge({{"eGFR", 12.0}}), "区分"), "G3");
  EXPECT_TRUE(Calc(Judge(json::object()), "区分").is_null());
}

TEST_F(Interpreter, LookupTable) {
  Load(R"(
section s "s" {
  item 行 "行" : integer 1..3
}
table 表 rows ("G1", "G2") columns ("A1", "A2") {
  "緑" "黄";
  "黄" "赤";
}
table 数表 rows (1, 2) columns (1, 2) {
  10 20;
  30 40;
}
calc 色 : text = lookup 表["G2", "A2"]
calc 値 : integer = lookup 数表[行, 2]
)");
  EXPECT_EQ(Calc(Judge({{"行", 1}}), "色"), "赤");
  EXPECT_EQ(Calc(Judge({{"行", 1}}), "値"), 20);
  Judgment j = Judge({{"行", 3}});
  EXPECT_TRUE(Calc(j, "値").is_null());
  EXPECT_TRUE(HasMessage(j, "値", true));  // no such heading
}

TEST_F(Interpreter, LoopsListsAndMonths) {
  Load(R"(
section s "s" {
  item 費用 "費用" : list 4 of integer 0..1000000 "円"
  item 開始 "開始" : yearmonth
}
calc 合計 : integer "円" = sum(費用)
calc 平均 : decimal(1) "円" = avg(費用)
calc 最大 : integer "円" = max(費用)
calc 高額月 : integer = count(m in 1..4 : 費用[m] > 1000 and add_months(開始, m - 1) >= 2024-03)
calc 全部 : boolean = all(m in 1..4 : 費用[m] >= 0)
)");
  Judgment j = Judge({{"費用", {500, 2000, 3000, 4000}}, {"開始", "2024-01"}});
  EXPECT_EQ(Calc(j, "合計"), 9500);
  EXPECT_EQ(Calc(j, "平均"), 2375.0);
  EXPECT_EQ(Calc(j, "最大"), 4000);
  EXPECT_EQ(Calc(j, "高額月"), 2);  // 2024-03 and 2024-04
  EXPECT_EQ(Calc(j, "全部"), true);
  j = Judge({{"費用", {500, nullptr, 3000, 4000}}, {"開始", "2024-01"}});
  EXPECT_TRUE(Calc(j, "合計").is_null());
  EXPECT_EQ(Calc(j, "全部"), true);  // an unknown element is still in 0..1000000
}

TEST_F(Interpreter, DatesAndAges) {
  Load(R"(
section s "s" {
  item 生年月日 "生年月日" : date
  item 診断日 "診断日" : date
}
calc 年齢 : integer = age(生年月日, 診断日)
calc 月数 : integer = months_between(生年月日, 診断日)
calc 記載日の年齢 : integer = age(生年月日, form_date())
calc 診断月 = year_month(診断日)
calc 日数 : integer = 診断日 - 生年月日
)");
  Judgment j = Judge({{"生年月日", "2000-02-29"}, {"診断日", "2024-02-28"}}, "", 20000);
  EXPECT_EQ(Calc(j, "年齢"), 23);
  EXPECT_EQ(Calc(j, "月数"), 287);
  EXPECT_EQ(Calc(j, "日数"), 8765);
  EXPECT_EQ(Calc(j, "記載日の年齢"), 24);  // day 20000 is 2024-10-04
  j = Judge({{"生年月日", "2000-02-29"}, {"診断日", "2024-02-29"}});
  EXPECT_EQ(Calc(j, "年齢"), 24);
  EXPECT_TRUE(Calc(j, "記載日の年齢").is_null());  // no form date
}

TEST_F(Interpreter, ChoicesKnownAndContains) {
  Load(R"(
section s "s" {
  item 部位 "部位" : choices { 1 "顔", 2 "体幹", 3 "四肢" }
  item 性別 "性別" : choice { 1 "男", 2 "女" }
}
calc 顔あり : boolean = contains(部位, "顔")
calc 女性 : boolean = 性別 = "女"
calc 性別記入 : boolean = known(性別)
)");
  Judgment j = Judge({{"部位", {"体幹", 3}}, {"性別", 2}});
  EXPECT_EQ(Calc(j, "顔あり"), false);
  EXPECT_EQ(Calc(j, "女性"), true);
  EXPECT_EQ(Calc(j, "性別記入"), true);
  j = Judge(json::object());
  EXPECT_TRUE(Calc(j, "顔あり").is_null());
  EXPECT_TRUE(Calc(j, "女性").is_null());
  EXPECT_EQ(Calc(j, "性別記入"), false);
}

TEST_F(Interpreter, ClassificationTakesTheFirstLevelThatHolds) {
  Load(R"(
section s "s" {
  item a "a" : answer
  item b "b" : answer
}
diagnosis 診断 {
  level 確実 : a and b
  level 疑い : a
  level なし_ : otherwise
  qualifying 確実, 疑い
}
severity 重症度 {
  level 重症 : b
  level 軽症 : otherwise
  qualifying 重症
}
outcome 判定 {
  level 認定 : 診断 and 重症度
  level 疑い認定 : 診断 = 疑い
  level 非該当 : otherwise
}
)");
  Judgment j = Judge({{"a", "該当"}, {"b", "該当"}});
  EXPECT_EQ(j.Find("診断")->level, 0);
  EXPECT_EQ(j.Find("判定")->level, 0);
  j = Judge({{"a", "該当"}, {"b", "非該当"}});
  EXPECT_EQ(j.Find("診断")->level, 1);
  EXPECT_EQ(j.Find("重症度")->level, 1);
  EXPECT_EQ(j.Find("判定")->level, 1);
  // b unknown: 確実 or 疑い — both qualify, so the diagnosis qualifies.
  j = Judge({{"a", "該当"}, {"b", "不明"}});
  const ClassificationResult* d = j.Find("診断");
  EXPECT_EQ(d->level, -1);
  EXPECT_EQ(d->candidates, (std::vector<int>{0, 1}));
  EXPECT_EQ(d->qualifies, Truth::kTrue);
  EXPECT_EQ(d->deciding_items, (std::vector<std::string>{"b"}));
  // a false: decided なし_, whatever b is.
  j = Judge({{"a", "非該当"}, {"b", "不明"}});
  EXPECT_EQ(j.Find("診断")->level, 2);
  EXPECT_EQ(j.Find("診断")->qualifies, Truth::kFalse);
}

TEST_F(Interpreter, RequiredPerVariantAndAskedWhen) {
  Load(R"(
section s "s" {
  item a "a" : answer, required 新規
  item 詳細 "詳細" : integer 0..10, required, when a
}
section r "r" only 更新 {
  item 更新だけ "更新だけ" : integer 0..10
}
)");
  Judgment j = Judge(json::object(), "新規");
  EXPECT_TRUE(HasMessage(j, "a", true));
  EXPECT_FALSE(HasMessage(j, "詳細", true));  // asked only when a, and a is unknown
  j = Judge({{"a", "該当"}}, "新規");
  EXPECT_TRUE(HasMessage(j, "詳細", true));
  j = Judge({{"a", "非該当"}, {"詳細", 3}}, "新規");
  EXPECT_TRUE(HasMessage(j, "詳細", false));  // not asked, but given: warning
  j = Judge(json::object(), "更新");
  EXPECT_FALSE(HasMessage(j, "a", true));
  j = Judge({{"a", "非該当"}, {"更新だけ", 1}}, "新規");
  EXPECT_TRUE(HasMessage(j, "更新だけ", false));
  j = Judge(json::object(), "継続");
  EXPECT_TRUE(HasMessage(j, "variant", true));
}

TEST_F(Interpreter, ChecksReportOnlyWhenFalse) {
  Load(R"(
section s "s" {
  item 発症 "発症" : yearmonth
  item 診断 "診断" : yearmonth
}
check 順序 error "発症が診断より後です" en "onset after diagnosis" : 発症 <= 診断
check 注意 warning "同じ月です" : 発症 != 診断
)");
  Judgment j = Judge({{"発症", "2024-05"}, {"診断", "2024-04"}});
  EXPECT_TRUE(HasMessage(j, "順序", true));
  j = Judge({{"発症", "2024-04"}, {"診断", "2024-04"}});
  EXPECT_FALSE(HasMessage(j, "順序", true));
  EXPECT_TRUE(HasMessage(j, "注意", false));
  j = Judge({{"発症", "2024-04"}});  // unknown: nothing reported
  EXPECT_TRUE(j.messages.empty());
}

TEST_F(Interpreter, VariantIsReadable) {
  Load(R"(
section s "s" { item a "a" : answer }
calc 更新 : boolean = variant() = "更新"
)");
  EXPECT_EQ(Calc(Judge(json::object(), "更新"), "更新"), true);
  EXPECT_EQ(Calc(Judge(json::object(), "新規"), "更新"), false);
  EXPECT_TRUE(Calc(Judge(json::object()), "更新").is_null());
}

TEST_F(Interpreter, ExplanationListsClausesAndValuesRead) {
  Load(R"(
section s "s" {
  item A-1 "A-1" : answer
  item 点数 "点数" : integer 0..10
}
calc 合計 : integer = 点数 * 2
diagnosis 診断 {
  level 確実 : A-1 and 合計 >= 10
  level なし_ : otherwise
  qualifying 確実
}
)");
  Judgment j = Judge({{"A-1", "該当"}, {"点数", 4}});
  const ClassificationResult* d = j.Find("診断");
  ASSERT_EQ(d->levels[0].clauses.size(), 2u);
  EXPECT_EQ(d->levels[0].clauses[0].text, "A-1");
  EXPECT_EQ(d->levels[0].clauses[0].result, Truth::kTrue);
  EXPECT_EQ(d->levels[0].clauses[1].text, "合計 >= 10");
  EXPECT_EQ(d->levels[0].clauses[1].result, Truth::kFalse);
  std::vector<std::pair<std::string, std::string>> read = {{"点数", "4"}, {"合計", "8"}};
  EXPECT_EQ(d->levels[0].clauses[1].values, read);
  EXPECT_EQ(j.content_hash.rfind("sha256:", 0), 0u);
  EXPECT_EQ(j.content_hash.size(), 7u + 64u);
}

TEST_F(Interpreter, OutputIsDeterministic) {
  Load(R"(
section s "s" {
  item a "a" : answer
  item x "x" : decimal(2) 0.00..100.00
}
calc y : decimal(3) = x / 3
diagnosis 診断 {
  level 確実 : a and y > 1
  level なし_ : otherwise
  qualifying 確実
}
)");
  json items = {{"a", "不明"}, {"x", 10.01}};
  std::string first = JudgmentToJson(*compiled_.rules, Judge(items)).dump();
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(JudgmentToJson(*compiled_.rules, Judge(items)).dump(), first);
}

}  // namespace
}  // namespace kijun::engine
