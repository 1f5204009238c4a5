#include "key_commands.h"

#include "colend/common/bytes.h"
#include "colend/common/files.h"
#include "colend/crypto/keys.h"
#include "colend/crypto/secret.h"
#include "colend/crypto/suite.h"

namespace colend::cli {
namespace {

Result<std::string> ReadSmallFile(const std::string& path) {
  Result<std::string> text = ReadSecretWholeFile(path, 64 * 1024);  // a private key
  if (!text.ok() && text.status().code() == StatusCode::kInvalidArgument) {
    return Status::InvalidArgument(path + " is too large to be a key");
  }
  return text;
}

void PrintKey(const crypto::PublicKey& key, std::ostream& out) {
  out << "suite:      " << key.suite().name() << " (" << key.suite().description() << ")\n"
      << "key_id:     " << key.KeyIdHex() << "\n"
      << "public_key: " << ToHex(key.raw()) << "\n";
}

}  // namespace

Status RunKeygen(const KeygenOptions& options, std::ostream& out) {
  COLEND_ASSIGN_OR_RETURN(crypto::CryptoSuite suite, crypto::CryptoSuite::FromName(options.suite));
  COLEND_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::Generate(suite));
  COLEND_ASSIGN_OR_RETURN(std::string pem, key.ToPem());
  Status written = WriteNewFile(options.private_key_out, pem, 0600);
  crypto::Wipe(pem);  // OPENSSL_cleanse: a std::fill before free is a dead store to the optimiser
  COLEND_RETURN_IF_ERROR(written);
  if (!options.public_key_out.empty()) {
    COLEND_ASSIGN_OR_RETURN(std::string public_pem, key.public_key().ToPem());
    COLEND_RETURN_IF_ERROR(WriteNewFile(options.public_key_out, public_pem, 0644));
  }
  out << "private key written to " << options.private_key_out << " (mode 0600)\n";
  if (!options.public_key_out.empty()) {
    out << "public key written to " << options.public_key_out << "\n";
  }
  PrintKey(key.public_key(), out);
  return Status::Ok();
}

Status RunKeyId(const KeyIdOptions& options, std::ostream& out) {
  COLEND_ASSIGN_OR_RETURN(crypto::CryptoSuite suite, crypto::CryptoSuite::FromName(options.suite));
  COLEND_ASSIGN_OR_RETURN(std::string pem, ReadSmallFile(options.key_file));
  const bool is_private = pem.find("PRIVATE KEY-----") != std::string::npos;
  if (is_private) {
    Result<crypto::PrivateKey> key = crypto::PrivateKey::FromPem(suite, pem);
    crypto::Wipe(pem);
    if (!key.ok()) return key.status().WithContext(options.key_file);
    PrintKey(key->public_key(), out);
    return Status::Ok();
  }
  Result<crypto::PublicKey> key = crypto::PublicKey::FromPem(suite, pem);
  if (!key.ok()) return key.status().WithContext(options.key_file);
  PrintKey(*key, out);
  return Status::Ok();
}

}  // namespace colend::cli
