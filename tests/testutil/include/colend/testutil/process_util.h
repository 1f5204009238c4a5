// Running real colend executables from end-to-end tests, and the scratch directories they
// work in.
#ifndef COLEND_TESTUTIL_PROCESS_UTIL_H_
#define COLEND_TESTUTIL_PROCESS_UTIL_H_

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

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

// A background child process (a colend-node), its stdout and stderr appended to a log
// file. The destructor kills it (SIGKILL) and reaps it if it is still running.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] with argv. False if fork/exec failed (the log says why).
  bool Start(const std::vector<std::string>& argv, const std::string& log_path);
  // Sends `signal`; with `wait`, reaps the process and returns its exit code (128+signal
  // when it died of a signal). -1 if it was not running.
  int Signal(int signal, bool wait = true);
  // Waits up to `timeout_ms` for the process to exit on its own; its exit code or -1.
  int WaitExit(int timeout_ms);
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// A port on 127.0.0.1 that nothing listens on right now, and the `count` that follow it
// (for colend-netgen --base-port): the lowest of a free run.
int FreePortRun(int count);

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_PROCESS_UTIL_H_
