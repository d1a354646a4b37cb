package dev.aigateway.core.wire.tiny;

import dev.aigateway.core.wire.ClientRequest;
import java.nio.charset.StandardCharsets;

/** A POST as a tiny client sends it: its body and, when not null, the tiny version header. */
public record TinyCall(String url, byte[] body, String version) implements ClientRequest {

  /** A POST of {@code body} (UTF-8) to {@code url} with version 1. */
  public static TinyCall of(String url, String body) {
    return new TinyCall(url, body.getBytes(StandardCharsets.UTF_8), "1");
  }

  @Override
  public String method() {
    return "POST";
  }

  @Override
  public String header(String name) {
    return name.equalsIgnoreCase(TinyFormat.VERSION_HEADER) ? version : null;
  }

  @Override
  public <T> T tag(Class<? extends T> type) {
    return null;
  }
}
