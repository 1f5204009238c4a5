// Secrets in memory and on disk: wiping buffers that held key material, and reading a file
// that holds a secret (a private key PEM, a bearer token) only if no one but its owner can
// read or change it.
//
// Why OPENSSL_cleanse and not std::fill or memset: a store to memory that is freed (or goes
// out of scope) right after is a dead store the optimiser may remove, so the secret would
// stay in the freed heap block. OPENSSL_cleanse writes through a volatile function pointer
// the compiler cannot see through.
//
// Thread safety: stateless functions.
#ifndef COLEND_CRYPTO_SECRET_H_
#define COLEND_CRYPTO_SECRET_H_

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "colend/common/bytes.h"
#include "colend/common/result.h"

namespace colend::crypto {

// Overwrites every byte of `secret` with zeros (OPENSSL_cleanse) and empties it. The heap
// block is kept until the string is destroyed, so nothing is copied first.
void Wipe(std::string& secret);
void Wipe(Bytes& secret);

// Wipes the string it watches when the scope ends, on every path out of it (an early
// return on an error included). A string moved from before then is empty; wiping it is
// harmless.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::string& secret) : secret_(secret) {}
  ~WipeOnExit() { Wipe(secret_); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::string& secret_;
};

// The permission bits of a secret file that are allowed: the owner's. A file whose mode has
// any of 0077 set is readable or writable by group or others.
inline constexpr unsigned kSecretFileForbiddenBits = 0077;

// The whole of `path`, which must be a regular file (symbolic links are followed) of at most
// `max_bytes`, with no permission bit for group or others. The mode is checked on the open
// descriptor that is then read, so the file cannot be swapped between check and read.
// The text is read straight into the returned string (no stream buffer keeps a copy); on
// any failure what was read is wiped. Errors name `setting` (the config key or option that
// named the file), the file and, for a bad mode, the mode and the chmod that fixes it:
//   kNotFound          cannot be opened
//   kPermissionDenied  mode allows group or others (e.g. 0644)
//   kInvalidArgument   not a regular file, or larger than max_bytes
//   kIoError           reading failed
Result<std::string> ReadSecretFile(const std::filesystem::path& path, std::string_view setting,
                                   std::size_t max_bytes = 64 * 1024);

// A fresh bearer token: `bytes` random bytes from OpenSSL's DRBG (seeded by the operating
// system) as lower-case hex, 2 * bytes characters. kInternal only if the DRBG fails.
// REQUIRES: 16 <= bytes <= 1024.
Result<std::string> RandomToken(std::size_t bytes = 32);

// "0644": a mode's permission bits as four octal digits, for messages.
std::string FormatFileMode(unsigned mode);

}  // namespace colend::crypto

#endif  // COLEND_CRYPTO_SECRET_H_
