package dev.aigateway.core.adapter;

import dev.aigateway.core.wire.ClientRequest;
import java.nio.charset.StandardCharsets;

/** A POST with no headers or tags, as a test hands it to the core in place of an adapter. */
public record PostedRequest(String url, byte[] body) implements ClientRequest {

  /** A POST of {@code body} (UTF-8) to {@code url}. */
  public static PostedRequest of(String url, String body) {
    return new PostedRequest(url, body.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String method() {
    return "POST";
  }

  @Override
  public String header(String name) {
    return null;
  }

  @Override
  public <T> T tag(Class<? extends T> type) {
    return null;
  }
}
