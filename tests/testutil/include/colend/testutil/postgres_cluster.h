// A real, throwaway PostgreSQL server for tests: a cluster made by initdb in a fresh
// directory under the system temp dir, started by pg_ctl on a free 127.0.0.1 port with trust
// authentication for the user "colend", and stopped (and its directory removed) when the
// object goes away. The binaries come from Debian's postgresql package
// (/usr/lib/postgresql/15/bin; tools/bootstrap.sh installs it); without them Start fails,
// so a test using it fails rather than skips.
//
// initdb and postgres refuse to run as root, and CI runs as root: then the cluster runs as
// the unprivileged user "nobody" (setpriv --reuid nobody --regid nogroup), owning only its
// directory. Run as any other user, it runs as that user.
//
// Ownership: owns the cluster's directory and server. Thread safety: one thread.
#ifndef COLEND_TESTUTIL_POSTGRES_CLUSTER_H_
#define COLEND_TESTUTIL_POSTGRES_CLUSTER_H_

#include <memory>
#include <string>

namespace colend::testutil {

inline constexpr char kPostgresBinDir[] = "/usr/lib/postgresql/15/bin";

class PostgresCluster {
 public:
  // initdb + pg_ctl start, waiting until the server accepts connections. nullptr on failure,
  // with the reason (and the server's log) in *error.
  static std::unique_ptr<PostgresCluster> Start(std::string* error);
  ~PostgresCluster();  // pg_ctl stop -m immediate, then the directory is removed
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  int port() const { return port_; }
  // A libpq connection string for `database`.
  std::string ConnectionString(const std::string& database) const;
  // CREATE DATABASE through psql; false (with psql's output in *error) on failure.
  bool CreateDatabase(const std::string& database, std::string* error) const;
  // One SQL statement through psql, unaligned and tuples only: its output, or "" and
  // *error on failure.
  std::string Query(const std::string& database, const std::string& sql, std::string* error) const;
  std::string Log() const;

 private:
  PostgresCluster() = default;
  std::string dir_;     // the cluster's own directory (data/, the log, the socket)
  std::string run_as_;  // "setpriv ... " when running as root, else ""
  int port_ = 0;
};

}  // namespace colend::testutil

#endif  // COLEND_TESTUTIL_POSTGRES_CLUSTER_H_
