// Small whole-file helpers for the programs (node, tools). Libraries that must stay free of
// I/O (consensus, contracts) never call these.
//
// Thread safety: stateless functions.
#ifndef COLEND_COMMON_FILES_H_
#define COLEND_COMMON_FILES_H_

#include <sys/types.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "colend/common/result.h"
#include "colend/common/status.h"

namespace colend {

// The whole file. kNotFound if it cannot be opened, kInvalidArgument if it is larger than
// `max_bytes`, kIoError if reading fails. Messages name the path.
Result<std::string> ReadWholeFile(const std::string& path, std::size_t max_bytes = 64 << 20);

// ReadWholeFile for a file that holds a secret (a client or CA private key, a bearer token):
// read with read(2) straight into the returned string, so no stream buffer keeps a copy of
// the text, and on any failure what was read is wiped (explicit_bzero, which the optimiser
// may not drop). The caller wipes the result when done (crypto::Wipe). Same errors as
// ReadWholeFile. The node's own key goes through crypto::ReadSecretFile instead, which also
// refuses a file that group or others may read.
Result<std::string> ReadSecretWholeFile(const std::string& path, std::size_t max_bytes);

// Overwrites every byte of `secret` with zeros in a way the optimiser may not drop, and
// empties it (the heap block stays with the string).
void WipeString(std::string& secret);

// Creates `path` with `mode`, writes `contents` and fsyncs. Never replaces an existing file
// (kAlreadyExists), so a key is never overwritten by a second run; a failed write leaves no
// file behind.
Status WriteNewFile(const std::string& path, std::string_view contents, mode_t mode);

}  // namespace colend

#endif  // COLEND_COMMON_FILES_H_
