package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What of a URL the gateway shows: never user information, a fragment or a query's values. */
class SafeUrlsTest {

  @Test
  void valuesAreMaskedAndNamesKept() {
    assertThat(SafeUrls.withoutSecrets("https://u:p-SECRET@h.example.com:8443/v1?api-key=k-SECRET"))
        .isEqualTo("https://h.example.com:8443/v1?api-key=***");
    assertThat(SafeUrls.withoutSecrets("https://h.example.com/v1?key=&sig=a=b-SECRET"))
        .isEqualTo("https://h.example.com/v1?key=***&sig=***");
  }

  @Test
  void aParameterWithoutEqualsSignIsMaskedWhole() {
    // Without '=' the text may as well be the value: a bare token, or a key whose '=' is encoded.
    assertThat(SafeUrls.withoutSecrets("https://h.example.com/jwks?sk-bare-SECRET"))
        .isEqualTo("https://h.example.com/jwks?***");
    assertThat(SafeUrls.withoutSecrets("https://h.example.com/v1?a=1&token%3Dencoded-SECRET"))
        .isEqualTo("https://h.example.com/v1?a=***&***");
    assertThat(SafeUrls.withoutSecrets("https://h.example.com/v1?key%3dlower-SECRET#frag"))
        .doesNotContain("SECRET")
        .doesNotContain("frag");
  }

  @Test
  void loopbackHostsAreTheLoopbackNamesAndLiteralsNeverAnotherName() {
    for (String host :
        new String[] {
          "localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1"
        }) {
      assertThat(SafeUrls.isLoopbackHost(host)).as(host).isTrue();
    }
    for (String host :
        new String[] {
          "10.0.0.5", "login.example.com", "localhost.example.com", "[2001:db8::1]", "keycloak"
        }) {
      assertThat(SafeUrls.isLoopbackHost(host)).as(host).isFalse();
    }
  }
}
