/**
 * The gateway's inventory: one JSON document (and its typed form) of what a gateway governs, read
 * with {@code gateway.inventory()} — its backend pools and their health, the models they serve and
 * their prices, its limits, the consumers it has counted with their current usage, its access
 * rules, anomaly states, caches and content checks. The self-service catalogue a portal or an API
 * catalogue reads. Key names and an example document: {@code docs/inventory.md}.
 *
 * <pre>{@code
 * GatewayInventory inventory = gateway.inventory(InventoryOptions.builder().maxConsumers(50));
 * String json = inventory.toJson();                  // serve it, store it, diff it
 * inventory.pools().get(0).backends().forEach(b -> log.info("{} {}", b.id(), b.health()));
 * }</pre>
 *
 * <h2>Adding a section</h2>
 *
 * A part of the gateway that governs something the built-in sections do not (MCP servers and their
 * tools, A2A agents and their cards) contributes a section: an {@link
 * dev.aigateway.core.inventory.InventorySection} with a top-level key and a value read when the
 * inventory is. A section is registered either by the stage's factory implementing the interface
 * (the gateway asks every {@code CallStage.Factory} of its pipeline) or by {@code
 * AiGateway.Builder.inventorySection(section)}. For the MCP stage, a few lines:
 *
 * <pre>{@code
 * final class McpFactory implements CallStage.Factory, InventorySection {
 *   public String key() { return GatewayInventory.MCP_SERVERS; }      // "mcpServers"
 *   public Object read(InventoryOptions options) {
 *     return servers.stream().map(McpServerState::snapshot).toList();  // records, lists, maps
 *   }
 *   public CallStage begin(Exchange exchange) { ... }
 * }
 * }</pre>
 *
 * <p>The keys {@code mcpServers} and {@code agents} are reserved for those sections: the document
 * always has them, as empty arrays until a section contributes them. A section's value is written
 * as JSON from records (their component names become keys), maps, lists, strings, numbers,
 * booleans, enums (their names), {@link java.time.Instant}s and {@link java.time.Duration}s (ISO
 * 8601) and null, nested up to 64 levels and never inside itself; anything else fails that section
 * only, which the document then marks. So does a section whose key, read for each document, is
 * null, fails, is built-in or is taken by an earlier section: it is marked failed under its type's
 * name.
 *
 * <h2>What "snapshot" means</h2>
 *
 * Reading the inventory takes no lock the call path takes for long and stops no call. Each value is
 * read once, at about {@code generatedAt}: configuration is immutable; a backend's health is read
 * field by field from its live state (a breaker may move between two fields of one backend); each
 * usage counter is read atomically by the store, counters one after the other (in memory) or all at
 * one server time (Redis); calls that run while the document is read may or may not be in it.
 * Reading usage never charges a counter nor creates one ({@link
 * dev.aigateway.api.spi.TokenLimitStore#peek}).
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.inventory;

import org.jspecify.annotations.NullMarked;
