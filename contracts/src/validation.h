// Field formats and the PII guard. Pure functions.
#ifndef COLEND_CONTRACTS_SRC_VALIDATION_H_
#define COLEND_CONTRACTS_SRC_VALIDATION_H_

#include <optional>
#include <string>
#include <string_view>

namespace colend::contracts {

// Member ids: upper-case letters, digits and '_', 1 to 32 characters (docs/domain.md).
bool IsMemberId(std::string_view id);

// Agreement, loan, transaction, proposal and report ids: letters, digits and ". _ : -",
// 1 to 64 characters. Keeps ids printable and the state key separator '/' out of them.
bool IsObjectId(std::string_view id);

// ISO 4217 alphabetic code: three upper-case letters.
bool IsCurrency(std::string_view code);

// A real calendar date "YYYY-MM-DD" between 1900-01-01 and 9999-12-31.
bool IsDate(std::string_view date);

// 64 lower-case hex characters (a keyed hash computed off-chain).
bool IsBorrowerRef(std::string_view ref);

// If `text` contains something that looks like personal data — an 18-character PRC
// resident id number (17 digits then a digit or X), an 11-digit mainland mobile number
// (1[3-9] then 9 digits) or a 16-19 digit card number — returns what was found, for the
// receipt's sentence. Digits may be grouped by single spaces or hyphens ("138 1234 5678");
// a run of digits counts only as a whole, so a 20-digit reference is not a card number.
std::optional<std::string> FindPersonalData(std::string_view text);

}  // namespace colend::contracts

#endif  // COLEND_CONTRACTS_SRC_VALIDATION_H_
