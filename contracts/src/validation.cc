#include "validation.h"

#include <cstddef>

namespace colend::contracts {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

bool IsMemberId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!IsUpper(c) && !IsDigit(c) && c != '_') return false;
  }
  return true;
}

bool IsObjectId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!IsUpper(c) && !IsLower(c) && !IsDigit(c) && c != '.' && c != '_' && c != ':' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

bool IsCurrency(std::string_view code) {
  return code.size() == 3 && IsUpper(code[0]) && IsUpper(code[1]) && IsUpper(code[2]);
}

bool IsDate(std::string_view date) {
  if (date.size() != 10 || date[4] != '-' || date[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!IsDigit(date[i])) return false;
  }
  auto num = [&](std::size_t pos, std::size_t len) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) v = v * 10 + (date[i] - '0');
    return v;
  };
  const int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  if (year < 1900 || month < 1 || month > 12) return false;
  return day >= 1 && day <= DaysInMonth(year, month);
}

bool IsBorrowerRef(std::string_view ref) {
  if (ref.size() != 64) return false;
  for (char c : ref) {
    if (!IsDigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

std::optional<std::string> FindPersonalData(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    // Collect one run of digits, allowing single ' ' or '-' between digit groups.
    std::string digits;
    std::size_t j = i;
    while (j < text.size()) {
      if (IsDigit(text[j])) {
        digits.push_back(text[j]);
        ++j;
      } else if ((text[j] == ' ' || text[j] == '-') && j + 1 < text.size() &&
                 IsDigit(text[j + 1])) {
        ++j;
      } else {
        break;
      }
    }
    // An id number may end in X.
    const bool ends_in_x = j < text.size() && (text[j] == 'X' || text[j] == 'x');
    if (digits.size() == 17 && ends_in_x) return "an 18-character resident id number";
    if (digits.size() == 18) return "an 18-digit resident id number";
    if (digits.size() == 11 && digits[0] == '1' && digits[1] >= '3') {
      return "an 11-digit mobile number";
    }
    if (digits.size() >= 16 && digits.size() <= 19) return "a 16-19 digit card number";
    i = j;
  }
  return std::nullopt;
}

}  // namespace colend::contracts
