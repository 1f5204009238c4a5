// Running real colend executables from end-to-end tests, and the scratch directories they
// work in.
#ifndef COLEND_TESTUTIL_PROCESS_UTIL_H_
#define COLEND_TESTUTIL_PROCESS_UTIL_H_

#include <filesystem>
#include <string>

namespace colend::testutil {

struct RunResult {
  int exit_code = -1;  // -1 if the process did not exit normally (a crash)
  std::string output;  // stdout and stderr together
  std::string stdout_text;
};

// Runs `command` through /bin/sh and collects its output and exit code. With
// `separate_stderr`, stderr goes to `output` only and stdout_text holds stdout alone.
RunResult RunCommand(const std::string& command, bool separate_stderr = false);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& contents);

// A fresh directory under the system temp dir, named after the running test and removed
// when the object goes away.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_PROCESS_UTIL_H_
