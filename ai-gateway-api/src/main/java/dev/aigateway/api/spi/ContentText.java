package dev.aigateway.api.spi;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One text a {@link ContentCheck} is asked about.
 *
 * @param role who wrote it, as the request says ({@code system}, {@code user}, {@code assistant},
 *     {@code tool}), or null when the request gives no role (a completions prompt, an embedding
 *     input, an answer): a check may treat a tool's output as a document that could carry an
 *     indirect prompt injection
 * @param text the text
 */
public record ContentText(@Nullable String role, String text) {

  public ContentText {
    Objects.requireNonNull(text, "text");
  }

  /** Whether the text is a document the model reads rather than a message of the user. */
  public boolean document() {
    return "tool".equals(role) || "function".equals(role);
  }

  @Override
  public String toString() {
    return "ContentText{" + role + ", " + text.length() + " chars}"; // never the text itself
  }
}
