#include "colend/testutil/process_util.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace colend::testutil {

RunResult RunCommand(const std::string& command, bool separate_stderr) {
  RunResult r;
  std::string err_file;
  std::string full = command;
  if (separate_stderr) {
    err_file = (std::filesystem::temp_directory_path() /
                ("colend-stderr-" + std::to_string(::getpid()))).string();
    full += " 2>" + err_file;
  } else {
    full += " 2>&1";
  }
  FILE* pipe = ::popen(full.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  std::size_t n = 0;
  std::string out;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (separate_stderr) {
    r.stdout_text = out;
    r.output = ReadFile(err_file);
    std::filesystem::remove(err_file);
  } else {
    r.output = out;
    r.stdout_text = out;
  }
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  dir_ = std::filesystem::temp_directory_path() /
         (prefix + "-" + std::to_string(::getpid()) + "-" + (info ? info->name() : "x"));
  std::filesystem::remove_all(dir_);
  std::filesystem::create_directories(dir_);
}

ScratchDir::~ScratchDir() { std::filesystem::remove_all(dir_); }

}  // namespace colend::testutil
