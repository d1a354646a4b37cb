package dev.aigateway.core.routing;

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

  /** FNV-1a's 64-bit offset basis and prime. */
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;

  private static final long FNV_PRIME = 0x100000001b3L;

  private final String model;
  private final List<String> variants;
  private final int[] upperBuckets;

  /**
   * The hash of the model and the separator after it, once: a call hashes only its consumer on from
   * there, and builds no string or byte array of its own.
   */
  private final long modelHash;

  private TrafficSplit(Builder b) {
    this.model = b.model;
    this.variants = List.copyOf(b.variants);
    this.upperBuckets = b.upperBuckets.stream().mapToInt(Integer::intValue).toArray();
    this.modelHash = modelHash(model);
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
    int bucket = bucket(utf8Hash(modelHash, consumer));
    for (int i = 0; i < upperBuckets.length; i++) {
      if (bucket < upperBuckets[i]) {
        return variants.get(i);
      }
    }
    return null;
  }

  /**
   * A stable bucket in [0, 10000) from the model and the consumer: FNV-1a over the UTF-8 bytes of
   * the model, a NUL and the consumer (an unpaired surrogate as {@code ?}, as {@link
   * String#getBytes} writes it), then a mixer.
   */
  static int bucketOf(String model, String consumer) {
    return bucket(utf8Hash(modelHash(model), consumer));
  }

  /** FNV-1a over the model's UTF-8 bytes and the NUL that separates it from the consumer. */
  private static long modelHash(String model) {
    return utf8Hash(FNV_OFFSET, model) * FNV_PRIME; // the NUL: h ^ 0 is h
  }

  /**
   * Goes on with FNV-1a hash {@code h} over the UTF-8 bytes of {@code text}, encoded as {@link
   * String#getBytes} with UTF-8 does (an unpaired surrogate is {@code ?}), without encoding it.
   */
  private static long utf8Hash(long h, String text) {
    for (int i = 0, n = text.length(); i < n; i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        h = (h ^ c) * FNV_PRIME;
      } else if (c < 0x800) {
        h = (h ^ (0xc0 | (c >> 6))) * FNV_PRIME;
        h = (h ^ (0x80 | (c & 0x3f))) * FNV_PRIME;
      } else if (!Character.isSurrogate(c)) {
        h = (h ^ (0xe0 | (c >> 12))) * FNV_PRIME;
        h = (h ^ (0x80 | ((c >> 6) & 0x3f))) * FNV_PRIME;
        h = (h ^ (0x80 | (c & 0x3f))) * FNV_PRIME;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < n
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        int point = Character.toCodePoint(c, text.charAt(++i));
        h = (h ^ (0xf0 | (point >> 18))) * FNV_PRIME;
        h = (h ^ (0x80 | ((point >> 12) & 0x3f))) * FNV_PRIME;
        h = (h ^ (0x80 | ((point >> 6) & 0x3f))) * FNV_PRIME;
        h = (h ^ (0x80 | (point & 0x3f))) * FNV_PRIME;
      } else {
        h = (h ^ '?') * FNV_PRIME;
      }
    }
    return h;
  }

  /** The bucket of an FNV-1a hash, mixed. */
  private static int bucket(long h) {
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
