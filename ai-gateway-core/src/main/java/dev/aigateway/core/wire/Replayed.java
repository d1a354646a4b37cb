package dev.aigateway.core.wire;

import java.util.Objects;

/**
 * A cached answer as a call gets it ({@link WireFormat#replay}).
 *
 * @param body the body, JSON or a stream
 * @param contentType its {@code Content-Type}
 */
public record Replayed(byte[] body, String contentType) {

  public Replayed {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(contentType, "contentType");
  }
}
