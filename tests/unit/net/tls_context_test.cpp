// TlsContext: loading a certificate and key, the policy it sets, and reload
// (a good file swaps the context for new handshakes, a bad one keeps it).
#include <gtest/gtest.h>

#include <boost/asio/ssl/context.hpp>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "net/tls_context.hpp"
#include "tls_test_cert.hpp"

namespace herald::net::test {
namespace {

long serial_of(const std::shared_ptr<boost::asio::ssl::context>& context) {
  X509* cert = SSL_CTX_get0_certificate(context->native_handle());
  return cert ? ASN1_INTEGER_get(X509_get0_serialNumber(cert)) : -1;
}

TEST(TlsContext, LoadsAPairAndSetsThePolicy) {
  CertDir dir;
  const PemPair pair = make_self_signed("one", 11);
  auto tls = TlsContext::load({dir.write("c.pem", pair.cert), dir.write("k.pem", pair.key)});
  ASSERT_TRUE(tls) << tls.error();
  auto context = (*tls)->current();
  SSL_CTX* ctx = context->native_handle();
  EXPECT_EQ(serial_of(context), 11);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION, 0u);
  EXPECT_NE(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION, 0u);
  // Every TLS 1.2 suite offered is ECDHE with an AEAD cipher.
  SSL* ssl = SSL_new(ctx);
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl);
  ASSERT_NE(ciphers, nullptr);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    const std::string name = SSL_CIPHER_get_name(c);
    if (name.starts_with("TLS_")) continue;  // TLS 1.3 suites: OpenSSL's defaults
    EXPECT_TRUE(name.starts_with("ECDHE-")) << name;
    EXPECT_TRUE(name.find("GCM") != std::string::npos || name.find("CHACHA20") != std::string::npos) << name;
  }
  SSL_free(ssl);
  EXPECT_NE((*tls)->describe().find("CN=one"), std::string::npos) << (*tls)->describe();
}

TEST(TlsContext, ErrorsNameTheFileAndTheProblem) {
  CertDir dir;
  const PemPair one = make_self_signed("one", 1);
  const PemPair two = make_self_signed("two", 2);
  const std::string cert = dir.write("c.pem", one.cert);
  const std::string key = dir.write("k.pem", one.key);

  auto missing = TlsContext::load({cert, dir.path("absent.pem")});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().find("absent.pem: cannot be read"), std::string::npos) << missing.error();

  auto not_pem = TlsContext::load({dir.write("junk.pem", "hello\n"), key});
  ASSERT_FALSE(not_pem);
  EXPECT_NE(not_pem.error().find("junk.pem: not a usable PEM certificate"), std::string::npos)
      << not_pem.error();

  auto key_as_cert = TlsContext::load({key, key});
  ASSERT_FALSE(key_as_cert);
  EXPECT_NE(key_as_cert.error().find("not a usable PEM certificate"), std::string::npos);

  auto mismatch = TlsContext::load({cert, dir.write("k2.pem", two.key)});
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().find("does not match the certificate"), std::string::npos) << mismatch.error();
}

TEST(TlsContext, ReloadSwapsForNewHandshakesAndKeepsTheOldOnFailure) {
  CertDir dir;
  const PemPair one = make_self_signed("one", 1);
  const std::string cert = dir.write("c.pem", one.cert);
  const std::string key = dir.write("k.pem", one.key);
  auto loaded = TlsContext::load({cert, key});
  ASSERT_TRUE(loaded) << loaded.error();
  TlsContext& tls = **loaded;
  auto before = tls.current();  // what a connection accepted now holds
  EXPECT_EQ(serial_of(before), 1);

  const PemPair two = make_self_signed("two", 2);
  dir.write("c.pem", two.cert);
  dir.write("k.pem", two.key);
  ASSERT_TRUE(tls.reload());
  EXPECT_EQ(serial_of(tls.current()), 2);
  EXPECT_EQ(serial_of(before), 1);  // the earlier connection's context is intact

  // Half-replaced files (new certificate, old key) and garbage: refused, 2 stays.
  dir.write("c.pem", make_self_signed("three", 3).cert);
  auto mismatch = tls.reload();
  ASSERT_FALSE(mismatch);
  EXPECT_NE(mismatch.error().find("does not match"), std::string::npos);
  dir.write("c.pem", "garbage");
  EXPECT_FALSE(tls.reload());
  EXPECT_EQ(serial_of(tls.current()), 2);
}

}  // namespace
}  // namespace herald::net::test
