#pragma once
// The listener's TLS: the certificate and key (PEM files) and Herald's TLS
// policy in one OpenSSL context, replaceable while the server runs.
//
// Policy (Mozilla "intermediate"): TLS 1.2 and 1.3 only; for 1.2 only ECDHE
// key exchange with AES-GCM or ChaCha20-Poly1305 (no DHE: no dhparam file to
// manage), 1.3 with OpenSSL's default suites; no compression (CRIME), no
// renegotiation (a client could make the server redo handshakes for free);
// ALPN offers http/1.1 only, and a client that offers ALPN without it is
// refused, as RFC 7301 asks. Session resumption stays on: it makes a
// reconnect storm cheaper.
//
// Reload: reload() builds a whole new context from the files and swaps it
// in only once it is complete, so a bad file leaves the old one serving.
// Each handshake takes current() once; an OpenSSL connection holds a
// reference to its context, so connections made before a reload keep the
// old certificate for their life and nothing is interrupted.
//
// Thread safety: current() and reload() may run on any thread (one mutex,
// held for a shared_ptr copy per accepted connection).
#include <expected>
#include <memory>
#include <mutex>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace herald::net {

struct TlsFiles {
  std::string cert_file;  // PEM: the certificate, then any intermediates
  std::string key_file;   // PEM: its private key (unencrypted)
};

class TlsContext {
 public:
  // Loads the files; the error names the file and what is wrong with it.
  static std::expected<std::shared_ptr<TlsContext>, std::string> load(TlsFiles files);

  // The context a new connection's handshake uses.
  std::shared_ptr<boost::asio::ssl::context> current() const;

  // Re-reads the same files. On failure the current context stays in use
  // and the error says why.
  std::expected<void, std::string> reload();

  const TlsFiles& files() const { return files_; }

  // One line about the current certificate for the log: subject, serial, expiry.
  std::string describe() const;

  explicit TlsContext(TlsFiles files, std::shared_ptr<boost::asio::ssl::context> context);

 private:
  const TlsFiles files_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace herald::net
