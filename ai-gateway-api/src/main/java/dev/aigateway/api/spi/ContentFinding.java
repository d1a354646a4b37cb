package dev.aigateway.api.spi;

import java.util.Objects;

/**
 * One thing a {@link ContentCheck} found.
 *
 * @param category what was found, in the check's own words (for example {@code Hate}, {@code
 *     violence}, {@code jailbreak}, {@code blocklist:my-list})
 * @param score how much of it: the check's own scale (Azure AI Content Safety: a severity level 0
 *     to 7; OpenAI moderation: a score 0 to 1; 1 for a yes/no finding)
 */
public record ContentFinding(String category, double score) {

  public ContentFinding {
    Objects.requireNonNull(category, "category");
  }
}
