package dev.aigateway.core.telemetry;

import dev.aigateway.api.Usage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * Prices per model, which turn token usage into cost. Immutable and thread-safe.
 *
 * <p><b>No prices are shipped.</b> Providers change prices and differ by region, contract and
 * deployment type, so every price here is one the user supplied; a model without a price has no
 * cost ({@link Optional#empty()}), never a guessed one.
 *
 * <pre>{@code
 * PriceTable prices = PriceTable.builder()
 *     .model("gpt-4o", Price.perMillion("2.50", "1.25", "10.00"))     // input, cached, output
 *     .modelPrefix("gpt-4o-mini", Price.perMillion("0.15", "0.075", "0.60"))
 *     .modelPrefix("text-embedding-3-small", Price.perMillion("0.02", "0"))
 *     .build();
 * prices.cost("gpt-4o-mini-2024-07-18", Usage.of(1_234_567, 0));  // Optional[0.18518505]
 * prices.cost("some-other-model", usage);                          // Optional.empty
 * }</pre>
 *
 * <p>A model name is looked up exactly first (case-sensitive); failing that, the longest prefix
 * that matches wins, so {@code gpt-4o-mini} beats {@code gpt-4o} for {@code
 * gpt-4o-mini-2024-07-18}. Costs are exact (see {@link Price#cost(Usage)}).
 */
public final class PriceTable {

  private final Map<String, Price> exact;
  private final List<Map.Entry<String, Price>> prefixes; // longest first

  private PriceTable(Builder b) {
    this.exact = Map.copyOf(b.exact);
    List<Map.Entry<String, Price>> list = new ArrayList<>();
    b.prefixes.forEach((prefix, price) -> list.add(Map.entry(prefix, price)));
    list.sort(
        Comparator.comparingInt((Map.Entry<String, Price> e) -> e.getKey().length()).reversed());
    this.prefixes = List.copyOf(list);
  }

  /** A new, empty builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The price of {@code model}: its exact entry, else its longest matching prefix entry, else empty
   * (also for a null model).
   */
  public Optional<Price> price(@Nullable String model) {
    if (model == null) {
      return Optional.empty();
    }
    Price price = exact.get(model);
    if (price != null) {
      return Optional.of(price);
    }
    for (Map.Entry<String, Price> prefix : prefixes) {
      if (model.startsWith(prefix.getKey())) {
        return Optional.of(prefix.getValue());
      }
    }
    return Optional.empty();
  }

  /** The models priced by their exact name, and their prices. */
  public Map<String, Price> models() {
    return exact;
  }

  /** The model-name prefixes priced, longest first, and their prices. */
  public Map<String, Price> modelPrefixes() {
    Map<String, Price> ordered = new LinkedHashMap<>();
    prefixes.forEach(e -> ordered.put(e.getKey(), e.getValue()));
    return java.util.Collections.unmodifiableMap(ordered);
  }

  /**
   * The exact cost of {@code usage} on {@code model}, or empty when the model has no price. See
   * {@link Price#cost(Usage)} for the arithmetic.
   */
  public Optional<BigDecimal> cost(String model, Usage usage) {
    Objects.requireNonNull(usage, "usage");
    return price(model).map(price -> price.cost(usage));
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder("PriceTable{");
    exact.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(e -> s.append(e.getKey()).append('=').append(e.getValue()).append(", "));
    prefixes.forEach(e -> s.append(e.getKey()).append("*=").append(e.getValue()).append(", "));
    if (s.charAt(s.length() - 1) == ' ') {
      s.setLength(s.length() - 2);
    }
    return s.append('}').toString();
  }

  /** Builds a {@link PriceTable}; fails fast on blank names and on a model priced twice. */
  public static final class Builder {
    private final Map<String, Price> exact = new LinkedHashMap<>();
    private final Map<String, Price> prefixes = new LinkedHashMap<>();

    private Builder() {}

    /** Prices the model of exactly this name (as the request or the response names it). */
    public Builder model(String model, Price price) {
      put(exact, requireName(model, "model name"), price, "model");
      return this;
    }

    /**
     * Prices every model whose name starts with {@code prefix} and has no exact entry, for example
     * dated snapshots ({@code gpt-4o-2024-11-20}). The longest matching prefix wins.
     */
    public Builder modelPrefix(String prefix, Price price) {
      put(prefixes, requireName(prefix, "model prefix"), price, "model prefix");
      return this;
    }

    /** Builds the table; an empty table prices nothing. */
    public PriceTable build() {
      return new PriceTable(this);
    }

    private static void put(Map<String, Price> map, String key, Price price, String what) {
      Objects.requireNonNull(price, "price");
      Price previous = map.putIfAbsent(key, price);
      if (previous != null) {
        throw new IllegalStateException(what + " '" + key + "' was already priced at " + previous);
      }
    }

    private static String requireName(String name, String what) {
      if (name == null || name.isBlank()) {
        throw new IllegalArgumentException(what + " must be non-blank but was '" + name + "'");
      }
      return name;
    }
  }
}
