package dev.aigateway.api.spi;

import java.util.List;
import java.util.Objects;

/**
 * What a {@link ContentCheck} decided about some texts.
 *
 * @param flagged whether the texts break the check's policy (its thresholds decide); the gateway
 *     then blocks or flags the call, as configured for the check
 * @param findings what the check found, the ones that made it flag first; may be non-empty for a
 *     verdict that did not flag (scores below the thresholds)
 */
public record ContentVerdict(boolean flagged, List<ContentFinding> findings) {

  /** Nothing found. */
  public static final ContentVerdict PASSED = new ContentVerdict(false, List.of());

  public ContentVerdict {
    findings = List.copyOf(Objects.requireNonNull(findings, "findings"));
  }

  /** A verdict that flags the texts for {@code findings} (the first names the category). */
  public static ContentVerdict flagged(List<ContentFinding> findings) {
    if (findings.isEmpty()) {
      throw new IllegalArgumentException("a flagged verdict names at least one finding");
    }
    return new ContentVerdict(true, findings);
  }

  /** The category that made the check flag: the first finding's, or {@code flagged}. */
  public String category() {
    return findings.isEmpty() ? "flagged" : findings.get(0).category();
  }
}
