package dev.aigateway.core.inventory;

/**
 * What an inventory includes, and how much it may cost to read. Immutable.
 *
 * <pre>{@code
 * gateway.inventory(InventoryOptions.builder().maxConsumers(20).includeUsage(false));
 * }</pre>
 *
 * <p>Cost: configuration and backend health are read from memory. With usage included, the
 * consumers' counters are read from the token store with {@link
 * dev.aigateway.api.spi.TokenLimitStore#peek}: in memory, a lock per counter; on Redis, one
 * read-only script per {@value #COUNTERS_PER_READ} distinct counters (a counter shared by several
 * consumers, a global limit's, is read once), so at most {@code maxConsumers × counters per
 * consumer / 256} round trips, each bounded by the store's command timeout.
 */
public final class InventoryOptions {

  /** The most consumers listed unless set. */
  public static final int DEFAULT_MAX_CONSUMERS = 100;

  /** How many counters one store read takes at most. */
  public static final int COUNTERS_PER_READ = 256;

  private static final InventoryOptions DEFAULTS = builder().build();

  private final boolean includeUsage;
  private final int maxConsumers;

  private InventoryOptions(Builder b) {
    this.includeUsage = b.includeUsage;
    this.maxConsumers = b.maxConsumers;
  }

  /** Usage included, at most {@value #DEFAULT_MAX_CONSUMERS} consumers. */
  public static InventoryOptions defaults() {
    return DEFAULTS;
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether consumers' current usage is read from the token store. */
  public boolean includeUsage() {
    return includeUsage;
  }

  /** The most consumers listed (the most recently seen), and anomaly entries. */
  public int maxConsumers() {
    return maxConsumers;
  }

  @Override
  public String toString() {
    return "InventoryOptions{includeUsage=" + includeUsage + ", maxConsumers=" + maxConsumers + "}";
  }

  /** Builds {@link InventoryOptions}; each setter replaces the earlier value. */
  public static final class Builder {
    private boolean includeUsage = true;
    private int maxConsumers = DEFAULT_MAX_CONSUMERS;

    private Builder() {}

    /**
     * Whether consumers' current usage is read from the token store (default true). False lists
     * consumers and their limits without touching the store.
     */
    public Builder includeUsage(boolean include) {
      this.includeUsage = include;
      return this;
    }

    /**
     * The most consumers listed, the most recently seen first (default {@value
     * #DEFAULT_MAX_CONSUMERS}); 0 lists none (their count is still given). Also bounds the anomaly
     * section.
     *
     * @throws IllegalArgumentException when negative
     */
    public Builder maxConsumers(int max) {
      if (max < 0) {
        throw new IllegalArgumentException("maxConsumers must be >= 0 but was " + max);
      }
      this.maxConsumers = max;
      return this;
    }

    /** Builds the options. */
    public InventoryOptions build() {
      return new InventoryOptions(this);
    }
  }
}
