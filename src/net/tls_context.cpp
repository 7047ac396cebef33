// Building the TLS context from PEM files (see tls_context.hpp for the
// policy). The files are read here rather than by OpenSSL's file loaders so
// that "cannot be read" and "is not a PEM certificate" are separate messages.
#include "net/tls_context.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace herald::net {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla "intermediate" for TLS 1.2, ECDHE only (no DHE parameters to
// manage); TLS 1.3 keeps OpenSSL's default suites, which are the same list.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// ALPN wire format: length-prefixed protocol names, in our preference order.
constexpr unsigned char kAlpnProtocols[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void*) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_len, kAlpnProtocols, sizeof kAlpnProtocols, in, in_len) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  // RFC 7301 3.2: no protocol in common is a no_application_protocol alert.
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

std::expected<std::string, std::string> read_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(fmt::format("{} {}: cannot be read ({})", what, path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::unexpected(fmt::format("{} {}: read error", what, path));
  return text.str();
}

// OpenSSL's reason for the last failure, and the error queue left empty.
std::string openssl_reason(const boost::system::error_code& ec) {
  ERR_clear_error();
  return ec.message();
}

std::expected<std::shared_ptr<ssl::context>, std::string> build(const TlsFiles& files) {
  auto cert = read_file(files.cert_file, "TLS certificate");
  if (!cert) return std::unexpected(cert.error());
  auto key = read_file(files.key_file, "TLS key");
  if (!key) return std::unexpected(key.error());

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
    ERR_clear_error();
    return std::unexpected("TLS: this OpenSSL supports none of the configured TLS 1.2 ciphers");
  }
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);

  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(*cert), ec);
  if (ec) {
    return std::unexpected(fmt::format("TLS certificate {}: not a usable PEM certificate ({})",
                                       files.cert_file, openssl_reason(ec)));
  }
  context->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
  if (ec && ec.category() == boost::asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
    ERR_clear_error();
    return std::unexpected(fmt::format("TLS key {}: does not match the certificate in {}", files.key_file,
                                       files.cert_file));
  }
  if (ec) {
    return std::unexpected(fmt::format("TLS key {}: not a usable PEM private key ({})", files.key_file,
                                       openssl_reason(ec)));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return std::unexpected(fmt::format("TLS key {}: does not match the certificate in {}", files.key_file,
                                       files.cert_file));
  }
  return context;
}

}  // namespace

TlsContext::TlsContext(TlsFiles files, std::shared_ptr<ssl::context> context)
    : files_(std::move(files)), current_(std::move(context)) {}

std::expected<std::shared_ptr<TlsContext>, std::string> TlsContext::load(TlsFiles files) {
  auto context = build(files);
  if (!context) return std::unexpected(context.error());
  return std::make_shared<TlsContext>(std::move(files), std::move(*context));
}

std::shared_ptr<ssl::context> TlsContext::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

std::expected<void, std::string> TlsContext::reload() {
  auto context = build(files_);  // outside the lock: handshakes go on meanwhile
  if (!context) return std::unexpected(context.error());
  std::lock_guard lock(mutex_);
  current_ = std::move(*context);
  return {};
}

std::string TlsContext::describe() const {
  const auto context = current();
  X509* cert = SSL_CTX_get0_certificate(context->native_handle());
  if (cert == nullptr) return "no certificate";
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  std::string serial = "?";
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  std::string not_after = "?";
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      if (n > 0) not_after.assign(data, static_cast<std::size_t>(n));
    }
    BIO_free(bio);
  }
  return fmt::format("subject {} serial {} expires {}", subject, serial, not_after);
}

}  // namespace herald::net
