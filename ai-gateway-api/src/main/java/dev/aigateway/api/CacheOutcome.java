package dev.aigateway.api;

/** What the response cache did for one governed call, as recorded on its {@link GatewayEvent}. */
public enum CacheOutcome {
  /**
   * No cache is configured, or the call is not one the cache serves (its operation; a Responses API
   * call in a {@code conversation} the server keeps).
   */
  NONE("none"),
  /** The application opted out for this call ({@code Cache-Control: no-cache}); not looked up. */
  BYPASSED("bypassed"),
  /** Looked up and not found; the backend answered. */
  MISS("miss"),
  /** Served from the exact cache: an identical request (after canonicalisation) was answered. */
  EXACT_HIT("exact_hit"),
  /** Served from the semantic cache: a similar enough prompt was answered. */
  SEMANTIC_HIT("semantic_hit"),
  /**
   * A cached prompt was similar enough, but the false-hit guard saw a meaning-carrying difference
   * (a negation, a number, an entity, ...) and the backend answered instead.
   */
  GUARDED_MISS("guarded_miss");

  private final String label;

  CacheOutcome(String label) {
    this.label = label;
  }

  /** Lower-case label for logs and metric attributes. */
  public String label() {
    return label;
  }

  /** Whether the call was answered from the cache, without any backend. */
  public boolean hit() {
    return this == EXACT_HIT || this == SEMANTIC_HIT;
  }
}
