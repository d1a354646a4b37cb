package dev.aigateway.api;

import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the content safety stage found and did for one governed call: its part of the {@link
 * GatewayEvent} ({@link GatewayEvent#safety()}). It names checks and categories, never the text
 * that matched.
 *
 * @param outcome what the stage did ({@link SafetyOutcome#NONE} when no check ran)
 * @param check the check that decided the outcome (for example {@code deny-words}, {@code
 *     pii.email}, {@code azure-content-safety}), or null when nothing was found
 * @param category what that check found (for example {@code EMAIL}, {@code Hate}, {@code
 *     jailbreak}, {@code timeout}), or null when nothing was found
 * @param redactions how many pieces of personal data were replaced before sending
 * @param externalLatency how long the external checks of the call took in all (the prompt's, and
 *     the answer's windows), or null when none ran
 */
public record SafetyInfo(
    SafetyOutcome outcome,
    @Nullable String check,
    @Nullable String category,
    int redactions,
    @Nullable Duration externalLatency) {

  /** No content safety check ran for the call. */
  public static final SafetyInfo NONE = new SafetyInfo(SafetyOutcome.NONE, null, null, 0, null);

  public SafetyInfo {
    Objects.requireNonNull(outcome, "outcome");
    if (redactions < 0) {
      throw new IllegalArgumentException("redactions must not be negative: " + redactions);
    }
  }
}
