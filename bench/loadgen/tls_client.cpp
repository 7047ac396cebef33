#include "tls_client.hpp"

#include <cerrno>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace herald::bench {

namespace {

constexpr unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

// Maps a failed SSL_read/SSL_write/SSL_do_handshake onto errno.
ssize_t fail_io(SSL* ssl, int rc, bool& want_write) {
  want_write = false;
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ:
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      want_write = true;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;  // close_notify: an orderly end, as EOF
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (errno == 0) errno = ECONNRESET;  // EOF without close_notify
      return -1;
    default:
      ERR_clear_error();
      errno = EPROTO;
      return -1;
  }
}

}  // namespace

TlsClient::TlsClient() {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) throw std::runtime_error("SSL_CTX_new failed");
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
  // The loader holds as many sessions as the server: keep them small, and
  // let a write resume from a moved buffer (Conn::out may grow meanwhile).
  SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                             SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_alpn_protos(ctx_, kAlpn, sizeof kAlpn);
}

TlsClient::~TlsClient() { SSL_CTX_free(ctx_); }

SSL* TlsClient::attach(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_connect_state(ssl);
  return ssl;
}

HandshakeStep tls_handshake(SSL* ssl, std::string& error) {
  const int rc = SSL_do_handshake(ssl);
  if (rc == 1) return HandshakeStep::done;
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ:
      return HandshakeStep::want_read;
    case SSL_ERROR_WANT_WRITE:
      return HandshakeStep::want_write;
    default: {
      const unsigned long code = ERR_get_error();
      const char* reason = code ? ERR_reason_error_string(code) : nullptr;
      error = std::string("tls ") + (reason ? reason : "handshake failed");
      ERR_clear_error();
      return HandshakeStep::failed;
    }
  }
}

ssize_t tls_read(SSL* ssl, void* buf, std::size_t n, bool& want_write) {
  errno = 0;  // SSL_ERROR_SYSCALL with errno 0 is an EOF
  const int rc = SSL_read(ssl, buf, static_cast<int>(n));
  if (rc > 0) return rc;
  return fail_io(ssl, rc, want_write);
}

ssize_t tls_write(SSL* ssl, const void* buf, std::size_t n, bool& want_write) {
  errno = 0;
  const int rc = SSL_write(ssl, buf, static_cast<int>(n));
  if (rc > 0) return rc;
  return fail_io(ssl, rc, want_write);
}

void tls_free(SSL* ssl) { SSL_free(ssl); }

}  // namespace herald::bench
