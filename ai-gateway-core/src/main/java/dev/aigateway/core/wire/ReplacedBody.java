package dev.aigateway.core.wire;

import java.util.List;

/**
 * A client request with another body (content safety's redacted prompt): every other part (method,
 * URL, headers, tags) is the original's.
 */
final class ReplacedBody implements ClientRequest {
  private final ClientRequest original;
  private final byte[] body;

  ReplacedBody(ClientRequest original, byte[] body) {
    this.original = original;
    this.body = body;
  }

  @Override
  public String method() {
    return original.method();
  }

  @Override
  public String url() {
    return original.url();
  }

  @Override
  public String header(String name) {
    return original.header(name);
  }

  @Override
  public List<String> headers(String name) {
    return original.headers(name);
  }

  @Override
  public <T> T tag(Class<? extends T> type) {
    return original.tag(type);
  }

  @Override
  public byte[] body() {
    return body;
  }

  @Override
  public String host() {
    return original.host();
  }

  @Override
  public int port() {
    return original.port();
  }

  @Override
  public String encodedPath() {
    return original.encodedPath();
  }
}
