package dev.aigateway.core.limit;

import java.util.Objects;

/**
 * Thrown by {@link TokenLimit.Builder#build()} when a setting belongs to a counter the limit does
 * not have, so that it would never be used: a quota zone without a quota, a remaining-* header
 * without its counter, a tokens-consumed header without a token counter. The gateway refuses it
 * rather than leave it inert without a word. It says which setting it is, so that code that
 * configures the builder from its own settings (the Spring Boot starter from properties) can name
 * its own source of it.
 */
public final class UnusedLimitSettingException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  /** The settings that apply to one counter only, each with the counter it needs. */
  public enum Setting {
    /** {@link TokenLimit.Builder#quotaZone}: needs a token or a request quota. */
    QUOTA_ZONE("quotaZone", "a quota", "quota(..) or requestQuota(..)"),
    /** {@link TokenLimit.Builder#remainingTokensHeader}: needs a token rate. */
    REMAINING_TOKENS_HEADER(
        "remainingTokensHeader", "a token rate", "tokensPerMinute(..) or tokensPer(..)"),
    /** {@link TokenLimit.Builder#remainingQuotaHeader}: needs a token quota. */
    REMAINING_QUOTA_HEADER("remainingQuotaHeader", "a token quota", "quota(..)"),
    /** {@link TokenLimit.Builder#remainingRequestsHeader}: needs a request rate. */
    REMAINING_REQUESTS_HEADER(
        "remainingRequestsHeader",
        "a request rate",
        "requestsPerSecond(..), requestsPerMinute(..) or requestsPer(..)"),
    /** {@link TokenLimit.Builder#tokensConsumedHeader}: needs a token rate or a token quota. */
    TOKENS_CONSUMED_HEADER(
        "tokensConsumedHeader",
        "a token rate or a token quota",
        "tokensPerMinute(..), tokensPer(..) or quota(..)");

    private final String method;
    private final String counter;
    private final String counterMethods;

    Setting(String method, String counter, String counterMethods) {
      this.method = method;
      this.counter = counter;
      this.counterMethods = counterMethods;
    }

    /**
     * The counter the setting applies to, in words ("a token rate", "a token rate or a token
     * quota"), for a message that names its own ways to add it.
     */
    public String counter() {
      return counter;
    }
  }

  private final String limitName;
  private final Setting setting;

  UnusedLimitSettingException(String limitName, Setting setting, Object value) {
    super(
        "limit '"
            + limitName
            + "' sets "
            + setting.method
            + "("
            + value
            + "), which applies to "
            + setting.counter
            + " ("
            + setting.counterMethods
            + "), but the limit has none, so it would never be used; add the counter or remove"
            + " the setting");
    this.limitName = Objects.requireNonNull(limitName, "limitName");
    this.setting = setting;
  }

  /** The name of the limit that has the setting. */
  public String limitName() {
    return limitName;
  }

  /** The setting refused. */
  public Setting setting() {
    return setting;
  }
}
