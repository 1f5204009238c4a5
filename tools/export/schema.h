// The SQL schema colend-export keeps, as numbered migrations (docs/export.md describes every
// table and column). A migration is applied once, in order, in the same transaction as its
// row in colend_export_schema; a released migration is never edited, a change is a new one.
#ifndef COLEND_TOOLS_EXPORT_SCHEMA_H_
#define COLEND_TOOLS_EXPORT_SCHEMA_H_

#include <vector>

namespace colend::exporter {

struct Migration {
  int version = 0;
  const char* sql = "";
};

// Versions 1, 2, ... in order.
const std::vector<Migration>& Migrations();

}  // namespace colend::exporter

#endif  // COLEND_TOOLS_EXPORT_SCHEMA_H_
