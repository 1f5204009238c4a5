// The SQL text of one block's transaction body (docs/export.md): every row the block adds or
// changes, as plain statements with the values written as SQL literals, between a guard that
// the database's exported height is the block's height - 1 and the move of the exported height
// to the block. The caller wraps it in BEGIN ... COMMIT; several blocks' transactions go to the
// server in one round trip, each still its own transaction.
//
// Literals are written for standard_conforming_strings = on (the connection sets it): a string
// is quoted with its single quotes doubled and nothing else changed. A string with a NUL byte
// cannot be stored in PostgreSQL text and is refused.
#ifndef COLEND_TOOLS_EXPORT_BLOCK_SQL_H_
#define COLEND_TOOLS_EXPORT_BLOCK_SQL_H_

#include <string>

#include "colend/common/result.h"
#include "export_rows.h"

namespace colend::exporter {

// The statements of block `rows.block.height`, each ending with ";\n".
Result<std::string> BlockSql(const BlockExport& rows, const std::string& chain_id);

// 'text' with single quotes doubled; kInvalidArgument for a NUL byte.
Result<std::string> SqlLiteral(const std::string& text);

}  // namespace colend::exporter

#endif  // COLEND_TOOLS_EXPORT_BLOCK_SQL_H_
