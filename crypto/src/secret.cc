#include "colend/crypto/secret.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "colend/common/check.h"

namespace colend::crypto {
namespace {

// Closes the descriptor on every path out of ReadSecretFile.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Prefix(std::string_view setting, const std::filesystem::path& path) {
  std::string out(setting);
  if (!out.empty()) out += ": ";
  return out + path.string();
}

}  // namespace

void Wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

void Wipe(Bytes& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

Result<std::string> RandomToken(std::size_t bytes) {
  COLEND_CHECK_MSG(bytes >= 16 && bytes <= 1024, "RandomToken: 16 to 1024 bytes");
  Bytes random(bytes);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    Wipe(random);
    return Status::Internal("OpenSSL's random generator failed to make a token");
  }
  std::string token = ToHex(random);
  Wipe(random);
  return token;
}

std::string FormatFileMode(unsigned mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", mode & 07777u);
  return text;
}

Result<std::string> ReadSecretFile(const std::filesystem::path& path, std::string_view setting,
                                   std::size_t max_bytes) {
  const Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    return Status::NotFound(Prefix(setting, path) + ": cannot open: " + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return Status::IoError(Prefix(setting, path) + ": cannot stat: " + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) {
    return Status::InvalidArgument(Prefix(setting, path) + ": not a regular file");
  }
  // A secret anyone else on the machine can read is no longer a secret, and one they can
  // write lets them substitute their own key or token: refuse to start rather than warn.
  const unsigned mode = static_cast<unsigned>(info.st_mode) & 07777u;
  if ((mode & kSecretFileForbiddenBits) != 0) {
    return Status::PermissionDenied(
        Prefix(setting, path) + " has mode " + FormatFileMode(mode) +
        ", readable or writable by group or others; it holds a secret and must be 0600 or "
        "stricter: run chmod 600 " +
        path.string());
  }
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    return Status::InvalidArgument(Prefix(setting, path) + " is " + std::to_string(info.st_size) +
                                   " bytes; at most " + std::to_string(max_bytes) + " expected");
  }
  // One allocation of the final size, read into directly: no growth (which would leave
  // unwiped copies in freed blocks) and no stream buffer.
  std::string text(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      Wipe(text);
      return Status::IoError(Prefix(setting, path) + ": cannot read: " + std::strerror(err));
    }
    if (n == 0) break;  // shrank since fstat
    done += static_cast<std::size_t>(n);
  }
  text.resize(done);
  return text;
}

}  // namespace colend::crypto
