#include "colend/testutil/postgres_cluster.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "colend/testutil/process_util.h"

namespace colend::testutil {

namespace {

constexpr char kUser[] = "colend";  // the cluster's superuser (trust authentication)

std::string Bin(const std::string& name) {
  return std::string(kPostgresBinDir) + "/" + name;
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::unique_ptr<PostgresCluster> PostgresCluster::Start(std::string* error) {
  for (const char* tool : {"initdb", "pg_ctl", "postgres", "psql"}) {
    if (::access(Bin(tool).c_str(), X_OK) != 0) {
      *error = "no PostgreSQL server: " + Bin(tool) +
               " is missing (tools/bootstrap.sh installs Debian's postgresql package)";
      return nullptr;
    }
  }
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  std::string templ = (std::filesystem::temp_directory_path() / "colend-pg-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    *error = "mkdtemp failed";
    return nullptr;
  }
  cluster->dir_ = templ;
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) {
      *error = "running as root and there is no user \"nobody\" to run PostgreSQL as";
      return nullptr;
    }
    if (::chown(templ.c_str(), nobody->pw_uid, nobody->pw_gid) != 0) {
      *error = "cannot give " + templ + " to nobody";
      return nullptr;
    }
    cluster->run_as_ = "setpriv --reuid=" + std::to_string(nobody->pw_uid) +
                       " --regid=" + std::to_string(nobody->pw_gid) + " --clear-groups ";
  }
  const std::string data = templ + "/data";
  RunResult init = RunCommand(cluster->run_as_ + Bin("initdb") + " -D " + Quote(data) + " -U " +
                              kUser + " --auth=trust -E UTF8 --no-locale --no-sync");
  if (init.exit_code != 0) {
    *error = "initdb failed: " + init.output;
    return nullptr;
  }
  // A port can be taken between choosing it and the server binding it: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    cluster->port_ = FreePortRun(1);
    RunResult start = RunCommand(cluster->run_as_ + Bin("pg_ctl") + " -D " + Quote(data) + " -l " +
                                 Quote(templ + "/server.log") + " -w -t 60 -o " +
                                 Quote("-p " + std::to_string(cluster->port_) + " -k " + templ +
                                       " -c listen_addresses=127.0.0.1 -c max_connections=50") +
                                 " start");
    if (start.exit_code == 0) return cluster;
    *error = "pg_ctl start failed: " + start.output + "\n" + cluster->Log();
  }
  return nullptr;
}

PostgresCluster::~PostgresCluster() {
  if (port_ != 0) {
    (void)RunCommand(run_as_ + Bin("pg_ctl") + " -D " + Quote(dir_ + "/data") +
                     " -m immediate -w -t 30 stop");
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

std::string PostgresCluster::ConnectionString(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + kUser + " dbname=" + database;
}

bool PostgresCluster::CreateDatabase(const std::string& database, std::string* error) const {
  std::string sql_error;
  Query("postgres", "CREATE DATABASE " + database, &sql_error);
  if (!sql_error.empty()) *error = sql_error;
  return sql_error.empty();
}

std::string PostgresCluster::Query(const std::string& database, const std::string& sql,
                                   std::string* error) const {
  RunResult r = RunCommand(Bin("psql") + " -X -q -A -t -v ON_ERROR_STOP=1 " +
                               Quote(ConnectionString(database)) + " -c " + Quote(sql),
                           /*separate_stderr=*/true);
  if (r.exit_code != 0) {
    *error = "psql failed (" + std::to_string(r.exit_code) + "): " + r.output;
    return "";
  }
  return r.stdout_text;
}

std::string PostgresCluster::Log() const {
  return ReadFile(dir_ + "/server.log");
}

}  // namespace colend::testutil
