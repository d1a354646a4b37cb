package dev.aigateway.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.core.adapter.PostedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The URL parts an adapter may leave to the defaults, which parse {@link ClientRequest#url()}. */
class ClientRequestTest {

  private static ClientRequest at(String url) {
    return PostedRequest.of(url, "");
  }

  @ParameterizedTest
  @CsvSource({
    "https://api.openai.com/v1/chat/completions, api.openai.com, 443, /v1/chat/completions",
    "http://localhost/v1/embeddings, localhost, 80, /v1/embeddings",
    "HTTPS://Example.COM:8443/openai/deployments/a%20b/chat/completions?api-version=1, "
        + "Example.COM, 8443, /openai/deployments/a%20b/chat/completions",
    "http://[::1]:9000/v1/responses, [::1], 9000, /v1/responses"
  })
  void defaultsReadHostPortAndRawPathFromTheUrl(String url, String host, int port, String path) {
    ClientRequest request = at(url);

    assertThat(request.host()).isEqualTo(host);
    assertThat(request.port()).isEqualTo(port);
    assertThat(request.encodedPath()).isEqualTo(path);
  }

  @Test
  void anUnparsableUrlHasNoHostNoPortAndAnEmptyPath() {
    ClientRequest request = at("http://bad host/v1/chat/completions");

    assertThat(request.host()).isNull();
    assertThat(request.port()).isZero();
    assertThat(request.encodedPath()).isEmpty();
  }
}
