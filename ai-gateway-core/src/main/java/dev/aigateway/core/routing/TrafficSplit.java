package dev.aigateway.core.routing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An A/B split: a share of the calls for one model alias is routed as another model, sticky per
 * consumer (the same consumer always lands in the same variant while the split is unchanged).
 *
 * <pre>{@code
 * TrafficSplit.forModel("gpt-4o").send(10, "gpt-4.1").build()   // 10% of consumers try gpt-4.1
 * }</pre>
 *
 * <p>The variant a call went to is recorded on its event. Token limits keyed by model count under
 * the model the application asked for.
 */
public final class TrafficSplit {

  private static final int BUCKETS = 10_000;

  private final String model;
  private final List<String> variants;
  private final int[] upperBuckets;

  private TrafficSplit(Builder b) {
    this.model = b.model;
    this.variants = List.copyOf(b.variants);
    this.upperBuckets = b.upperBuckets.stream().mapToInt(Integer::intValue).toArray();
  }

  /** A split of the calls that ask for {@code model}. */
  public static Builder forModel(String model) {
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("model must be non-blank but was '" + model + "'");
    }
    return new Builder(model);
  }

  /** The model alias this split applies to. */
  public String model() {
    return model;
  }

  /** The variant model for this consumer, or null when the consumer stays on the original model. */
  public @Nullable String variantFor(String consumer) {
    int bucket = bucketOf(model, consumer);
    for (int i = 0; i < upperBuckets.length; i++) {
      if (bucket < upperBuckets[i]) {
        return variants.get(i);
      }
    }
    return null;
  }

  /** A stable bucket in [0, 10000) from the model and the consumer (FNV-1a, then a mixer). */
  static int bucketOf(String model, String consumer) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (model + '\u0000' + consumer).getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return (int) Long.remainderUnsigned(h, BUCKETS);
  }

  @Override
  public String toString() {
    return "TrafficSplit{" + model + " -> " + variants + "}";
  }

  /** Builds a {@link TrafficSplit}. */
  public static final class Builder {
    private final String model;
    private final List<String> variants = new ArrayList<>();
    private final List<Integer> upperBuckets = new ArrayList<>();
    private int assigned;

    private Builder(String model) {
      this.model = model;
    }

    /**
     * Sends {@code percent} of the consumers (0.01 steps) to {@code variantModel}.
     *
     * @throws IllegalArgumentException when {@code percent} is not in (0, 100], rounds to no step
     *     (below 0.005: the variant would reach no consumer), or takes the split past 100 %
     */
    public Builder send(double percent, String variantModel) {
      Objects.requireNonNull(variantModel, "variantModel");
      if (!(percent > 0 && percent <= 100)) {
        throw new IllegalArgumentException("percent must be in (0, 100] but was " + percent);
      }
      int buckets = (int) Math.round(percent * BUCKETS / 100.0);
      if (buckets == 0) {
        throw new IllegalArgumentException(
            "percent "
                + percent
                + " reaches no consumer: the split of '"
                + model
                + "' goes in steps of 0.01 %");
      }
      if (assigned + buckets > BUCKETS) {
        throw new IllegalArgumentException(
            "split of '"
                + model
                + "' would send more than 100%: "
                + (assigned * 100.0 / BUCKETS)
                + "% already, plus "
                + percent
                + "%");
      }
      assigned += buckets;
      variants.add(variantModel);
      upperBuckets.add(assigned);
      return this;
    }

    /** Builds the split; it needs at least one variant. */
    public TrafficSplit build() {
      if (variants.isEmpty()) {
        throw new IllegalStateException("split of '" + model + "' needs send(percent, model)");
      }
      return new TrafficSplit(this);
    }
  }
}
