#pragma once
// Client TLS for the load generator (--tls): OpenSSL straight over the
// non-blocking sockets, with read/write shaped like the system calls
// (-1 and errno EAGAIN when OpenSSL needs the socket again, 0 at the
// peer's close_notify), so the event loop's plain code paths stay as they
// are. Certificates are not checked: loopback, the server under test, and
// the figures should hold the handshake's cost, not a chain walk.
// Each connection makes a full handshake (no session resumption): the
// worst case of a reconnect storm.
#include <sys/types.h>

#include <cstddef>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace herald::bench {

class TlsClient {
 public:
  TlsClient();
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // A client session on `fd` (connected), ALPN http/1.1; nullptr on failure.
  SSL* attach(int fd) const;

 private:
  SSL_CTX* ctx_ = nullptr;
};

enum class HandshakeStep { done, want_read, want_write, failed };
// Advances the handshake; on failure `error` says why.
HandshakeStep tls_handshake(SSL* ssl, std::string& error);

// Like read(2)/write(2). After -1 with EAGAIN, `want_write` says whether
// OpenSSL waits for the socket to become writable (else readable).
ssize_t tls_read(SSL* ssl, void* buf, std::size_t n, bool& want_write);
ssize_t tls_write(SSL* ssl, const void* buf, std::size_t n, bool& want_write);

void tls_free(SSL* ssl);

}  // namespace herald::bench
