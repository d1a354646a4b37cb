package dev.aigateway.core.inventory;

import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.access.AccessPolicy;
import dev.aigateway.core.anomaly.Anomalies;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.telemetry.PriceTable;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What one gateway's inventory is read from: the parts of the built gateway its sections describe,
 * handed over by the gateway ({@code AiGateway.inventory()}) so that the inventory names nothing of
 * the gateway itself. Made once per gateway; every part is immutable or thread-safe, so the
 * inventory may be read from it while calls run.
 *
 * @param clock the gateway's clock, which dates the document
 * @param tokenLimitStore the store holding the token counters
 * @param limits the configured limits, in order
 * @param accessPolicy the access policy, or null
 * @param responseCache the response cache, or null
 * @param anomalies the running anomaly detection, or null
 * @param priceTable the price table, or null
 * @param stageFactories the factories of the gateway's pipeline, outermost first: the inventory
 *     reads the routing's, the limits' and the content checks' by their types, and adds a section
 *     for each that is an {@link InventorySection} (typed as objects, the pipeline's types being
 *     internal)
 * @param sections the sections registered on the gateway's builder and its own (MCP servers,
 *     agents), in order
 */
public record InventorySource(
    Clock clock,
    TokenLimitStore tokenLimitStore,
    List<TokenLimit> limits,
    @Nullable AccessPolicy accessPolicy,
    @Nullable ResponseCache responseCache,
    @Nullable Anomalies anomalies,
    @Nullable PriceTable priceTable,
    List<?> stageFactories,
    List<InventorySection> sections) {

  /** Checks the parts and copies the lists. */
  public InventorySource {
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(tokenLimitStore, "tokenLimitStore");
    limits = List.copyOf(limits);
    stageFactories = List.copyOf(stageFactories);
    sections = List.copyOf(sections);
  }
}
