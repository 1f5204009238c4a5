// Helpers for contract tests: a replay chain fed with JSON lines (docs/api.md), and typed reads
// of the books JSON it prints.
#ifndef COLEND_TESTS_UNIT_CONTRACTS_BOOKS_TEST_UTIL_H_
#define COLEND_TESTS_UNIT_CONTRACTS_BOOKS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "colend/contracts/replay.h"

namespace colend::contracts::testing {

class Chain {
 public:
  explicit Chain(std::vector<std::string> banks = {"LEAD", "PARTNER_A", "PARTNER_B", "PARTNER_C"},
                 std::uint32_t min_funder_bp = 0) {
    auto r = Replayer::FromBanks(banks, min_funder_bp);
    EXPECT_TRUE(r.ok()) << r.status();
    replayer_ = std::move(*r);
  }

  // Applies one JSON line; returns "ok" or the rejection code.
  std::string Tx(std::string_view json) {
    auto line = replayer_->ApplyLine(json, ++lines_);
    EXPECT_TRUE(line.ok()) << line.status();
    if (!line.ok()) return "FAULT";
    return line->ok ? "ok" : line->code;
  }

  // The message of the last receipt.
  std::string LastMessage() const { return replayer_->receipts().back().message; }

  boost::json::object Books() {
    auto books = replayer_->Books();
    EXPECT_TRUE(books.ok()) << books.status();
    return boost::json::parse(*books).as_object();
  }

  // "banks" entry of a loan: {"share": "...", "outstanding": "..."}.
  boost::json::object Leg(std::string_view loan, std::string_view bank) {
    boost::json::object books = Books();
    return books["loans"].as_object()[loan].as_object()["banks"].as_object()[bank].as_object();
  }

  std::string LoanStatus(std::string_view loan) {
    boost::json::object books = Books();
    return std::string(books["loans"].as_object()[loan].as_object()["status"].as_string());
  }

  // The position entry of the pair, or an empty object if it is omitted (all zero).
  boost::json::object Position(std::string_view a, std::string_view b,
                               std::string_view currency = "CNY") {
    const boost::json::object books = Books();
    for (const auto& p : books.at("positions").as_array()) {
      const auto& o = p.as_object();
      if (o.at("a").as_string() == a && o.at("b").as_string() == b &&
          o.at("currency").as_string() == currency) {
        return o;
      }
    }
    return {};
  }

  Replayer& replayer() { return *replayer_; }

 private:
  std::unique_ptr<Replayer> replayer_;
  std::uint64_t lines_ = 0;
};

inline std::string Str(const boost::json::value& v) { return std::string(v.as_string()); }

}  // namespace colend::contracts::testing

#endif  // COLEND_TESTS_UNIT_CONTRACTS_BOOKS_TEST_UTIL_H_
